"""The model service (serving=fastapi) end to end, serving=none, and the update that adds it.

The default project (serving=fastapi) already runs its own serving tests (TestClient, a
live uvicorn, schemathesis) in test_generated.py, for regression in test_own_data.py and
on Python 3.10 in test_names_and_pythons.py. Here: `nox -s serve` on the project's real
model answers as its `predict` command does for the sample data; a serving=none project
has no trace of the service and stays green; and a project made before the service
existed gets it, or not, through `copier update`, with no conflict in files its team left
alone. Slow: it installs and runs generated projects.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_migrate_train import as_migrated

from support import (
    ANSWERS_FILE,
    TEST_VERSION,
    commit_all,
    free_port,
    render,
    run,
    tree_bytes,
    update_project,
)

pytestmark = pytest.mark.slow

# The last kit commit before the `serving` question: a project made from it has no answer.
BEFORE_SERVING = "f9c0f1a04f1ec8a3600bb8197bfba2fc30dfc220"
SERVING_FILES = ("src/{package}/serving/app.py", "tests/integration/test_serving.py")
STARTUP_SECONDS = 120
TEAM_EDITS = {"README.md": "<!-- our team's note -->", "params.yaml": "# our team's note"}


def answers_of(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))


def serving_files(project: Path) -> list[str]:
    package = answers_of(project)["package_name"]
    return [name.format(package=package) for name in SERVING_FILES]


def request(url: str, body: object = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(url, data, {"content-type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def service(generated_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uv run nox -s serve` in the default project, on a free port; its URL once it answers.

    Serving reads the project and writes nothing, so the shared project stays as it was.
    """
    port, log = free_port(), tmp_path_factory.mktemp("serve") / "serve.log"
    command = ["uv", "run", "--frozen", "nox", "-s", "serve", "--", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=generated_project, stdout=output, stderr=output, start_new_session=True
        )
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            try:
                request(f"{url}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)  # nox, uv and uvicorn: as Ctrl+C would
        process.wait(timeout=60)
    assert "Uvicorn running on http://127.0.0.1" in log.read_text(encoding="utf-8")


def test_nox_serve_describes_the_trained_model(service: str, generated_project: Path) -> None:
    status, health = request(f"{service}/health")
    assert status == 200, health
    metadata = json.loads((generated_project / "models/metadata.json").read_text("utf-8"))
    assert health["model"]["name"] == answers_of(generated_project)["project_slug"]
    assert (health["model"]["task"], health["model"]["target"]) == ("classification", "species")
    assert health["git_revision"] == metadata["git_revision"]
    assert health["trained_at"] == metadata["created_at"]
    assert health["metrics"] == metadata["metrics"]


def test_the_serve_command_is_installed(generated_project: Path) -> None:
    slug = answers_of(generated_project)["project_slug"]
    shown = run(generated_project, "uv", "run", "--frozen", f"{slug}-serve", "--help")
    assert "--port" in shown.stdout


def typed(value: str, kind: dict[str, Any]) -> object:
    """A CSV cell as the API's JSON takes it, following the row's JSON schema."""
    if value in ("", "NA"):
        return None
    types = {option.get("type") for option in kind.get("anyOf", [kind])}
    return float(value) if "number" in types else int(value) if "integer" in types else value


def test_http_and_the_predict_command_answer_alike_for_the_sample_data(
    service: str, generated_project: Path, tmp_path: Path
) -> None:
    slug = answers_of(generated_project)["project_slug"]
    scored = tmp_path / "scored.csv"
    sample = "data/raw/penguins.csv"  # scored by the champion, the model the service serves
    run(generated_project, "uv", "run", "--frozen", f"{slug}-predict", sample, str(scored))
    _, schema = request(f"{service}/openapi.json")
    fields = schema["components"]["schemas"]["Row"]["properties"]
    with (generated_project / sample).open(encoding="utf-8") as raw:
        rows = [
            {name: typed(row[name], fields[name]) for name in fields} for row in csv.DictReader(raw)
        ]
    with scored.open(encoding="utf-8") as output:
        from_file = list(csv.DictReader(output))
    answers: list[dict[str, Any]] = []
    for start in range(0, len(rows), 100):
        status, answer = request(f"{service}/predict", rows[start : start + 100])
        assert status == 200, answer
        answers += answer["predictions"]
    assert len(answers) == len(from_file) == len(rows)
    for answer, line in zip(answers, from_file, strict=True):
        assert answer["prediction"] == (line["predicted_species"] or None)
        chances = {
            k.removeprefix("probability_"): v
            for k, v in line.items()
            if k.startswith("probability_")
        }
        expected = {k: float(v) for k, v in chances.items()} if answer["prediction"] else None
        assert answer["probabilities"] == expected
    # The sample's penguins without measurements (an island only) get none alone either.
    unscored = [
        row for row, line in zip(rows, from_file, strict=True) if not line["predicted_species"]
    ]
    assert unscored
    for row in unscored:
        status, answer = request(f"{service}/predict", row)
        assert status == 200, answer
        assert answer["predictions"] == [{"prediction": None, "probabilities": None}]
    status, refused = request(f"{service}/predict", (rows * 3)[:1001])  # the default limit: 1,000
    assert status == 413, refused


# --- serving=none -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without_serving(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A serving=none project, its environment synced (no copy tasks: no pipeline run)."""
    project = render(kit, tmp_path_factory.mktemp("none") / "my-ml-project", {"serving": "none"})
    commit_all(project)
    run(project, "uv", "sync", "--quiet")
    return project


def test_serving_none_leaves_no_trace_of_the_service(without_serving: Path) -> None:
    files = tree_bytes(without_serving)
    assert not [name for name in files if "serving" in name], sorted(files)
    lock = (without_serving / "uv.lock").read_text(encoding="utf-8")
    for distribution in ("fastapi", "uvicorn", "starlette", "schemathesis"):
        assert f'name = "{distribution}"' not in lock
    for name in ("pyproject.toml", "mkdocs.yml", ".importlinter", "README.md"):
        assert b"serving" not in files[name], name
        assert b"fastapi" not in files[name].lower(), name


def test_serving_none_is_green_and_serve_says_why_it_cannot(without_serving: Path) -> None:
    run(without_serving, "uv", "run", "--frozen", "nox", "-s", "lint", "typecheck", "docs")
    serve = run(without_serving, "uv", "run", "--frozen", "nox", "-s", "serve", check=False)
    assert serve.returncode != 0
    assert "copier update --trust -d serving=fastapi" in serve.stdout + serve.stderr


# --- Updating a project made before the service existed ------------------------------------


def made_before_serving(kit: Path, destination: Path) -> Path:
    """A project from the kit before `serving`, committed, with the team's own edits."""
    project = render(kit, destination, version=BEFORE_SERVING)
    assert "serving" not in answers_of(project)
    commit_all(project)
    for name, note in TEAM_EDITS.items():
        path = project / name
        path.write_text(path.read_text(encoding="utf-8") + note + "\n", encoding="utf-8")
    commit_all(project, "the team's edits")
    return project


def fresh_with_team_edits(
    kit: Path, destination: Path, answers: dict[str, object]
) -> dict[str, bytes]:
    """What the update must equal: a fresh copy with these answers, plus the team's edits."""
    fresh = tree_bytes(render(kit, destination, answers))
    for name, note in TEAM_EDITS.items():
        fresh[name] += f"{note}\n".encode()
    return fresh


def assert_updated_cleanly(project: Path, expected: dict[str, bytes]) -> None:
    status = run(project, "git", "status", "--porcelain").stdout
    assert not [line for line in status.splitlines() if line.startswith("UU")], status
    assert not list(project.rglob("*.rej"))
    updated = tree_bytes(project)
    differ = sorted(
        name for name in updated.keys() | expected.keys() if updated.get(name) != expected.get(name)
    )
    assert differ == [], f"the update differs from a fresh copy with the team's edits: {differ}"


@pytest.mark.parametrize("answer", ["fastapi", "none", None])
def test_an_older_project_takes_the_service_through_copier_update(
    kit: Path, tmp_path: Path, answer: str | None
) -> None:
    project = made_before_serving(kit, tmp_path / "project")
    update_project(project, {"serving": answer} if answer else {}, version=TEST_VERSION)
    # Without -d, a migration keeps the project as it was: no service, no dev container.
    chosen = answer or "none"
    assert answers_of(project)["serving"] == chosen
    assert answers_of(project)["devcontainer"] is False
    assert all(
        (project / name).is_file() == (chosen == "fastapi") for name in serving_files(project)
    )
    answers = {"serving": chosen, "devcontainer": False}
    expected = fresh_with_team_edits(kit, tmp_path / "fresh", answers)
    # params.yaml is the team's: the 0.1.0 migrations keep it training the forest it had.
    expected["params.yaml"] = as_migrated(expected["params.yaml"].decode()).encode()
    assert_updated_cleanly(project, expected)
