"""What a model file must be before any of it runs: whole, and its trees safe to walk.

A model file must be a skops file as save_model writes it. skops refuses types no model
needs, but the trees of the trusted types trust their own node indices: a node that points
back at itself makes `predict` loop forever, one that points past the end reads memory that
is not the tree's and kills the process. So every tree is checked as a graph before use,
with numpy over whole node arrays at once: children in range and after their parent (as
scikit-learn and LightGBM number them), every node but the root the child of exactly one
node, and splits on features the model has. LightGBM's native code reads its trees as the
file loads, so they are checked in the file's text before.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.pipeline import Pipeline
from sklearn.tree import BaseDecisionTree

from ..config import Task
from ..data.storage import shown
from ..errors import PipelineError
from ..features.transforms import FeatureSpec
from .estimators import MODEL, PREPROCESS

Array = npt.NDArray[Any]  # node arrays: indices, flags, thresholds

SCHEMA = "schema.json"  # the zip entry where skops describes the objects
_PICKLE = b"\x80"  # how a pickle (joblib's too) starts: protocol 2 and later
_ZIP = b"PK\x03\x04"


class MalformedModelError(PipelineError):
    """A model file is damaged, or holds a model that cannot be used safely."""


def quoted(error: Exception) -> str:
    """An error about a file, on one line: what it quotes from the file is escaped."""
    return shown(f"{type(error).__name__}: {error}")[:200]


def read_schema(path: Path) -> dict[str, Any]:
    """The file's skops schema, once its zip is whole and laid out as save_model writes it."""
    with path.open("rb") as file:
        start = file.read(len(_ZIP))
    if not start:
        raise MalformedModelError(f"{path} is empty: not a model file")
    if start.startswith(_PICKLE):
        raise MalformedModelError(f"{path} is a pickle, not a skops file: it is never loaded")
    if not zipfile.is_zipfile(path):
        kind = "truncated or damaged" if start == _ZIP else "not a skops file (a zip)"
        raise MalformedModelError(f"{path} is {kind}")
    try:
        with zipfile.ZipFile(path) as archive:
            # save_model stores entries as they are: a compressed one did not come from
            # it, and could unpack to far more than the file's size.
            compressed = any(e.compress_type != zipfile.ZIP_STORED for e in archive.infolist())
            damaged = None if compressed else archive.testzip()
            content = None if compressed or damaged else archive.read(SCHEMA)
    except KeyError:
        raise MalformedModelError(f"{path} has no {SCHEMA}: not a skops file") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise MalformedModelError(f"{path} is truncated or damaged ({error})") from None
    if compressed:
        raise MalformedModelError(f"{path} has compressed entries: not saved by save_model")
    if damaged:
        raise MalformedModelError(f"{path} is damaged: {damaged} fails its checksum")
    try:
        schema = json.loads(content or b"")
    except (ValueError, RecursionError):  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise MalformedModelError(f"{path} has a {SCHEMA} that is not valid JSON") from None
    if not isinstance(schema, dict):
        raise MalformedModelError(f"{path} has a {SCHEMA} that describes no object")
    return schema


def check_boosters(path: Path, schema: dict[str, Any]) -> None:
    """Refuse LightGBM models whose trees LightGBM's own loader could not read safely."""
    for booster in _nodes(schema, "lightgbm.basic", "Booster"):
        state = booster.get("content")
        fields = state.get("content") if isinstance(state, dict) else None
        text = fields.get("_handle") if isinstance(fields, dict) else None
        # Booster.__setstate__ hands `_handle` (or `handle`) to native code; a Booster made
        # any other way (a constructor call) would too.
        if (
            booster.get("__loader__") != "ObjectNode"
            or not isinstance(fields, dict)
            or "handle" in fields
            or not isinstance(text, dict)
            or text.get("__loader__") != "JsonNode"
        ):
            raise MalformedModelError(f"{path} holds a LightGBM booster not stored as ours are")
        try:
            model = json.loads(text["content"])
        except (ValueError, TypeError, RecursionError):
            model = None
        if not isinstance(model, str):
            raise MalformedModelError(f"{path} holds a LightGBM booster without its model text")
        problem = lightgbm_problem(model)
        if problem:
            raise MalformedModelError(f"{path} holds a malformed LightGBM model: {problem}")


