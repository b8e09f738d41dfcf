"""Save and load models with skops (never pickle), plus the provenance saved beside them."""

from __future__ import annotations

from pathlib import Path

import skops.io as sio
from sklearn.pipeline import Pipeline

from ..data.io import replacing
from ..errors import PipelineError

# Types beyond skops' defaults that our pipeline contains. Loading refuses anything else:
# a model file that needs more was not made by this code. Review changes to this list.
TRUSTED_TYPES = ["numpy.dtype", "sklearn.tree._tree.Tree"]


class UntrustedModelError(PipelineError):
    """A model file holds types outside TRUSTED_TYPES."""


def save_model(model: Pipeline, path: Path) -> None:
    """Write model to path atomically in skops format."""
    with replacing(path) as staged:
        sio.dump(model, staged)


def load_model(path: Path) -> Pipeline:
    """Load a skops model, refusing any type that is not trusted."""
    unknown = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if unknown:
        raise UntrustedModelError(
            f"{path} contains types that are not trusted: {unknown}. If you changed the "
            "model and trust these types, add them to TRUSTED_TYPES in models/persistence.py."
        )
    model = sio.load(path, trusted=TRUSTED_TYPES)
    if not isinstance(model, Pipeline):
        raise UntrustedModelError(f"{path} does not hold a scikit-learn Pipeline")
    return model
