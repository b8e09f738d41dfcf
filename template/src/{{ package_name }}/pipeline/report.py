"""Compare metrics and params with a base revision; fail when a metric got worse than allowed.

`uv run nox -s report` runs this; CI runs the same on every pull request and posts the
markdown it writes. How far each metric may get worse is set in metric-tolerances.yaml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import PipelineError
from ..evaluation.gate import TOLERANCES_FILE, load_tolerances
from ..evaluation.report import gate, report_markdown, verdict
from ._stage import stage

REPORT_FILE = Path("reports/metrics-diff.md")

app = typer.Typer(add_completion=False)


def dvc(*args: str) -> str:
    """Run a dvc command of this environment and return its output."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise PipelineError(
            f"`dvc {' '.join(args)}` failed: {result.stderr.strip()}\n"
            "Pass a base revision that exists here, e.g. `uv run nox -s report -- origin/main`."
        )
    return result.stdout


@app.command()
@stage
def report(
    base: Annotated[str, typer.Argument(help="Git revision to compare with")] = "main",
    output: Annotated[Path, typer.Option(help="Where to write the markdown")] = REPORT_FILE,
    tolerances_file: Annotated[Path, typer.Option("--tolerances")] = TOLERANCES_FILE,
) -> None:
    """Write the metrics and params diff against BASE; exit 1 if a metric regressed."""
    tolerances = load_tolerances(tolerances_file)
    diff = json.loads(dvc("metrics", "diff", base, "--all", "--json") or "{}")
    found = gate(diff, tolerances, tolerances_file)
    markdown = report_markdown(
        base,
        verdict(found, len(tolerances), tolerances_file),
        dvc("metrics", "diff", base, "--md"),
        dvc("params", "diff", base, "--md"),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown + "\n", encoding="utf-8")
    typer.echo(markdown)
    if found:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
