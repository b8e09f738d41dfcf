"""The production loop on a real project, by the commands docs/production-loop.md shows (slow).

The sample file becomes a folder of batches and a new batch arrives: the monitor finds
the drift it holds and `dvc repro` retrains. A retrain with worse params is kept out of
service, and the live service keeps answering with the champion; a forced promotion
records who and why; a better model is promoted, and the service then serves it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from support import copy_project, doc_commands, git, run, serving

pytestmark = pytest.mark.slow

BATCH = "data/raw/penguins/2026-12-07.csv"
REASON = "the new product codes need the retrained model"
# Run in the project's environment: 2,000 penguins drawn from the first batch, their
# bills 6 mm longer, as a new delivery.
MAKE_BATCH = """
import sys
import polars as pl
first = pl.read_csv("data/raw/penguins/2007-2009.csv", null_values="NA", infer_schema=False)
batch = first.sample(2_000, with_replacement=True, seed=1).with_columns(
    (pl.col("bill_length_mm").cast(pl.Float64) + 6).round(1).cast(pl.String)
)
batch.write_csv(sys.argv[1], null_value="NA")
"""
# Only the island and the year: a model that can tell the species far less well.
WORSE = "  exclude: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex]"


def shell(project: Path, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a documented command as written."""
    return run(project, *shlex.split(command), check=check)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def version(path: Path) -> str:
    """A model file's version as the service names it: its md5's first 12 digits."""
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()[:12]


def served_version(url: str) -> str:
    with urllib.request.urlopen(f"{url}/health", timeout=10) as answer:  # noqa: S310
        return str(json.load(answer)["model"]["version"])


def set_featurize(project: Path, exclude: str, ratios: str) -> None:
    """Set featurize's exclude and ratios in params.yaml, keeping the rest of the file."""
    params = project / "params.yaml"
    lines = params.read_text(encoding="utf-8").splitlines()
    start = lines.index("featurize:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and lines[i][0] != " ")
    section = ["featurize:", exclude, ratios, ""]
    params.write_text("\n".join([*lines[:start], *section, *lines[end:]]) + "\n", "utf-8")


def test_the_production_loop_docs_commands_run_as_written(
    generated_project: Path, tmp_path: Path
) -> None:
    project = copy_project(generated_project, tmp_path / "project")
    commands = doc_commands(project, "production-loop.md")
    assert commands == [
        "uv run dvc remove data/raw/penguins.csv.dvc",
        "mkdir data/raw/penguins",
        "mv data/raw/penguins.csv data/raw/penguins/2007-2009.csv",
        "uv run dvc add data/raw/penguins",
        "uv run dvc add data/raw/penguins",
        "uv run dvc repro",
        f"uv run nox -s monitor -- {BATCH}",
        "git add dvc.lock models/champion.json reports/promotion.json",
        "uv run dvc push",
        f'uv run nox -s promote -- "{REASON}"',
        # inline, in the prose
        "uv run dvc repro",
        "uv run dvc repro",
        "uv run dvc checkout",
        "uv run nox -s serve",
        "uv run my-ml-project-predict new.csv predictions.csv",
    ]
    models, champion = project / "models/model.skops", project / "models/champion.skops"
    first = version(champion)  # the copy's first `dvc repro` promoted its model
    assert version(models) == first

    # 1. The sample file becomes the first batch of a folder; a second batch arrives.
    for command in commands[:4]:
        shell(project, command)
    params = project / "params.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("raw: data/raw/penguins.csv", "raw: data/raw/penguins"))
    run(project, "uv", "run", "--frozen", "python", "-c", MAKE_BATCH, BATCH)
    for command in commands[4:6]:
        said = shell(project, command)
    assert re.search(r"Prepared 2,3\d\d of 2,344 rows", said.stderr), said.stderr
    decision = read_json(project / "reports/promotion.json")
    assert decision["decision"] in ("promoted", "kept"), decision
    assert decision["champion"]["model_md5"].startswith(first)  # compared with the first
    champion_now = version(champion)

    # 2. The new batch's bills are longer: drift, and the status says so.
    done = shell(project, commands[6], check=False)
    assert done.returncode == 3, done.stdout + done.stderr
    drift = read_json(project / "reports/monitoring/2026-12-07/drift.json")
    assert "bill_length_mm" in drift["drifted_features"]

    # 3. Commit and share; then a worse retrain is kept out of service.
    for command in commands[7:9]:
        shell(project, command)
    git(project, "commit", "--quiet", "--no-verify", "-am", "A batch of 2,000 penguins")
    set_featurize(project, WORSE, "  ratios: {}")
    shell(project, "uv run dvc repro")
    decision = read_json(project / "reports/promotion.json")
    assert decision["decision"] == "kept", decision
    assert decision["regressions"], decision
    assert version(champion) == champion_now != version(models)
    with serving(project, tmp_path / "serve.log") as url:
        assert served_version(url) == champion_now  # never the challenger turned down
        shell(project, "uv run my-ml-project-predict data/raw/penguins/2007-2009.csv out.csv")

    # 4. Forced: the worse model goes into service, and who and why are on record.
    worse = version(models)
    shell(project, commands[9])
    assert version(champion) == worse
    forced = read_json(project / "reports/promotion.json")["forced"]
    assert forced["why"] == REASON
    assert forced["would_have_been"] == "kept"
    name, email = (git(project, "config", key).strip() for key in ("user.name", "user.email"))
    assert forced["by"] == f"{name} <{email}>"
    assert read_json(project / "models/champion.json")["promotion"]["why"] == REASON
    assert "up to date" in shell(project, "uv run dvc status").stdout  # dvc.lock records it

    # 5. The better model again: promoted, and the service serves it once restarted.
    set_featurize(
        project,
        "  exclude: [] # features in data/schema.py the model should not see",
        "  ratios: # derived features, name: [numerator, denominator]; {} for none\n"
        "    bill_length_to_depth: [bill_length_mm, bill_depth_mm]\n"
        "    body_mass_per_flipper_mm: [body_mass_g, flipper_length_mm]",
    )
    shell(project, "uv run dvc repro")
    decision = read_json(project / "reports/promotion.json")
    assert decision["decision"] == "promoted", decision
    assert version(champion) == version(models) == champion_now
    with serving(project, tmp_path / "serve-again.log") as url:
        assert served_version(url) == champion_now
