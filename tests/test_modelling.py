"""The modelling core on real projects (slow: installs and runs generated projects).

Each model runs the pipeline for each task; the same inputs give a byte-identical model
file, so `dvc repro -f` changes nothing and DVC's run cache restores a model trained
before; class weights find a rare class that an unweighted model misses.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from own_tables import CHURN, MAKE_TABLE
from support import copy_project, doc_commands, render, run

pytestmark = pytest.mark.slow

MODEL = "models/model.skops"
SCHEMA = "src/my_ml_project/data/schema.py"  # the default answers' package_name
RESTORED = "Stage 'train' is cached - skipping run, checking out outputs"


def uv_run(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run a command in the project's locked environment."""
    return run(project, "uv", "run", "--frozen", *command)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def metrics(project: Path) -> dict[str, float]:
    return json.loads((project / "reports/evaluation/metrics.json").read_text(encoding="utf-8"))


def set_param(project: Path, old: str, new: str) -> None:
    params = project / "params.yaml"
    text = params.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    params.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def regression_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("regression") / "my-ml-project"
    return render(kit, destination, {"ml_task": "regression"}, tasks=True)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("model", ["random_forest", "lightgbm"])
def test_each_model_runs_the_pipeline(
    request: pytest.FixtureRequest, tmp_path: Path, task: str, model: str
) -> None:
    # The default model (hist_gradient_boosting) ran when each project was set up.
    source = "generated_project" if task == "classification" else "regression_project"
    project = copy_project(request.getfixturevalue(source), tmp_path / "project")
    default = metrics(project)

    uv_run(project, "dvc", "exp", "run", "-S", f"train.model={model}")

    metadata = json.loads((project / "models/metadata.json").read_text(encoding="utf-8"))
    assert metadata["params"]["train"]["model"] == model
    found = metrics(project)
    assert found.keys() == default.keys()
    if task == "classification":
        assert found["balanced_accuracy"] > 0.9
    else:
        assert found["r2"] > 0.6


def test_forced_repro_writes_the_same_model_and_the_run_cache_restores_one(
    generated_project: Path, tmp_path: Path
) -> None:
    project = copy_project(generated_project, tmp_path / "project")
    trained = md5(project / MODEL)  # by the copy task's `dvc repro`, in another process

    for _ in range(2):
        uv_run(project, "dvc", "repro", "--force")
        assert md5(project / MODEL) == trained
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    assert lock["stages"]["train"]["outs"][0]["md5"] == trained

    set_param(project, "max_iter: 200", "max_iter: 20")
    uv_run(project, "dvc", "repro")
    assert md5(project / MODEL) != trained
    set_param(project, "max_iter: 20", "max_iter: 200")
    restored = uv_run(project, "dvc", "repro")
    assert RESTORED in restored.stdout + restored.stderr
    assert md5(project / MODEL) == trained


def test_balanced_class_weights_find_the_rare_class(
    generated_project: Path, tmp_path: Path
) -> None:
    # A team's churn table: one customer in ten leaves, and the features only hint at who.
    project = copy_project(generated_project, tmp_path / "project")
    script = tmp_path / "make_table.py"
    script.write_text(MAKE_TABLE, encoding="utf-8")
    table = project / CHURN.raw
    uv_run(project, "python", str(script), CHURN.kind, str(table), str(tmp_path / "new.csv"))
    uv_run(project, "dvc", "add", CHURN.raw)
    (project / SCHEMA).write_text(CHURN.schema, encoding="utf-8")
    (project / "params.yaml").write_text(CHURN.params, encoding="utf-8")

    scores = {}
    for weights in ("null", "balanced"):
        uv_run(
            project,
            "dvc",
            "exp",
            "run",
            "-S",
            f"train.class_weight={weights}",
        )
        scores[weights] = metrics(project)
    unweighted, balanced = scores["null"], scores["balanced"]
    # Unweighted, most leavers are predicted to stay; weighted, many more are found.
    assert balanced["recall_1"] > unweighted["recall_1"] + 0.15, (unweighted, balanced)
    assert balanced["balanced_accuracy"] > unweighted["balanced_accuracy"] + 0.04
    assert "average_precision" in balanced


def test_the_modelling_docs_commands_run_as_written(
    generated_project: Path, tmp_path: Path
) -> None:
    project = copy_project(generated_project, tmp_path / "project")
    before = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    commands = doc_commands(project, "modelling.md")
    assert commands == [
        "uv run dvc exp run --queue -S train.model=lightgbm",
        "uv run dvc exp run --queue -S train.hist_gradient_boosting.learning_rate=0.05",
        "uv run dvc exp run --run-all",
        "uv run dvc exp show",
        "uv run nox -s tune -- --trials 20",
        "uv run nox -s tune -- --trials 20 --apply",
        "uv run dvc exp apply NAME",  # the page's inline commands come after its blocks
        "uv run dvc repro",
        "uv run nox -s report",
        "uv run my-ml-project-tune data/features reports/tuning --trials 20",
    ]
    shown = {}
    for command in commands:
        if "NAME" not in command:  # exp apply: run below, with an experiment's name
            shown[command] = run(project, *shlex.split(command)).stdout

    assert "lightgbm" in shown["uv run dvc exp show"]
    # The queued experiments left params.yaml as it was: tuning tuned the default model.
    best = json.loads((project / "reports/tuning/best.json").read_text(encoding="utf-8"))
    assert best["trials"] == 20
    assert (project / "reports/tuning.dvc").is_file()
    tuned = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    section = tuned["train"]["hist_gradient_boosting"]
    assert section == {**before["train"]["hist_gradient_boosting"], **section}
    assert section != before["train"]["hist_gradient_boosting"]
    assert {name: section[name] for name in best["params"]} == pytest.approx(best["params"], 1e-3)
    metadata = json.loads((project / "models/metadata.json").read_text("utf-8"))
    assert metadata["params"]["train"] == tuned["train"]  # `dvc repro` trained with them

    # `dvc exp apply NAME`, with the name of the LightGBM experiment.
    shown_json = json.loads(run(project, "uv", "run", "dvc", "exp", "show", "--json").stdout)
    (name,) = {
        found["name"]
        for found in walk(shown_json)
        if found.get("name") and '"model": "lightgbm"' in json.dumps(found.get("data"))
    }
    run(project, "uv", "run", "dvc", "exp", "apply", name)
    applied = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    assert applied["train"]["model"] == "lightgbm"


def walk(found: object) -> list[dict[str, object]]:
    """Every mapping inside a JSON document, outermost first."""
    if isinstance(found, dict):
        return [found, *(inner for value in found.values() for inner in walk(value))]
    if isinstance(found, list):
        return [inner for value in found for inner in walk(value)]
    return []
