"""The monitor's report: drift.json for machines, report.html (with figures) for people."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from ..data import storage
from .drift import Drift
from .profile import Profile

BINS = 30
CATEGORIES_SHOWN = 12
STYLE = (
    "body {font-family: sans-serif; margin: 2em} td, th {padding: .2em .8em; text-align: left}"
    " tr.drift {background: #fde2e1} img {margin: .5em}"
)


def verdict(drift: Drift) -> dict[str, Any]:
    """A verdict as drift.json holds it."""
    found: dict[str, Any] = {
        "drift": drift.drift,
        "test": drift.test,
        "score": round(drift.score, 6),
        "threshold": drift.threshold,
        "missing_share": {"reference": drift.missing[0], "batch": drift.missing[1]},
        "missing_threshold": drift.missing_threshold,
    }
    if drift.new_category_rows:
        found["new_categories"] = drift.new_categories
        found["new_category_rows"] = drift.new_category_rows
    return found


def summary(
    sources: Mapping[str, str],
    reference: Profile,
    batch: Profile,
    features: Mapping[str, Drift],
    prediction: Drift,
) -> dict[str, Any]:
    """Everything drift.json says: the overall verdict first, then each feature's."""
    drifted = [name for name, drift in features.items() if drift.drift]
    return {
        "drift": bool(drifted) or prediction.drift,
        "drifted_features": drifted,
        **sources,
        "rows": {"reference": reference.rows, "batch": batch.rows},
        "sampled_rows": {"reference": reference.sample.height, "batch": batch.sample.height},
        "features": {name: verdict(drift) for name, drift in features.items()},
        "prediction": verdict(prediction),
    }


def distribution_figure(name: str, reference: Profile, batch: Profile, numeric: bool) -> Figure:
    """The feature's distribution in the reference and in the batch, as shares of rows."""
    figure = Figure(figsize=(4.5, 2.8), layout="constrained")
    axes = figure.add_subplot()
    if numeric:
        _histograms(axes, reference.numbers(name).to_numpy(), batch.numbers(name).to_numpy())
    else:
        _bars(axes, reference.categories[name], batch.categories[name])
    axes.set_title(name)
    axes.set_ylabel("share of rows")
    axes.legend()
    return figure


def _histograms(axes: Any, seen: npt.NDArray[np.float64], now: npt.NDArray[np.float64]) -> None:
    """Both samples' values as step histograms on the same bins, in shares of rows."""
    both = np.concatenate([seen, now])
    if not len(both):
        return
    edges = np.histogram_bin_edges(both, BINS)
    for values, label in ((seen, "reference"), (now, "batch")):
        if len(values):
            weights = np.full(len(values), 1 / len(values))
            axes.hist(values, edges, weights=weights, histtype="step", label=label)


def _bars(axes: Any, seen: Mapping[str, int], now: Mapping[str, int]) -> None:
    """Each category's share of rows, side by side; the most common categories only."""
    labels = sorted({*seen, *now}, key=lambda label: -(seen.get(label, 0) + now.get(label, 0)))
    labels = labels[:CATEGORIES_SHOWN]
    positions = np.arange(len(labels))
    for offset, (counts, label) in enumerate(((seen, "reference"), (now, "batch"))):
        total = sum(counts.values()) or 1
        shares = [counts.get(category, 0) / total for category in labels]
        axes.bar(positions + (offset - 0.5) * 0.4, shares, 0.4, label=label)
    axes.set_xticks(positions, labels, rotation=30, ha="right")


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def page(found: Mapping[str, Any], figures: Mapping[str, Figure]) -> str:
    """report.html: the verdicts as a table, then each feature's distributions."""
    rows = []
    for name, drift in [*found["features"].items(), ("(predictions)", found["prediction"])]:
        missing = drift["missing_share"]
        new = drift.get("new_category_rows", 0)
        rows.append(
            "<tr{}><td>{}</td><td>{}</td><td>{:.4f}</td><td>{}</td><td>{:.1%} → {:.1%}</td>"
            "<td>{}</td><td>{}</td></tr>".format(
                ' class="drift"' if drift["drift"] else "",
                html.escape(name),
                drift["test"],
                drift["score"],
                drift["threshold"],
                missing["reference"],
                missing["batch"],
                new or "",
                "drift" if drift["drift"] else "",
            )
        )
    images = "".join(
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{_png(figure)}">'
        for name, figure in figures.items()
    )
    verdict_line = "Drift found" if found["drift"] else "No drift"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift: {html.escape(found["batch"])}</title>
<style>{STYLE}</style></head><body>
<h1>{verdict_line}: {html.escape(found["batch"])}</h1>
<p>{found["rows"]["batch"]:,} rows against {found["rows"]["reference"]:,} of
{html.escape(found["reference"])}, scored by {html.escape(found["model"])}.</p>
<table><tr><th>feature</th><th>test</th><th>score</th><th>threshold</th>
<th>missing values</th><th>rows in new categories</th><th></th></tr>
{"".join(rows)}</table>
<h2>Distributions (reference and batch)</h2>
{images}
</body></html>
"""


def write_report(folder: Path, found: Mapping[str, Any], figures: Mapping[str, Figure]) -> None:
    """Write drift.json and report.html into folder, replacing what a run before wrote."""
    with storage.replacing(folder) as staged:
        staged.mkdir(parents=True)
        storage.write_json(dict(found), staged / "drift.json")
        (staged / "report.html").write_text(page(found, figures), encoding="utf-8")
