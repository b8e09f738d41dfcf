"""tracking=mlflow: runs and registered models in MLflow, beside dvclive's files.

One project is generated with tracking=mlflow (copy tasks included, so its first
`dvc repro` logs to the default sqlite store) and shared by the module. Against it: the
project's own checks on first copy; a real `mlflow server` on a loopback port that a copy
of the project logs to, read back through the MLflow client; two queued experiments run
in parallel against the sqlite store; and a dvclive project switched by `copier update`.
Slow: installs and runs generated projects.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from reserved_names import (
    EVERY_OPTION,
    OUTPUT,
    editable_package,
    installed_modules,
    jinja_file,
    site_packages,
)
from support import (
    commit_all,
    copy_project,
    free_port,
    git,
    render,
    run,
    tree_bytes,
    update_project,
)

pytestmark = pytest.mark.slow

PACKAGE, NAME = "my_ml_project", "my-ml-project"  # the default answers' package and slug
# Nothing may phone home: MLflow's telemetry off (the project turns it off too).
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}

# Run in the project's environment: what the MLflow client sees for one tracking store.
READ_BACK = """
import json, sys
from pathlib import Path
from {package}.data import storage
from {package}.data.split import SPLIT
from {package}.models.persistence import load_model
from {package}.models.predict import predict
from {package}.tracking import mlflow_runs

mlflow = mlflow_runs.client()
experiment = mlflow.get_experiment_by_name(mlflow_runs.NAME)
runs = mlflow.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
versions = mlflow.search_model_versions(f"name = '{{mlflow_runs.NAME}}'")
latest = max(versions, key=lambda version: int(version.version))
saved = load_model(Path("models/model.skops"))
registered = mlflow_runs.load_registered(latest.version)
inputs = storage.read_partition(Path("data/features"), SPLIT, "test").collect()
inputs = inputs.select(saved.features.columns)
summary = {{
    "uri": mlflow_runs.tracking_uri(),
    "runs": [
        {{
            "id": run.info.run_id,
            "metrics": run.data.metrics,
            "params": run.data.params,
            "tags": {{k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}},
            "artifacts": sorted(
                item.path
                for folder in ("model", "figures")
                for item in mlflow.list_artifacts(run.info.run_id, folder)
            ),
        }}
        for run in runs
    ],
    "versions": [
        {{"version": int(v.version), "run_id": v.run_id, "tags": v.tags}} for v in versions
    ],
    "champion": int(
        mlflow.get_model_version_by_alias(mlflow_runs.NAME, mlflow_runs.CHAMPION).version
    ) if versions else None,
    "same_predictions": predict(registered, inputs).equals(predict(saved, inputs)),
}}
json.dump(summary, sys.stdout)
"""


def read_back(project: Path, env: dict[str, str]) -> dict[str, object]:
    """Runs, metrics and registered versions of project's tracking store, via MLflow's client."""
    script = READ_BACK.format(package=PACKAGE)
    result = subprocess.run(
        ["uv", "run", "--frozen", "python", "-c", script],
        cwd=project,
        env={**os.environ, **QUIET, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def project_run(project: Path, *command: str, env: dict[str, str] | None = None) -> str:
    """Run a command in the project with the given environment; its stderr and stdout."""
    result = subprocess.run(
        command,
        cwd=project,
        env={**os.environ, **QUIET, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracking=mlflow project after its copy tasks: its first `dvc repro` is tracked.

    Rendered with every option that adds packages (tracking=mlflow among them), so it also
    proves the refused package names current.
    """
    assert EVERY_OPTION["tracking"] == "mlflow"
    destination = tmp_path_factory.mktemp("tracking") / NAME
    return render(kit, destination, EVERY_OPTION, tasks=True)


def dvc_md5(project: Path) -> str:
    outs = yaml.safe_load((project / "data/raw/penguins.csv.dvc").read_text(encoding="utf-8"))
    return str(outs["outs"][0]["md5"])


def dvclive_metrics(project: Path) -> dict[str, float]:
    return json.loads((project / "reports/evaluation/metrics.json").read_text(encoding="utf-8"))


def test_first_copy_tracks_to_sqlite_and_runs_green(project: Path) -> None:
    # The copy task's pipeline run logged to mlflow.db, which git ignores.
    assert (project / "mlflow.db").is_file()
    assert git(project, "status", "--porcelain") == ""
    tracked = read_back(project, {})
    assert tracked["uri"] == f"sqlite:///{(project / 'mlflow.db').resolve().as_posix()}"
    first = tracked["runs"][0]  # type: ignore[index]
    assert first["metrics"] == dvclive_metrics(project)
    assert first["params"]["train.hist_gradient_boosting.max_iter"] == "200"
    assert first["tags"]["data.dvc_md5"] == dvc_md5(project)
    assert "model/model.skops" in first["artifacts"]
    assert {"figures/confusion_matrix.png", "figures/roc_curves.png"} <= set(first["artifacts"])
    assert tracked["versions"][0]["run_id"] == first["id"]  # type: ignore[index]
    assert tracked["same_predictions"] is True
    # The project's default checks (lint, types, tests with the tracking tests, docs).
    project_run(project, "uv", "run", "--frozen", "nox")
    run(project, "uv", "run", "--frozen", "nox", "-s", "mlflow-ui", "--", "--help")