def _nodes(node: Any, module: str, name: str) -> Iterator[dict[str, Any]]:
    """Every object of the type in a skops schema; iterative, however deep it nests."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            if current.get("__module__") == module and current.get("__class__") == name:
                yield current
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)


def tree_problem(
    left: Array, right: Array, is_leaf: Array, n_features: int, feature: Array
) -> str | None:
    """Why node arrays are not one tree from node 0 splitting on known features; or None.

    Children come after their parent, so no path can loop; every node but the root is
    the child of exactly one split, so every node is reached, once.
    """
    count = len(is_leaf)
    splits = np.flatnonzero(~is_leaf)
    children = np.concatenate([left[splits], right[splits]]).astype(np.int64)
    if count == 0:
        return "a tree without nodes"
    if children.size and (children.min() < 0 or children.max() >= count):
        return f"a child index out of range (the tree has {count} nodes)"
    if np.any(children <= np.concatenate([splits, splits])):
        return "a node whose child is itself or comes before it: a loop"
    if np.any(np.bincount(children, minlength=count)[1:] != 1):
        return "a node reached twice or never from the root"
    used = feature[splits].astype(np.int64)
    if used.size and (used.min() < 0 or used.max() >= n_features):
        return f"a split on a feature out of range (the model has {n_features})"
    return None


def check_pipeline(path: Path, pipeline: Any, task: Task, features: FeatureSpec) -> None:
    """Refuse a pipeline unlike the ones models/estimators.py builds, or with unsafe trees."""
    steps = getattr(pipeline, "steps", None)
    if (
        not isinstance(pipeline, Pipeline)
        or not isinstance(steps, list)
        or [name for name, *_ in steps] != [PREPROCESS, MODEL]
    ):
        raise MalformedModelError(f"{path} does not hold a pipeline as this project builds them")
    preprocess, learner = pipeline.named_steps[PREPROCESS], pipeline.named_steps[MODEL]
    if not isinstance(preprocess, ColumnTransformer):
        raise MalformedModelError(f"{path} does not encode its features as this project does")
    # The encoder reads columns by position; scikit-learn 1.8 and later also record the
    # names of a polars frame's columns, earlier releases only their number.
    names = getattr(preprocess, "feature_names_in_", None)
    if names is None and getattr(preprocess, "n_features_in_", None) != len(features.columns):
        raise MalformedModelError(
            f"{path} encodes {getattr(preprocess, 'n_features_in_', None)} columns, but names "
            f"the features {features.columns}"
        )
    if names is not None and list(names) != features.columns:
        raise MalformedModelError(
            f"{path} encodes the columns {_listed(names)}, but names the features "
            f"{features.columns}"
        )
    if is_classifier(learner) != (task == "classification"):
        raise MalformedModelError(f"{path} holds a {type(learner).__name__} for {task}")
    # How many columns the encoding makes: where the last of its transformers' output ends.
    encoded = max((part.stop for part in preprocess.output_indices_.values()), default=0)
    if getattr(learner, "n_features_in_", None) != encoded:
        raise MalformedModelError(
            f"{path} holds a model of {getattr(learner, 'n_features_in_', None)} features, "
            f"but its encoding makes {encoded}"
        )
    problem = learner_problem(learner, encoded)
    if problem:
        raise MalformedModelError(f"{path} holds a malformed {type(learner).__name__}: {problem}")


def _listed(names: Any) -> Any:
    return None if names is None else [str(name) for name in names]


def learner_problem(learner: Any, n_features: int) -> str | None:
    """Why the fitted learner's trees are not safe to predict with; or None."""
    if isinstance(learner, (RandomForestClassifier, RandomForestRegressor)):
        return _forest_problem(learner, n_features)
    if isinstance(learner, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        return _boosting_problem(learner, n_features)
    if type(learner).__module__ == "lightgbm.sklearn":
        return _lightgbm_learner_problem(learner, n_features)
    return f"not a model this project trains ({type(learner).__module__})"


def _forest_problem(forest: Any, n_features: int) -> str | None:
    trees = getattr(forest, "estimators_", None)
    if not isinstance(trees, list) or not trees:
        return "no trees"
    for number, estimator in enumerate(trees):
        tree = getattr(estimator, "tree_", None)
        if not isinstance(estimator, BaseDecisionTree) or tree is None:
            return f"tree {number} is not a decision tree"
        if (
            getattr(estimator, "n_features_in_", None) != n_features
            or tree.n_features != n_features
        ):
            return f"tree {number} has {tree.n_features} features, the forest {n_features}"
        classes = np.atleast_1d(getattr(forest, "n_classes_", 1))  # 1: a regressor's
        if tree.n_outputs != forest.n_outputs_ or not np.array_equal(tree.n_classes, classes):
            return f"tree {number} has other outputs or classes than the forest"
        left, right = tree.children_left, tree.children_right
        leaves = left == -1
        # A leaf has no child on either side: scikit-learn looks only left to stop.
        if np.any(right[leaves] != -1):
            return f"tree {number}: a node with a right child but no left one"
        problem = tree_problem(left, right, leaves, n_features, tree.feature)
        if problem is None and np.any(np.isnan(tree.threshold[~leaves])):
            problem = "a split at a threshold that is not a number"
        if problem:
            return f"tree {number}: {problem}"
    return None


def _boosting_problem(boosting: Any, n_features: int) -> str | None:
    rounds = getattr(boosting, "_predictors", None)
    per_round = getattr(boosting, "n_trees_per_iteration_", None)
    categorical = getattr(getattr(boosting, "_bin_mapper", None), "is_categorical_", None)
    if not isinstance(rounds, list) or not rounds:
        return "no trees"
    if not isinstance(categorical, np.ndarray) or categorical.shape != (n_features,):
        return "no record of which features are categories"
    for number, trees in enumerate(rounds):
        if not isinstance(trees, list) or len(trees) != per_round:
            return f"round {number} has not {per_round} trees"
        for tree in trees:
            nodes, bitsets = tree.nodes, tree.raw_left_cat_bitsets
            if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE:
                return f"round {number}: a tree whose nodes are not scikit-learn's"
            leaves = nodes["is_leaf"] != 0
            problem = tree_problem(
                nodes["left"], nodes["right"], leaves, n_features, nodes["feature_idx"]
            )
            if problem:
                return f"round {number}: {problem}"
            splits = nodes[~leaves]
            on_category = splits[splits["is_categorical"] != 0]
            if np.any(on_category["bitset_idx"] >= len(bitsets)):
                return f"round {number}: a split on categories that are not stored"
            if not np.all(categorical[on_category["feature_idx"]]):
                return f"round {number}: a split on categories of a feature that has none"
            if np.any(np.isnan(splits["num_threshold"][splits["is_categorical"] == 0])):
                return f"round {number}: a split at a threshold that is not a number"
    return None


def _lightgbm_learner_problem(learner: Any, n_features: int) -> str | None:
    # Its trees were checked in the file's text before it loaded (check_boosters).
    booster = getattr(learner, "_Booster", None)
    if booster is None:
        return "no trees"
    if booster.num_feature() != n_features:
        return f"{booster.num_feature()} features, its encoding makes {n_features}"
    return None


# LightGBM's text format: header lines, then a block per tree, then this line.
_TREE_START = re.compile(r"^Tree=", re.MULTILINE)
_TREES_END = "end of trees"
# The fields of a tree block, as LightGBM writes them, by how many values each holds. Its
# loader reads the blocks in parallel threads, where a missing field or a wrong count
# aborts the whole process: every field is checked here first.
_PER_SPLIT = (
    "split_feature",
    "split_gain",
    "threshold",
    "decision_type",
    "left_child",
    "right_child",
    "internal_value",
    "internal_weight",
    "internal_count",
)
_PER_LEAF = ("leaf_value", "leaf_weight", "leaf_count")
_SINGLE = ("Tree", "num_leaves", "num_cat", "is_linear", "shrinkage")
_CATEGORIES = ("cat_boundaries", "cat_threshold")
_INTEGERS = {"split_feature", "decision_type", "left_child", "right_child", "internal_count"}
_INTEGERS |= {"leaf_count", "cat_boundaries", "cat_threshold"}
_SPLIT_NEEDS = {"split_feature", "threshold", "left_child", "right_child"}
# decision_type's bits: 0 says the split is on categories, 2-3 how missing values go
# (none, zero or NaN: three ways).
_CATEGORICAL, _MISSING_TYPES = 1, 3


def lightgbm_problem(text: str) -> str | None:
    """Why LightGBM's model text is not trees it can load and walk safely; or None."""
    end = text.find(_TREES_END)
    starts = [match.start() for match in _TREE_START.finditer(text, 0, max(end, 0))]
    if end < 0 or not starts:
        return "no trees"
    header = dict(line.split("=", 1) for line in text[: starts[0]].splitlines() if "=" in line)
    try:
        features = int(header["max_feature_idx"]) + 1
        sizes = [int(size) for size in header["tree_sizes"].split()]
    except (KeyError, ValueError):
        return "no feature count or tree sizes"
    blocks = [text[start:stop] for start, stop in zip(starts, [*starts[1:], end], strict=True)]
    # LightGBM cuts the text into trees by these sizes, unchecked: they must be exact.
    if sizes != [len(block.encode()) for block in blocks]:
        return "tree sizes that do not match its trees"
    for number, block in enumerate(blocks):
        try:
            problem = _lightgbm_tree_problem(_tree_fields(block), features)
        except (KeyError, ValueError, OverflowError) as error:
            problem = f"a missing or bad field ({quoted(error)})"
        if problem:
            return f"tree {number}: {problem}"
    return None


def _tree_fields(block: str) -> dict[str, str]:
    """A tree block's fields: each once, known, up to the blank line that ends them."""
    lines, blank, _ = block.partition("\n\n")
    if not blank:
        raise ValueError("no blank line after the fields")
    fields: dict[str, str] = {}
    for line in lines.split("\n"):
        name, equals, value = line.partition("=")
        if (
            not equals
            or name in fields
            or name not in (*_SINGLE, *_PER_SPLIT, *_PER_LEAF, *_CATEGORIES)
        ):
            raise ValueError(f"line {line[:40]!r}")
        fields[name] = value
    return fields


def _lightgbm_tree_problem(tree: dict[str, str], n_features: int) -> str | None:
    leaves, categories = int(tree["num_leaves"]), int(tree["num_cat"])
    if leaves < 1 or categories < 0:
        return "no leaves, or fewer than no categories"
    if tree.get("is_linear", "0") != "0":
        return "a linear tree, which this project never trains"
    splits = leaves - 1
    values: dict[str, Array] = {}
    for name in tree.keys() - _SINGLE:
        kind = np.int64 if name in _INTEGERS else np.float64
        values[name] = np.array(tree[name].split(), dtype=kind)
    counts = dict.fromkeys(_PER_SPLIT, splits) | dict.fromkeys(_PER_LEAF, leaves)
    if categories:
        bounds = values.get("cat_boundaries", np.zeros(0, np.int64))
        if len(bounds) != categories + 1 or bounds[0] != 0 or np.any(np.diff(bounds) < 0):
            return "category bounds out of range"
        counts |= {"cat_boundaries": categories + 1, "cat_threshold": int(bounds[-1])}
    needed = {"leaf_value"} | (_SPLIT_NEEDS if splits else set()) | (counts.keys() & {*_CATEGORIES})
    if missing := sorted(needed - values.keys()):
        return f"no {', '.join(missing)}"
    # A tree of one leaf (a round that found no split) has its weights and counts empty,
    # as LightGBM writes it.
    empty = {"leaf_weight", "leaf_count"} if splits == 0 else set()
    if wrong := [
        f"{name} ({len(values[name])}, not {counts[name]})"
        for name in values
        if len(values[name]) != counts[name] and not (name in empty and len(values[name]) == 0)
    ]:
        return f"fields with a wrong number of values: {', '.join(wrong)}"
    if splits == 0:
        return None
    # A child >= 0 is a split, ~child a leaf: number the leaves after the splits.
    left, right = (
        np.where(side < 0, splits + ~side, side)
        for side in (values["left_child"], values["right_child"])
    )
    padding = np.zeros(leaves, np.int64)
    problem = tree_problem(
        np.concatenate([left, padding]),
        np.concatenate([right, padding]),
        np.arange(splits + leaves) >= splits,
        n_features,
        np.concatenate([values["split_feature"], padding]),
    )
    if problem:
        return problem
    thresholds = values["threshold"]
    if np.any(np.isnan(thresholds)):
        return "a split at a threshold that is not a number"
    decisions = values.get("decision_type", np.zeros(splits, np.int64))
    if np.any((decisions < 0) | (decisions >> 2 >= _MISSING_TYPES)):
        return "a split of an unknown kind"
    # A split on categories: its threshold indexes cat_boundaries, which index cat_threshold.
    indices = thresholds[(decisions & _CATEGORICAL) != 0]
    if np.any((indices < 0) | (indices >= categories) | (indices != np.floor(indices))):
        return "a split on categories that are not stored"
    return None
