"""cookiecutter's post-generation hook: render the kit through copier, in place.

cookiecutter has asked the questions of cookiecutter.json (derived from copier.yml) and
created the project's folder; this runs `copier copy --trust` into that folder with those
answers, so the project is exactly what copier makes and copier can update it later.

It runs under cookiecutter's Python, so it uses the standard library only. It exits
non-zero on any failure, so cookiecutter deletes the folder it created: nothing
half-written is left.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# What cookiecutter renders from its template folder; it only shows when hooks are off.
PLACEHOLDER = "NOT_RENDERED.md"
INSTALL_COPIER = (
    "cookiecutter renders this kit through copier, which is not installed: install it "
    "beside cookiecutter (`pipx inject cookiecutter copier`, or `pip install copier`), "
    "or run `uvx --with copier cookiecutter <kit>`"
)
# What cookiecutter clones rather than reads from disk (its own test), and what copier
# takes for a git URL as it is; other URLs copier reads as git once prefixed with `git+`.
REPOSITORY_URL = re.compile(r"^((git|hg)\+)?(git|ssh|file|https?):|^\w[\w.-]*@[\w.-]+:")
COPIER_ABBREVIATIONS = ("gh:", "gl:")
COPIER_GIT_URLS = ("git@", "git://", "git+", "https://github.com/", "https://gitlab.com/")


class HookFailed(Exception):
    """The project cannot be rendered; the message says why and what to do."""


def say(message: str) -> None:
    """Hook output on stderr, where cookiecutter's and copier's own messages go."""
    print(message, file=sys.stderr, flush=True)


def copier_command() -> list[str]:
    """How to run copier: beside cookiecutter (same Python), else from PATH."""
    if importlib.util.find_spec("copier") is not None:
        return [sys.executable, "-m", "copier"]
    on_path = shutil.which("copier")
    if on_path:
        return [on_path]
    raise HookFailed(INSTALL_COPIER)


def copier_source(template: str, kit_root: str) -> str:
    """What copier renders from, and so records as `_src_path` for `copier update`.

    A repository URL stays as the user gave it to cookiecutter (with `git+` in front
    where copier needs it to know git). A local folder becomes its absolute path:
    copier resolves a relative `_src_path` against the folder `copier update` runs in.
    """
    if template.lower().endswith(".zip"):
        raise HookFailed(
            f"{template} is a zip file, but copier renders and updates from a git "
            "repository: give cookiecutter the kit's repository URL or a git clone of it"
        )
    if template.startswith(COPIER_ABBREVIATIONS):
        return template
    if not REPOSITORY_URL.match(template):
        return kit_root
    if template.startswith("hg+"):
        raise HookFailed(f"{template} is a Mercurial repository; copier reads git only")
    if template.endswith(".git") or template.startswith(COPIER_GIT_URLS):
        return template
    return f"git+{template}"


def answers(context: dict[str, Any]) -> dict[str, Any]:
    """The questions' answers: cookiecutter's own keys start with an underscore."""
    return {key: value for key, value in context.items() if not key.startswith("_")}


def copier_copy(
    command: Sequence[str], source: str, project: Path, context: dict[str, Any], data: Path
) -> list[str]:
    """`copier copy` of source into project with the answers in data (a YAML file)."""
    options = ["copy", "--trust", "--defaults", f"--data-file={data}"]
    if context.get("_checkout"):
        options.append(f"--vcs-ref={context['_checkout']}")
    if context.get("_skip_tasks"):
        options.append("--skip-tasks")
    return [*command, *options, source, str(project)]


def run_copier(arguments: Sequence[str]) -> int:
    """Run copier, showing its output as it comes, but a failure as its message alone.

    copier reports a refused answer (or any error) as a Python traceback ending in the
    message; the traceback says nothing to a cookiecutter user, so it is held back.
    """
    held: list[str] = []
    with subprocess.Popen(arguments, stderr=subprocess.PIPE, text=True) as process:
        for line in process.stderr or []:
            if held or line.startswith("Traceback (most recent call last)"):
                held.append(line)
            else:
                sys.stderr.write(line)
    code = process.returncode
    if code != 0 and held:
        raise HookFailed(last_error(held))
    return code


def last_error(traceback: Sequence[str]) -> str:
    """The message of the exception a traceback ends with, without its type's name."""
    lines = [line.rstrip() for line in traceback if line.strip()]
    frames_end = max((i for i, line in enumerate(lines) if line[:1].isspace()), default=0)
    message = "\n".join(lines[frames_end + 1 :]) or "copier failed"
    return re.sub(r"^[\w.]+: ", "", message)


def render(context: dict[str, Any], kit_root: str, project: Path) -> int:
    """Empty cookiecutter's folder, then render the kit into it with copier."""
    source = copier_source(str(context.get("_template", kit_root)), kit_root)
    command = copier_command()
    (project / PLACEHOLDER).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="copier-mlops-") as scratch:
        data = Path(scratch) / "answers.yml"
        data.write_text(json.dumps(answers(context)), encoding="utf-8")  # JSON is YAML
        return run_copier(copier_copy(command, source, project, context, data))


def main(context_json: str, kit_root: str) -> int:
    """Entry point for hooks/post_gen_project.py: cookiecutter's context as JSON."""
    try:
        return render(json.loads(context_json), kit_root, Path.cwd())
    except HookFailed as failure:
        say(f"copier-mlops: {failure}")
        return 1