def test_refused_package_names_are_what_the_project_with_every_option_installs(
    project: Path,
) -> None:
    packages = site_packages(project)
    derived = jinja_file(installed_modules(packages, editable_package(packages)))
    assert OUTPUT.read_text(encoding="utf-8") == derived, (
        f"{OUTPUT.name} is stale: run `uvx nox -s reserved-names`"
    )


def stored_runs(database: Path) -> int:
    """How many runs a local MLflow sqlite store holds."""
    with closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])


def healthy(port: int) -> bool:
    """Whether the MLflow server on the loopback port answers its health check."""
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        probe.request("GET", "/health")
        return probe.getresponse().status == 200
    except OSError:
        return False
    finally:
        probe.close()


@pytest.fixture
def mlflow_server(project: Path, tmp_path: Path) -> Iterator[str]:
    """A real `mlflow server` on a free loopback port, with its own store; stopped after."""
    version = project_run(
        project,
        "uv",
        "run",
        "--frozen",
        "python",
        "-c",
        "from importlib.metadata import version; print(version('mlflow-skinny'))",
    ).strip()
    # As the project's `nox -s mlflow-ui`: the newest full release the index can install.
    mlflow = ["uv", "tool", "run", "--from", f"mlflow<={version}", "mlflow"]
    project_run(tmp_path, *mlflow, "--version")  # installs the server once, off the clock
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            *mlflow,
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{(tmp_path / 'server.db').as_posix()}",
            "--artifacts-destination",
            (tmp_path / "artifacts").as_uri(),
        ],
        cwd=tmp_path,
        env={**os.environ, **QUIET},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not healthy(port):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    f"mlflow server did not start:\n{(tmp_path / 'server.log').read_text()}"
                )
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_a_tracking_server_gets_the_run_and_the_registered_model(
    project: Path, mlflow_server: str, tmp_path: Path
) -> None:
    clone = copy_project(project, tmp_path / "clone")
    local_runs = stored_runs(clone / "mlflow.db")
    server = {"MLFLOW_TRACKING_URI": mlflow_server}
    output = project_run(
        clone,
        "uv",
        "run",
        "--frozen",
        "dvc",
        "repro",
        "--force",
        "--downstream",
        "train",
        env=server,
    )
    assert f"Registered {NAME} version 1" in output

    tracked = read_back(clone, server)
    assert tracked["uri"] == mlflow_server
    (only,) = tracked["runs"]  # type: ignore[misc]
    assert only["metrics"] == dvclive_metrics(clone)
    assert only["params"]["data.task"] == "classification"
    assert (
        only["tags"]["git_revision"]
        == git(clone, "describe", "--always", "--dirty", "--exclude=*").strip()
    )
    assert only["tags"]["data.dvc_md5"] == dvc_md5(clone)
    assert "model/model.skops" in only["artifacts"]
    (version,) = tracked["versions"]  # type: ignore[misc]
    assert version["run_id"] == only["id"]
    metrics = {name: str(value) for name, value in dvclive_metrics(clone).items()}
    promoted = version["tags"].pop("promotion.promoted_at")  # by the first `promote`
    assert version["tags"] == {
        **metrics,
        "data.raw": "data/raw/penguins.csv",
        "data.dvc_md5": dvc_md5(clone),
        "git_revision": only["tags"]["git_revision"],
        "promotion.reason": "the first model: there is no champion yet",
    }
    champion = json.loads((clone / "models/champion.json").read_text(encoding="utf-8"))
    assert promoted == champion["promotion"]["promoted_at"]
    assert tracked["champion"] == version["version"]  # the version holds the alias
    assert tracked["same_predictions"] is True
    # The server got the run; the project's own store did not.
    assert stored_runs(clone / "mlflow.db") == local_runs
    # The model card names the run and the registered version.
    metadata = json.loads((clone / "models/metadata.json").read_text(encoding="utf-8"))
    registered = {
        "run_id": only["id"],
        "registered_model": NAME,
        "version": str(version["version"]),
    }
    assert metadata["mlflow"] == registered
    site = tmp_path / "site"
    project_run(clone, "uv", "run", "--frozen", "mkdocs", "build", "--site-dir", str(site))
    card = (site / "model-card/index.html").read_text(encoding="utf-8")
    assert f"version {version['version']}, run <code>{only['id']}</code>" in card


