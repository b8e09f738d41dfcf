"""compute=dask: the pipeline runs on a real Dask cluster and writes what Polars writes.

One project is generated with `compute=dask` and its copy tasks, whose `dvc repro` runs
prepare and featurize on the default engine: a local cluster inside the stage's process.
Then a real `dask scheduler` and two `dask worker` processes start on loopback from the
project's own environment, and `dvc repro --force featurize` runs prepare and featurize
against them (DASK_SCHEDULER_ADDRESS); then once more on Polars streaming (params.yaml's
compute.engine). data/prepared and data/features must hold the same rows, split and
feature values each time, in the same order. A team's own table (test_own_data's wine
walk) must fare the same on a copy of the project.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from own_tables import MAKE_TABLE, WALKS
from support import copy_project, free_port, git, render, run

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 90
# Each output's columns and types, and per split its rows: as written (the order train
# reads them in) and as a sorted multiset (the order-independent content).
CONTENT = """
import hashlib, json, sys
import polars as pl
found = {}
for output in sys.argv[1:]:
    for split in ("train", "test"):
        frame = pl.read_parquet(f"{output}/split={split}", hive_partitioning=False)
        rows = [repr(row) for row in frame.rows()]
        found[f"{output} {split}"] = {
            "schema": {name: str(kind) for name, kind in frame.schema.items()},
            "rows": len(rows),
            "in order": hashlib.sha256("\\n".join(rows).encode()).hexdigest(),
            "any order": hashlib.sha256("\\n".join(sorted(rows)).encode()).hexdigest(),
        }
print(json.dumps(found))
"""
# How many tasks each worker ran, asked of the scheduler by a client in the project.
EXECUTED = """
import json, sys
from distributed import Client
with Client(sys.argv[1], timeout="20s") as client:
    client.wait_for_workers(int(sys.argv[2]), timeout=60)
    print(json.dumps(client.run(lambda dask_worker: dask_worker.state.executed_count)))
"""


def environment(**extra: str) -> dict[str, str]:
    """This (hermetic) environment without a Dask address, plus extra."""
    env = {key: value for key, value in os.environ.items() if key != "DASK_SCHEDULER_ADDRESS"}
    return {**env, **extra}


def content(project: Path) -> dict[str, object]:
    """What the pipeline's prepared rows and features hold (see CONTENT)."""
    python = str(project / ".venv/bin/python")
    output = run(project, python, "-c", CONTENT, "data/prepared", "data/features").stdout
    return json.loads(output)


