"""The project's one entry point for checks: CI runs these same sessions.

Run `uv run nox` for the default checks, or `uv run nox -s NAME` for one session.
Every tool comes from the locked environment (uv.lock), so local runs, git hooks and CI agree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nox

nox.options.default_venv_backend = "none"  # sessions run in the project's own uv environment
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]


# The copier that `template-update` runs: at least the kit's _min_copier_version. The kit
# owns this pin; `copier update` moves it.
COPIER = "copier>=9.17.2"
# Why a promotion is forced: the `promote` stage (pipeline/promote.py) records it.
FORCE_REASON = "PROMOTE_FORCE_REASON"


def uv_run(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    """Run a command inside the locked environment."""
    session.run("uv", "run", "--frozen", *args, external=True, env=env)


def package_name(session: nox.Session) -> str:
    """The project's import package: the one folder under src/ with an __init__.py."""
    found = sorted(path.parent.name for path in Path("src").glob("*/__init__.py"))
    if len(found) != 1:
        session.error(f"src/ must hold exactly one package; found {found or 'none'}")
    return found[0]


@nox.session
def setup(session: nox.Session) -> None:
    """Prepare a fresh clone, or finish a fresh copy: the environment, the git hooks, the
    data, and the pipeline.

    A copy's first setup (a repository with no commit yet: the copy task stopped, or ran
    with --skip-tasks) also makes the copy's two commits: what copier rendered, with the
    sample data in DVC's cache, then the pipeline's results. With DVC_REMOTE_URL set (CI
    sets it), the default DVC remote reads from that URL, in this clone only
    (.dvc/config.local).
    """
    session.run("uv", "sync", external=True)
    if not in_a_repository():
        session.run("git", "init", "--quiet", "--initial-branch=main", external=True)
    first_setup = not has_a_commit()
    uv_run(session, "pre-commit", "install")
    use_ci_remote(session)
    if first_setup:
        uv_run(session, "dvc", "add", *(str(dvc_file.with_suffix("")) for dvc_file in data_files()))
        commit_everything(
            session, f"Start {answers()['project_name']} from copier-mlops {kit_version()}"
        )
    # Fetch what the remote has, then run whatever is still missing or stale. A fresh copy
    # has everything in its cache: it asks no remote (an unreachable bucket, offline).
    if not never_reproduced():
        status = ["uv", "run", "--frozen", "dvc", "data", "status", "--json"]
        data = subprocess.run(status, capture_output=True, text=True, check=True).stdout
        if json.loads(data).get("not_in_cache"):
            uv_run(session, "dvc", "pull", "--allow-missing")
    uv_run(session, "dvc", "repro")
    if first_setup:
        commit_everything(session, "Run the pipeline once (dvc repro)")


def in_a_repository() -> bool:
    """Whether this folder is in a git repository (its own, or one that encloses it)."""
    found = subprocess.run(["git", "rev-parse", "--git-dir"], capture_output=True, check=False)
    return found.returncode == 0


def has_a_commit() -> bool:
    """Whether the repository has a commit (a clone, or a copy set up before)."""
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], capture_output=True)
    return found.returncode == 0


def data_files() -> list[Path]:
    """The `.dvc` files that track the project's own data, under data/."""
    return sorted(Path("data").rglob("*.dvc"))


def commit_everything(session: nox.Session, message: str) -> None:
    """Commit every change, if any, as git's user, or else as the project's author (its
    copier answers). Hooks are skipped: what they check was just made by the kit."""
    session.run("git", "add", "-A", external=True)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet"], check=False)
    if staged.returncode != 0:
        identity = []
        for key, answer in (("user.name", "author_name"), ("user.email", "author_email")):
            configured = subprocess.run(["git", "config", key], capture_output=True, text=True)
            if not configured.stdout.strip():
                identity += ["-c", f"{key}={answers()[answer]}"]
        commit = ["git", *identity, "commit", "--quiet", "--no-verify", "-m", message]
        session.run(*commit, external=True)


def use_ci_remote(session: nox.Session) -> None:
    """With DVC_REMOTE_URL set (CI sets it), point the default DVC remote at that URL, in
    this clone only (.dvc/config.local)."""
    if remote_url := os.environ.get("DVC_REMOTE_URL"):
        default = ["uv", "run", "--frozen", "dvc", "remote", "default"]
        remote = subprocess.run(default, capture_output=True, text=True, check=True).stdout
        uv_run(session, "dvc", "remote", "modify", "--local", remote.strip(), "url", remote_url)


