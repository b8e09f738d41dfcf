"""The fast-feedback targets (issue 28's, for an idle 2-core machine) and the table of
medians that first_green.py and daily_loop.py print against them."""

from __future__ import annotations

import os
import statistics

TARGETS = {
    "time to first green": 30.0,
    "git commit, all hooks": 3.0,
    "uv run nox": 15.0,
    "nox -s tests": 10.0,
    "no-op dvc repro": 1.0,
}


def print_medians(runs: list[dict[str, float]], where: str = "") -> None:
    """Median of the runs per step, each run's figure, the target where there is one, and
    the machine: cores, load average, PYTHONDONTWRITEBYTECODE."""
    print(f"\nseconds, median of {len(runs)} run(s){where}; PYTHONDONTWRITEBYTECODE=", end="")
    print(os.environ.get("PYTHONDONTWRITEBYTECODE", ""), f"cores={os.cpu_count()}", end=" ")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    line = "{:<32} {:>7} {:>20} {:>8} {:>4}"
    print(line.format("step", "median", "runs", "target", "met"))
    for step in runs[0]:
        figures = [run[step] for run in runs if step in run]
        median = statistics.median(figures)
        target = TARGETS.get(step)
        met = "" if target is None else ("yes" if median <= target else "no")
        each = " ".join(f"{figure:.1f}" for figure in figures)
        shown = "" if target is None else f"<= {target:.0f}"
        print(line.format(step, f"{median:.1f}", each, shown, met))