def test_two_queued_experiments_run_in_parallel_on_the_sqlite_store(project: Path) -> None:
    before = read_back(project, {})
    dvc = ["uv", "run", "--frozen", "dvc"]
    for rounds in ("20", "30"):
        setting = f"train.hist_gradient_boosting.max_iter={rounds}"
        project_run(project, *dvc, "exp", "run", "--queue", "-S", setting)
    project_run(project, *dvc, "exp", "run", "--run-all", "--jobs", "2")

    after = read_back(project, {})
    new = after["runs"][len(before["runs"]) :]  # type: ignore[index]
    assert sorted(run["params"]["train.hist_gradient_boosting.max_iter"] for run in new) == [
        "20",
        "30",
    ]
    assert all(run["metrics"] and run["tags"]["dvc.exp_name"] for run in new)
    new_ids = {run["id"] for run in new}
    registered = {version["run_id"] for version in after["versions"]}  # type: ignore[union-attr]
    assert new_ids <= registered
    # Both experiments are DVC experiments as before: dvclive's metrics, compared by DVC.
    shown = json.loads(project_run(project, *dvc, "exp", "show", "--json"))
    experiments = [exp for row in shown for exp in (row.get("experiments") or [])]
    assert len(experiments) >= 2


def test_retraining_an_unchanged_model_makes_no_new_run_or_version(
    project: Path, tmp_path: Path
) -> None:
    clone = copy_project(project, tmp_path / "clone")
    before = read_back(clone, {})
    output = project_run(clone, "uv", "run", "--frozen", "dvc", "repro", "--force")
    after = read_back(clone, {})
    assert len(after["runs"]) == len(before["runs"]), output  # type: ignore[arg-type]
    # The same versions of the same runs; evaluate refreshes their tags (git revision).
    kept = [(v["version"], v["run_id"]) for v in before["versions"]]  # type: ignore[union-attr]
    assert [(v["version"], v["run_id"]) for v in after["versions"]] == kept  # type: ignore[union-attr]


# The runs a tuning study left: its parent run (named `tune`) and the runs nested in it.
READ_STUDY = """
import json, sys
from {package}.tracking import mlflow_runs
mlflow = mlflow_runs.client()
experiment = mlflow.get_experiment_by_name(mlflow_runs.NAME)
runs = mlflow.search_runs([experiment.experiment_id])
[parent] = [run for run in runs if run.info.run_name == "tune"]
nested = [run for run in runs if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
json.dump({{
    "metrics": parent.data.metrics,
    "artifacts": sorted(item.path for item in mlflow.list_artifacts(parent.info.run_id, "tuning")),
    "nested": sorted(run.info.run_name for run in nested),
    "nested_metrics": sorted(list(run.data.metrics) for run in nested),
}}, sys.stdout)
"""


def test_a_tuning_study_is_a_run_with_its_trials_nested(project: Path, tmp_path: Path) -> None:
    clone = copy_project(project, tmp_path / "clone")
    project_run(clone, "uv", "run", "--frozen", "nox", "-s", "tune", "--", "--trials", "3")
    script = READ_STUDY.format(package=PACKAGE)
    study = json.loads(run(clone, "uv", "run", "--frozen", "python", "-c", script).stdout)
    assert set(study["metrics"]) == {"best_balanced_accuracy"}
    assert study["artifacts"] == ["tuning/best.json", "tuning/history.png", "tuning/trials.csv"]
    assert study["nested"] == ["trial 1", "trial 2", "trial 3"]
    assert study["nested_metrics"] == [["balanced_accuracy"]] * 3


def test_a_dvclive_project_switches_to_mlflow_with_copier_update(kit: Path, tmp_path: Path) -> None:
    project = render(kit, tmp_path / "updated")
    team = {
        ".gitignore": "# our own scratch files\nscratch/\n",
        f"src/{PACKAGE}/pipeline/train.py": "# the team's note on training\n",
        "dvc.yaml": "# the team's note on the pipeline\n",
    }
    for name, text in team.items():
        path = project / name
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    commit_all(project, "the team's edits")

    update_project(project, {"tracking": "mlflow"})

    status = git(project, "status", "--porcelain")
    assert "UU" not in status
    fresh = tree_bytes(render(kit, tmp_path / "fresh", {"tracking": "mlflow"}))
    updated = tree_bytes(project)
    for name, text in team.items():
        assert updated[name] == fresh[name] + text.encode(), f"{name}: not merged cleanly"
    assert {
        name for name in fresh.keys() | updated.keys() if fresh.get(name) != updated.get(name)
    } == set(team)