def repro(project: Path, *arguments: str, env: dict[str, str]) -> str:
    """`uv run --frozen dvc repro` in project; its output, which names the engine."""
    result = subprocess.run(
        ["uv", "run", "--frozen", "dvc", "repro", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, f"dvc repro failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compute=dask project, set up by its copy tasks (so run once, on a local cluster)."""
    destination = tmp_path_factory.mktemp("dask") / "my-ml-project"
    made = render(kit, destination, {"compute": "dask"}, tasks=True)
    assert git(made, "status", "--porcelain") == "", "the copy task did not finish"
    return made


@pytest.fixture(scope="module")
def local_cluster_content(project: Path) -> dict[str, object]:
    """The outputs the copy task's `dvc repro` wrote with the default engine."""
    return content(project)


@pytest.fixture(scope="module")
def scheduler(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `dask scheduler` and two `dask worker` processes on loopback, from the project's env."""
    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = str(project / ".venv/bin/dask")
    commands = {
        "scheduler": [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":")[-1]],
        **{
            f"worker-{n}": [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1"]
            for n in (1, 2)
        },
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [*command, "--no-dashboard"],
                        cwd=project,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=environment(),
                    )
                )
        deadline = time.monotonic() + STARTUP_SECONDS
        python = str(project / ".venv/bin/python")
        while True:
            ready = subprocess.run(
                [python, "-c", EXECUTED, address, "2"],
                cwd=project,
                capture_output=True,
                text=True,
                check=False,
            )
            if ready.returncode == 0:
                break
            exited = [name for name, p in zip(commands, processes, strict=True) if p.poll()]
            if exited or time.monotonic() > deadline:
                shown = "\n".join(
                    f"--- {name}\n{(logs / f'{name}.log').read_text(errors='replace')[-2000:]}"
                    for name in commands
                )
                pytest.fail(f"the Dask cluster did not start ({exited=}):\n{ready.stderr}\n{shown}")
            time.sleep(1)
        yield address
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def executed(project: Path, address: str) -> dict[str, int]:
    python = str(project / ".venv/bin/python")
    return json.loads(run(project, python, "-c", EXECUTED, address, "2").stdout)


def test_the_copy_task_ran_the_pipeline_on_a_local_cluster(
    project: Path, local_cluster_content: dict[str, object]
) -> None:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["compute"] == "dask"
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert '"dask[dataframe]>=' in pyproject
    assert '"distributed>=' in pyproject
    metrics = json.loads((project / "reports/evaluation/metrics.json").read_text("utf-8"))
    assert metrics["accuracy"] > 0.9
    assert local_cluster_content, "no outputs"


def test_a_real_cluster_writes_what_the_local_cluster_wrote(
    project: Path, scheduler: str, local_cluster_content: dict[str, object]
) -> None:
    before = executed(project, scheduler)
    cluster = environment(DASK_SCHEDULER_ADDRESS=scheduler)
    said = repro(project, "--force", "featurize", env=cluster)

    assert said.count(f"(Dask, the cluster at {scheduler})") == 4, said  # prepare, featurize
    after = executed(project, scheduler)
    ran = {worker: after[worker] - before.get(worker, 0) for worker in after}
    assert len(ran) == 2
    assert all(count > 0 for count in ran.values()), f"a worker ran no task: {ran}"
    assert content(project) == local_cluster_content
    # The files are those the local cluster wrote, byte for byte: nothing downstream reruns.
    assert "Running stage 'train'" not in repro(project, env=cluster)


def test_polars_writes_what_dask_wrote(
    project: Path, local_cluster_content: dict[str, object]
) -> None:
    params = project / "params.yaml"
    text = params.read_text(encoding="utf-8")
    assert "  engine: auto\n" in text
    params.write_text(text.replace("  engine: auto\n", "  engine: polars\n"), encoding="utf-8")
    try:
        said = repro(project, "--force", "featurize", env=environment())
    finally:
        params.write_text(text, encoding="utf-8")

    assert said.count("(Polars streaming)") == 4, said
    assert "Dask" not in said
    assert content(project) == local_cluster_content


def test_a_teams_own_table_runs_on_dask_as_on_polars(project: Path, tmp_path: Path) -> None:
    own = WALKS["wine-csv-classification"]
    team = copy_project(project, tmp_path / "project")
    script = tmp_path / "make_table.py"
    script.write_text(MAKE_TABLE, encoding="utf-8")
    new_rows = str(tmp_path / own.new_rows)
    run(team, "uv", "run", "--frozen", "python", str(script), own.kind, own.raw, new_rows)
    run(team, "uv", "run", "--frozen", "dvc", "add", own.raw)
    (team / "src/my_ml_project/data/schema.py").write_text(own.schema, encoding="utf-8")
    # The team's params.yaml has no compute section: `auto`, the project's answer, Dask.
    params = team / "params.yaml"
    params.write_text(own.params, encoding="utf-8")

    said = repro(team, "featurize", env=environment())
    assert said.count("(Dask, a local cluster of 2 workers in this process)") == 4, said
    on_dask = content(team)
    assert sum(on_dask[f"data/prepared {split}"]["rows"] for split in ("train", "test")) == 400

    params.write_text(f"{own.params}\ncompute:\n  engine: polars\n", encoding="utf-8")
    said = repro(team, "--force", "featurize", env=environment())
    assert said.count("(Polars streaming)") == 4, said
    assert content(team) == on_dask


def metrics(project: Path) -> dict[str, float]:
    return json.loads((project / "reports/evaluation/metrics.json").read_text("utf-8"))


# How far the cluster's model may score from one machine's on the sample's test split:
# LightGBM's workers bin the features each on its own share of the rows.
CLUSTER_TOLERANCE = 0.05


def test_lightgbm_trains_on_the_cluster_as_well_as_on_one_machine(
    project: Path, scheduler: str, tmp_path: Path
) -> None:
    team = copy_project(project, tmp_path / "project")
    params = team / "params.yaml"
    text = params.read_text(encoding="utf-8")
    for old, new in (
        ("model: hist_gradient_boosting", "model: lightgbm"),
        ("rows_per_file: 1000000", "rows_per_file: 100"),  # partitions for both workers
    ):
        assert old in text
        text = text.replace(old, new)
    params.write_text(text, encoding="utf-8")
    before = executed(team, scheduler)

    said = repro(team, env=environment(DASK_SCHEDULER_ADDRESS=scheduler))

    assert f"Training lightgbm (classification) on Dask, the cluster at {scheduler}" in said
    assert len(list((team / "data/features/split=train").glob("*.parquet"))) >= 2
    after = executed(team, scheduler)
    assert all(after[worker] > before.get(worker, 0) for worker in after), (before, after)
    on_cluster = metrics(team)

    params.write_text(text.replace("  engine: auto\n", "  engine: polars\n"), encoding="utf-8")
    said = repro(team, "--force", "train", env=environment())
    assert "Training lightgbm (classification) on" in said
    assert "Dask" not in said
    here = metrics(team)
    for name in ("accuracy", "balanced_accuracy"):
        assert abs(on_cluster[name] - here[name]) <= CLUSTER_TOLERANCE, (on_cluster, here)
