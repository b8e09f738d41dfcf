"""The kit's maintenance tasks. CI runs `lint`, `compat` and `e2e`; see README."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
DEMO_DIR = ROOT / ".demo" / "my-ml-project"
DEMO_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "copier-mlops demo",
    "GIT_AUTHOR_EMAIL": "demo@example.com",
    "GIT_COMMITTER_NAME": "copier-mlops demo",
    "GIT_COMMITTER_EMAIL": "demo@example.com",
}

nox.options.default_venv_backend = "uv"
# One pytest worker per core; tests sharing a module's fixture share a worker (conftest).
XDIST = ("-n", "auto")
nox.options.sessions = ["lint", "tests"]


def _sync(session: nox.Session, *groups: str) -> None:
    """Install the pinned dependency groups (and the hooks package) into the session's venv."""
    session.run_install(
        "uv",
        "sync",
        "--no-default-groups",
        *(f"--group={g}" for g in groups),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def _min_copier_version() -> str:
    """copier.yml's `_min_copier_version`: the one place the floor is written."""
    text = (ROOT / "copier.yml").read_text(encoding="utf-8")
    found = re.search(r"^_min_copier_version:\s*[\"']?([\w.]+)", text, re.MULTILINE)
    if not found:
        raise RuntimeError("copier.yml: _min_copier_version is missing")
    return found.group(1)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format-check the kit's Python code with ruff."""
    _sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """The fast suite: everything that does not install or run a generated project."""
    _sync(session, "test")
    session.run("pytest", "-m", "not slow", *XDIST, *session.posargs)


@nox.session
def compat(session: nox.Session) -> None:
    """The fast suite on the oldest copier that copier.yml accepts."""
    _sync(session, "test")
    session.run_install(
        "uv",
        "pip",
        "install",
        f"copier=={_min_copier_version()}",
        env={"VIRTUAL_ENV": session.virtualenv.location},
        external=True,
    )
    session.run("pytest", "-m", "not slow", *XDIST, *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """The full suite, slow tests included (generated projects installed and run).

    One worker per core (pytest-xdist); tests that share a module's fixture run in one
    worker (tests/conftest.py). `-- -n 0` runs them in one process.
    """
    _sync(session, "test")
    session.run("pytest", *XDIST, *session.posargs)


@nox.session
def benchmark(session: nox.Session) -> None:
    """Measure the generated pipeline at scale: `nox -s benchmark -- --rows 5000000`."""
    _sync(session, "bench")
    session.run("python", "benchmarks/pipeline_scale.py", *session.posargs)


@nox.session(name="benchmark-train")
def benchmark_train(session: nox.Session) -> None:
    """Time each model's `train` against the one-core forest: `-- --rows 2000000`."""
    _sync(session, "bench")
    session.run("python", "benchmarks/train_scale.py", *session.posargs)


@nox.session(name="benchmark-monitor")
def benchmark_monitor(session: nox.Session) -> None:
    """Drift monitoring on a batch of N rows vs reading it whole: `-- --rows 20000000`."""
    _sync(session, "bench")
    session.run("python", "benchmarks/monitor_scale.py", *session.posargs)


@nox.session(name="benchmark-first-green")
def benchmark_first_green(session: nox.Session) -> None:
    """Time to first green, the project's tests, a no-op repro, against their targets."""
    _sync(session, "bench")
    session.run("python", "benchmarks/first_green.py", *session.posargs)


@nox.session(name="benchmark-serving")
def benchmark_serving(session: nox.Session) -> None:
    """Measure the generated HTTP service against in-process scoring: p50/p99, rows/s."""
    _sync(session, "bench")
    session.run("python", "benchmarks/serving.py", *session.posargs)


@nox.session(name="benchmark-daily-loop")
def benchmark_daily_loop(session: nox.Session) -> None:
    """A commit's hooks, `uv run nox`, a no-op repro on a project (`-- --project PATH`)."""
    _sync(session, "bench")
    session.run("python", "benchmarks/daily_loop.py", *session.posargs)


@nox.session(name="benchmark-hooks")
def benchmark_hooks(session: nox.Session) -> None:
    """Time dvc-pipeline-fresh against the bare `dvc status` it asks (`-- --project PATH`)."""
    _sync(session, "test")
    session.run("python", "benchmarks/hook_speed.py", *session.posargs)


@nox.session
def readme(session: nox.Session) -> None:
    """Regenerate what is derived from copier.yml: README's options table, cookiecutter.json."""
    _sync(session, "test")
    session.run("python", "tools/options_table.py")
    session.run("python", "tools/cookiecutter_json.py")


@nox.session(name="reserved-names")
def reserved_names(session: nox.Session) -> None:
    """Regenerate includes/installed_modules.jinja: the package names that would shadow a
    module the generated project installs. Reads the default project's environment, made
    afresh (uv sync from uv's cache), or a project or venv given: `-- /path/to/project`."""
    _sync(session, "test")
    session.run("python", "tools/reserved_names.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Render a project with the default answers from this checkout and run it end to end.

    The work tree is committed to a tagged snapshot first (as the tests do), so the
    project's pin of the kit's hooks resolves. The copy tasks set the project up (uv sync,
    DVC, first commit, `nox -s setup`, which runs the pipeline); then every check the
    project's CI runs. Pass a folder to render elsewhere: `nox -s demo -- /tmp/my-project`.
    """
    _sync(session, "test")
    target = Path(session.posargs[0]).resolve() if session.posargs else DEMO_DIR
    snapshot = target.with_name(f"{target.name}-kit-snapshot")
    for previous in (target, snapshot):
        if previous.exists():
            session.log(f"Removing the previous demo's {previous}")
            shutil.rmtree(previous)
    session.log(f"Committing this work tree to a tagged snapshot in {snapshot}")
    tag = session.run(
        "python",
        "-c",
        "import sys; from pathlib import Path; sys.path.insert(0, 'tools');"
        "from kit import snapshot_kit, TEST_VERSION;"
        "snapshot_kit(Path(sys.argv[1])); print(TEST_VERSION)",
        str(snapshot),
        env=DEMO_GIT_IDENTITY,
        silent=True,
    ).strip()
    session.log(f"Rendering the default answers into {target}")
    session.run(
        "copier",
        "copy",
        "--trust",
        "--defaults",
        f"--vcs-ref={tag}",
        str(snapshot),
        str(target),
    )
    session.log("Running the generated project's checks: uv run nox")
    session.run(
        "uv",
        "run",
        "--directory",
        str(target),
        "nox",
        external=True,
        env={"VIRTUAL_ENV": None, "UV_PROJECT_ENVIRONMENT": None, "UV_PYTHON": None},
    )
    session.log(f"Demo project ready and green: {target}")