def never_reproduced() -> bool:
    """A copy whose pipeline never ran (no dvc.lock), with every file a `.dvc` file tracks
    in place (as `dvc add` left it): there is nothing to pull, so no DVC process asks."""
    command = ["git", "ls-files", "-z", "--", "*.dvc"]
    listed = subprocess.run(command, capture_output=True, text=True)
    tracked = [name.removesuffix(".dvc") for name in listed.stdout.split("\0") if name]
    return (
        listed.returncode == 0
        and not Path("dvc.lock").exists()
        and all(Path(name).exists() for name in tracked)
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format-check the code; check the layer contract; no copier conflicts left."""
    uv_run(session, "ruff", "check", ".")
    uv_run(session, "ruff", "format", "--check", ".")
    uv_run(session, "lint-imports")
    if Path("Dockerfile").is_file():  # the model service's image (serving=fastapi)
        uv_run(session, "hadolint", "Dockerfile")
    # `copier update` exits 0 when it leaves conflicts: CI must catch them in any file.
    markers = ["-e", "^<<<<<<< before updating", "-e", "^>>>>>>> after updating"]
    found = subprocess.run(["git", "grep", "-n", *markers], capture_output=True, text=True)
    if found.returncode == 0:
        session.error(f"copier update left conflicts; resolve them, then commit:\n{found.stdout}")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package and its tests with mypy --strict."""
    uv_run(session, "mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the fast tests: the daily loop, seconds.

    That is tests/unit, but its tests marked `slow`; tests/integration runs pipeline
    stages, git, DVC and a server: `all-tests` runs it. One process, as the tests take
    less time than a worker's start; `-- -n auto` spreads them over the cores. Paths
    after `--` run instead of tests/unit: `-- tests/unit/test_split.py`.
    """
    named = any(Path(arg.split("::")[0]).exists() for arg in session.posargs)
    folder = [] if named else ["tests/unit"]
    uv_run(session, "pytest", *folder, "-m", "not slow", *session.posargs)
    session.log("slow tests left out: `uv run nox -s all-tests` runs every test, as CI does")


@nox.session(name="all-tests")
def all_tests(session: nox.Session) -> None:
    """Run every test, slow ones included, with coverage and its gate (.coveragerc): CI
    runs this. One worker per core; each test module runs in one worker, so its shared
    fixtures are made once. Pass `-- -n 0` for one process (e.g. to debug).
    """
    coverage = ["--cov", "--cov-report=term-missing"]
    uv_run(session, "pytest", "-n", "auto", "--dist", "loadscope", *coverage, *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation; warnings are errors."""
    # Material for MkDocs prints its end of life (May 2027) on every build. Its successor,
    # Zensical (0.1.1), ignores mkdocs hooks: the model card and the serving examples would
    # be left empty. The kit moves the docs once it runs them; `copier update` brings that.
    uv_run(session, "mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def pipeline(session: nox.Session) -> None:
    """Reproduce the DVC pipeline and show its metrics."""
    uv_run(session, "dvc", "repro", *session.posargs)
    uv_run(session, "dvc", "metrics", "show")


@nox.session
def report(session: nox.Session) -> None:
    """Diff metrics and params against a base revision; fail if a metric got worse than allowed.

    `uv run nox -s report -- origin/main` (the default base is main). How far each metric
    may get worse is set in metric-tolerances.yaml; the markdown goes to stdout and to
    reports/metrics-diff.md. CI runs this on every pull request.
    """
    uv_run(session, "python", "-m", f"{package_name(session)}.pipeline.report", *session.posargs)


@nox.session
def tune(session: nox.Session) -> None:
    """Search the model's hyperparameters on the train split (params.yaml's tune section).

    `uv run nox -s tune -- --trials 20 --apply`: the features are brought up to date
    first; the report goes to dvc.yaml's `paths.tuning`, tracked by DVC; `--apply` writes
    the best hyperparameters to params.yaml (docs/modelling.md).
    """
    uv_run(session, "dvc", "repro", "featurize")
    paths = dvc_paths()
    uv_run(
        session,
        "python",
        "-m",
        f"{package_name(session)}.pipeline.tune",
        paths["features"],
        paths["tuning"],
        *session.posargs,
    )


@nox.session
def monitor(session: nox.Session) -> None:
    """Has a batch of rows drifted from the train split? `uv run nox -s monitor -- BATCH`.

    BATCH: a raw-format file or folder, or the service's prediction log. The report goes
    to dvc.yaml's `paths.monitoring`/<batch name>/. Exits as the command does: 0 no drift,
    3 drift found, 1 the batch could not be checked (docs/monitoring.md).
    """
    # Not session.run: nox ends a failed session with status 1, and CI tells drift by its 3.
    if status := run_monitor(session, *session.posargs):
        sys.exit(status)


def run_monitor(session: nox.Session, *args: str) -> int:
    """Run the monitor on a batch (and options) against the champion; its exit status."""
    paths = dvc_paths()
    command = [
        *("uv", "run", "--frozen", "python", "-m", f"{package_name(session)}.pipeline.monitor"),
        *args,
        f"--reference={paths['prepared']}",
        f"--model={paths['champion']}",
        f"--output={paths['monitoring']}",
    ]
    session.log(" ".join(command))
    return subprocess.run(command, check=False).returncode


@nox.session
def promote(session: nox.Session) -> None:
    """Make the latest trained model the champion, whatever its metrics: `-- "why"`.

    `uv run nox -s promote -- "the old model rejects the new product codes"` reruns the
    pipeline's `promote` stage, forced; models/champion.json and reports/promotion.json
    record who forced it (git's user) and why. Commit them with dvc.lock, which now holds
    the new champion, and `uv run dvc push` (docs/production-loop.md).
    """
    reason = " ".join(session.posargs).strip()
    if not reason:
        session.error('say why after `--`: uv run nox -s promote -- "why this model"')
    uv_run(
        session, "dvc", "repro", "--force", "--single-item", "promote", env={FORCE_REASON: reason}
    )


@nox.session
def retrain(session: nox.Session) -> None:
    """Retrain on the data in the DVC remote, then summarise it: `-- SUMMARY.md`.

    Pulls the data and models; compares the newest batch of the raw data (params.yaml's
    data.raw, or its last file in path order when it is a folder) with the champion's
    train split (`monitor`); reproduces the pipeline (`promote` decides on the new model)
    and pushes what it made. The summary (the promotion decision, drift, metrics and
    params against the commit it started from) is shown and written to SUMMARY.md; CI
    runs this weekly and puts it in a pull request (docs/ci.md). Drift is news for the
    reviewer, not a failure. With DVC_REMOTE_URL set, the default remote is that URL.
    """
    output = session.posargs[0] if session.posargs else "reports/retraining.md"
    use_ci_remote(session)
    uv_run(session, "dvc", "pull", "--allow-missing")
    batch = newest_batch(Path(raw_data()))
    if run_monitor(session, str(batch)) not in (0, DRIFT_FOUND):
        session.warn(f"the monitor could not check {batch} (see above): retraining anyway")
    paths = dvc_paths()
    promotion = Path(paths["promotion"])
    decided = promotion.read_bytes() if promotion.is_file() else None
    uv_run(session, "dvc", "repro")
    uv_run(session, "dvc", "push")
    # Unchanged, the decision is the last retraining's: `promote` did not run again.
    decided_now = promotion.is_file() and promotion.read_bytes() != decided
    base = current_revision()
    METRICS_DIFF.unlink(missing_ok=True)
    package = package_name(session)
    report = ["uv", "run", "--frozen", "python", "-m", f"{package}.pipeline.report", base]
    session.log(" ".join(report))
    # A metric worse than its tolerance fails the pull request's check, not the retraining.
    subprocess.run(report, check=False)
    name = batch.stem if batch.is_file() else batch.name  # the monitor's folder for it
    uv_run(
        session,
        *("python", "-m", f"{package}.pipeline.retraining", base),
        str(Path(paths["monitoring"], name, "drift.json")),
        str(METRICS_DIFF),
        output,
        *([f"--promotion={promotion}"] if decided_now else []),
    )


DRIFT_FOUND = 3  # `monitor`'s exit status when it found drift


def newest_batch(raw: Path) -> Path:
    """The raw data's newest batch: its last file in path order, or the raw data itself."""
    if not raw.is_dir():
        return raw
    batches = sorted(p for p in raw.rglob("*") if p.suffix in (".csv", ".parquet"))
    return batches[-1] if batches else raw


# Where `report` writes its markdown.
METRICS_DIFF = Path("reports/metrics-diff.md")


def raw_data() -> str:
    """params.yaml's data.raw: the raw data the pipeline prepares."""
    import yaml  # the project's own dependency: nox runs in its environment

    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    return str(params["data"]["raw"])


def current_revision() -> str:
    """The branch checked out, or the commit when none is (GitLab CI's detached HEAD)."""
    for command in (["git", "branch", "--show-current"], ["git", "rev-parse", "--short", "HEAD"]):
        found = subprocess.run(command, capture_output=True, text=True, check=True)
        if found.stdout.strip():
            return found.stdout.strip()
    return "HEAD"


def dvc_paths() -> dict[str, str]:
    """The paths dvc.yaml names once, in its `vars`."""
    import yaml  # the project's own dependency: nox runs in its environment

    pipeline = yaml.safe_load(Path("dvc.yaml").read_text(encoding="utf-8"))
    return {name: path for entry in pipeline["vars"] for name, path in entry["paths"].items()}


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the model in service over HTTP on 127.0.0.1:8000 (docs/serving.md).

    It serves the champion (models/champion.skops); options go after `--`:
    `uv run nox -s serve -- --port 8080 --model models/model.skops`.
    """
    package = package_name(session)
    if not Path("src", package, "serving").is_dir():
        session.error(
            "this project has no HTTP service (copier answer serving=none); add it with "
            "`copier update --trust -d serving=fastapi`"
        )
    uv_run(session, "python", "-m", f"{package}.serving", "--host", "127.0.0.1", *session.posargs)


@nox.session(name="mlflow-ui")
def mlflow_ui(session: nox.Session) -> None:
    """Browse the MLflow runs and registered models on 127.0.0.1:5000 (docs/tracking.md).

    The UI is MLflow's full package, run by `uv tool run` at the project's mlflow-skinny
    version, or the newest before it that the package index can install (a full release
    lags when a package it needs is not yet published), so the project's own environment
    stays small. It reads mlflow.db, or
    the database MLFLOW_TRACKING_URI names. Options go after `--`: `-- --port 5001`.
    """
    version = "from importlib.metadata import version; print(version('mlflow-skinny'))"
    found = subprocess.run(
        ["uv", "run", "--frozen", "python", "-c", version], capture_output=True, text=True
    )
    if found.returncode != 0:
        session.error(
            "this project tracks runs with dvclive only (copier answer tracking=dvclive); "
            "add MLflow with `copier update --trust -d tracking=mlflow`"
        )
    store = os.environ.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"
    if store.startswith(("http:", "https:", "databricks")):
        session.error(f"MLFLOW_TRACKING_URI is a server: open {store} in a browser instead")
    mlflow = ["uv", "tool", "run", "--from", f"mlflow<={found.stdout.strip()}", "mlflow"]
    session.run(
        *(*mlflow, "ui", "--backend-store-uri", store, "--host", "127.0.0.1"),
        *session.posargs,
        external=True,
        env={"MLFLOW_DISABLE_TELEMETRY": os.environ.get("MLFLOW_DISABLE_TELEMETRY", "true")},
    )


def answers() -> dict[str, Any]:
    """The project's copier answers (.copier-answers.yml)."""
    import yaml  # the project's own dependency: nox runs in its environment

    loaded: dict[str, Any] = yaml.safe_load(Path(".copier-answers.yml").read_text(encoding="utf-8"))
    return loaded


def kit_version() -> str:
    """The copier-mlops version this project is at, from .copier-answers.yml."""
    answers = Path(".copier-answers.yml").read_text(encoding="utf-8")
    found = re.search(r"^_commit: *['\"]?([^'\"\s]+)", answers, re.MULTILINE)
    return found.group(1) if found else "an unknown version"


def update_summary(before: str, after: str, conflicted: list[str]) -> str:
    """The pull-request body of a template update: versions, then the conflicts, if any."""
    lines = [
        f"Updates this project from copier-mlops {before} to {after}: `copier update`,",
        "then `uv lock`, run by `uv run nox -s template-update`.",
        "",
    ]
    if not conflicted:
        return "\n".join([*lines, "No conflicts: review the changes, then merge."])
    return "\n".join(
        [
            *lines,
            f"**{len(conflicted)} file(s) with conflicts.** copier kept both sides between",
            "`<<<<<<< before updating` and `>>>>>>> after updating`; resolve each, then push.",
            "The checks fail while any marker is left.",
            "",
            *(f"- `{path}`" for path in conflicted),
        ]
    )


@nox.session(name="template-update")
def template_update(session: nox.Session) -> None:
    """Take the newest copier-mlops release: copier update, then uv lock; list conflicts.

    copier exits 0 even when it leaves conflicts, so this lists the conflicted files. The
    summary is printed, and written to the file given after `--` (CI's pull-request body).
    Nothing changes when the project is already current. Needs a clean git tree.
    """
    copier = ["uvx", "--from", COPIER, "copier"]
    before = kit_version()
    check = subprocess.run([*copier, "check-update", "--quiet"], check=False)
    if check.returncode == 0:
        summary = f"Already on the newest copier-mlops release ({before})."
    elif check.returncode == 2:  # a newer release exists
        session.run(
            *copier,
            *("update", "--trust", "--defaults", "--skip-answered", "--conflict", "inline"),
            external=True,
        )
        session.run("uv", "lock", external=True)  # pyproject.toml may have changed
        unmerged = ["git", "diff", "--name-only", "--diff-filter=U"]
        conflicted = subprocess.run(unmerged, capture_output=True, text=True, check=True)
        summary = update_summary(before, kit_version(), conflicted.stdout.split())
    else:
        session.error(f"`copier check-update` exited {check.returncode}; see its output above")
    session.log(summary)
    if session.posargs:
        Path(session.posargs[0]).write_text(summary + "\n", encoding="utf-8")
