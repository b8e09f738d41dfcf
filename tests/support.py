"""Helpers the kit's tests share: the kit's questions, git, rendering through copier, ports."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from copier import Settings, VcsRef, run_update

# tools/kit.py, shared with the maintainer tools; re-exported for the tests.
from kit import (  # noqa: F401
    COPIER_YML,
    KIT_ROOT,
    TEST_VERSION,
    choice_values,
    git,
    kit_config,
    questions,
    render,
    snapshot_kit,
)

# `_exclude` entries of copier.yml that apply on update only: the seed-once paths.
SEED_ONCE_ENTRY = re.compile(r"^\{% if _copier_operation == 'update' %\}(.+)\{% endif %\}$")
ANSWERS_FILE = ".copier-answers.yml"


def seed_once_paths() -> list[str]:
    """Paths rendered on copy only (copier.yml `_exclude` on update)."""
    entries = [SEED_ONCE_ENTRY.match(entry) for entry in kit_config().get("_exclude", [])]
    return [entry.group(1) for entry in entries if entry]


def user_owned_paths() -> list[str]:
    """Paths the team owns but the project needs (copier.yml `_skip_if_exists`)."""
    return list(kit_config().get("_skip_if_exists", []))


def managed_files(project: Path) -> list[str]:
    """The rendered files `copier update` merges: all but seed-once, user-owned, answers."""
    others = {*seed_once_paths(), *user_owned_paths(), ANSWERS_FILE}
    return [name for name in tree_bytes(project) if name not in others]


def copier_cli(
    kit: Path, destination: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`copier copy --trust --defaults` of the kit at TEST_VERSION, as a user runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            f"--vcs-ref={TEST_VERSION}",
            *options,
            str(kit),
            str(destination),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def update_project(
    project: Path,
    answers: dict[str, Any] | None = None,
    *,
    version: str | VcsRef = VcsRef.CURRENT,
    conflict: Literal["inline", "rej"] = "inline",
) -> None:
    """Run copier update on project, by default at the version it already records."""
    run_update(
        project,
        data=answers or {},
        vcs_ref=version,
        conflict=conflict,
        defaults=True,
        overwrite=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
        settings=Settings(),
    )


def run(cwd: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in cwd, capturing output; on failure show it in the assertion."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode} in {cwd}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def doc_commands(project: Path, page: str) -> list[str]:
    """The commands a generated docs page shows: its bash blocks' lines, then inline ones."""
    text = (project / "docs" / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    inline = [" ".join(code.split()) for code in re.findall(r"`(uv run\s[^`]+)`", prose)]
    return [line for block in blocks for line in block.splitlines() if line.strip()] + inline


def commit_all(project: Path, message: str = "generated") -> None:
    """Make project a git repo (if needed) and commit everything in it."""
    if not (project / ".git").exists():
        git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", message)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root (outside .git) by relative path, with its content."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def copy_project(source: Path, destination: Path) -> Path:
    """A copy of a set-up generated project (git, DVC cache, data, outputs) at destination.

    Faster than setting up another clone. Everything is copied as it is except `.venv`,
    whose scripts name their own location; `uv sync --frozen` rebuilds it from uv's cache.
    """
    shutil.copytree(source, destination, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    run(destination, "uv", "sync", "--frozen", "--quiet")
    return destination


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    project: Path, output: Path, environment: Mapping[str, str] | None = None
) -> Iterator[str]:
    """The project's service (`uv run nox -s serve`) on a free loopback port: its URL.

    Its output goes to `output`; on leaving it is stopped as Ctrl+C stops it.
    """
    port = free_port()
    command = ["uv", "run", "--frozen", "nox", "-s", "serve", "--", "--port", str(port)]
    with output.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=project,
            env={**os.environ, **(environment or {})},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
    try:
        while True:
            assert process.poll() is None, output.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, output.read_text(encoding="utf-8")
            try:
                urllib.request.urlopen(f"{url}/health", timeout=5).close()  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl+C: the service writes what waits
        process.wait(timeout=60)


def python_bin_dir(version: str) -> Path:
    """The folder of an installed, working CPython `version`, found without downloading.

    uv finds it when it is on PATH; otherwise pyenv's versions are tried, since a pyenv shim
    for a version that is installed but not selected fails, and uv then stops looking.
    """
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    found = subprocess.run(
        ["uv", "python", "find", version], capture_output=True, text=True, check=False, env=env
    )
    candidates = [Path(found.stdout.strip())] if found.returncode == 0 else []
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = Path(run(Path.cwd(), pyenv, "root").stdout.strip())
        installed = (root / "versions").glob(f"{version}.*/bin/python{version}")
        candidates += sorted(installed, key=lambda p: [int(n) for n in p.parts[-3].split(".")])
    for candidate in candidates:
        probe = [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        ran = subprocess.run(probe, capture_output=True, text=True, check=False)
        if ran.returncode == 0 and ran.stdout.strip() == version:
            return candidate.parent
    raise AssertionError(
        f"no working Python {version} found (`uv python find {version}`: "
        f"{(found.stdout + found.stderr).strip()}). The kit's tests run every "
        f"python_version the kit offers on an installed interpreter and download none: "
        f"install CPython {version} (`pyenv install {version}`, the system's package, or "
        f"`uv python install {version}` where uv may download it)"
    )


def fake_uv(bin_dir: Path, script: str) -> Path:
    """A `uv` in bin_dir that runs script, except `uv python ...`, which the real uv runs:
    the copy task's first step, looking for the project's Python, then gets as far as the
    steps a test fails on purpose."""
    real_uv = shutil.which("uv")
    bin_dir.mkdir(parents=True, exist_ok=True)
    uv = bin_dir / "uv"
    python = f'if [ "$1" = python ]; then exec "{real_uv}" "$@"; fi'
    uv.write_text(f"#!/bin/sh\n{python}\n{script}\n", encoding="utf-8")
    uv.chmod(0o755)
    return uv
