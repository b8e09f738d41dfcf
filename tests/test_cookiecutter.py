"""The cookiecutter entry point: cookiecutter asks copier.yml's questions, copier renders.

The fast tests check what cookiecutter is given (cookiecutter.json, derived defaults, the
source copier records). The slow ones run `cookiecutter` as a user does (`_skip_tasks=yes`
where trees are compared: the copy tasks add git history, uv.lock and pipeline outputs
that differ between any two runs) and compare its output with copier's, file by file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from jinja2.sandbox import SandboxedEnvironment

from copier_mlops.cookiecutter.render import HookFailed, copier_source

from cookiecutter_json import COOKIECUTTER_JSON, cookiecutter_json
from support import KIT_ROOT, TEST_VERSION, commit_all, fake_uv, git, questions, render, run

NON_DEFAULT = {
    "project_name": "Pingüino ML 2",
    "description": "Classify penguin species from body measurements.",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
    "license": "proprietary",
    "python_version": "3.13",
}


@pytest.fixture(scope="module", autouse=True)
def cookiecutter_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep cookiecutter's clones and replay files out of the user's home."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yml"
    config.write_text(
        f"cookiecutters_dir: {home / 'templates'}\nreplay_dir: {home / 'replay'}\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        yield


def cookiecutter(
    source: str,
    output: Path,
    answers: dict[str, Any] | None = None,
    *options: str,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`cookiecutter --no-input <source> key=value ...` into output, as a user runs it."""
    pairs = [f"{key}={value}" for key, value in (answers or {}).items()]
    command = [python, "-m", "cookiecutter", "--no-input", f"--output-dir={output}", *options]
    return subprocess.run(
        [*command, source, *pairs],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
    )


def made_by_cookiecutter(
    source: str,
    output: Path,
    answers: dict[str, Any] | None = None,
    *options: str,
    cwd: Path | None = None,
) -> Path:
    """The single project folder a successful cookiecutter run made in output."""
    answers = {**(answers or {}), "_skip_tasks": "yes"}
    result = cookiecutter(source, output, answers, *options, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    (project,) = output.iterdir()
    return project


def tree(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file under root (outside .git): its content and whether it is executable."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), os.access(path, os.X_OK))
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def recorded(project: Path) -> dict[str, Any]:
    """The project's .copier-answers.yml."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def test_cookiecutter_json_matches_copier_yml() -> None:
    committed = COOKIECUTTER_JSON.read_text(encoding="utf-8")
    assert committed == cookiecutter_json(), (
        "cookiecutter.json is stale: run `uv run python tools/cookiecutter_json.py`"
    )


@pytest.mark.parametrize(
    "project_name", ["My ML Project", "Pingüino ML 2", "  2 Fast -- Models!! ", "ÅSA", "x"]
)
def test_cookiecutter_derives_defaults_as_copier_does(
    project_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(KIT_ROOT))  # where cookiecutter finds `_extensions`
    context = generate_context(str(COOKIECUTTER_JSON), extra_context={"project_name": project_name})
    asked = prompt_for_config(context, no_input=True)
    copier_jinja = SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
    )
    derived: dict[str, Any] = {"project_name": project_name}
    for name, spec in questions().items():
        default = spec["default"]
        if name not in derived:
            derived[name] = (
                copier_jinja.from_string(default).render(derived)
                if isinstance(default, str)
                else default
            )
        # copier casts an answer to its question's type; cookiecutter keeps numbers as text.
        cast = {"int": int, "float": float}.get(spec.get("type", "str"), lambda value: value)
        assert cast(asked[name]) == derived[name], name


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://github.com/org/copier-mlops", "https://github.com/org/copier-mlops"),
        ("git@example.org:org/copier-mlops.git", "git@example.org:org/copier-mlops.git"),
        ("gh:org/copier-mlops", "gh:org/copier-mlops"),
        (
            "https://git.example.org/org/copier-mlops",
            "git+https://git.example.org/org/copier-mlops",
        ),
        ("git+file:///srv/copier-mlops", "git+file:///srv/copier-mlops"),
        ("../copier-mlops", "/abs/copier-mlops"),
        ("copier-mlops", "/abs/copier-mlops"),
    ],
)
def test_copier_records_urls_as_given_and_folders_absolute(template: str, source: str) -> None:
    assert copier_source(template, "/abs/copier-mlops") == source


@pytest.mark.parametrize("template", ["copier-mlops.zip", "hg+https://example.org/kit"])
def test_sources_copier_cannot_update_from_are_refused(template: str) -> None:
    with pytest.raises(HookFailed, match="git"):
        copier_source(template, "/abs/copier-mlops")


@pytest.mark.slow
def test_default_answers_give_copiers_project(
    kit: Path, default_project: Path, tmp_path: Path
) -> None:
    # The kit given as a relative path is recorded absolute, as copier update needs it.
    project = made_by_cookiecutter(kit.name, tmp_path, cwd=kit.parent)
    assert project.name == "my-ml-project"
    assert tree(project) == tree(default_project)  # default_project: copier given str(kit)
    assert recorded(project)["_src_path"] == str(kit)
    assert recorded(project)["_commit"] == TEST_VERSION


@pytest.mark.slow
def test_non_default_answers_give_copiers_project(kit: Path, tmp_path: Path) -> None:
    project = made_by_cookiecutter(str(kit), tmp_path / "cookiecutter", NON_DEFAULT)
    expected = render(kit, tmp_path / "copier" / project.name, NON_DEFAULT)
    assert project.name == "ping-ino-ml-2"  # derived by copier.yml's own expression
    assert tree(project) == tree(expected)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        (("package_name", "json"), "package_name 'json' would shadow the standard-library module"),
        # No slug derives from it: cookiecutter would have no folder name, copier refuses.
        (("project_name", "123"), "project_slug must start with a lowercase letter"),
        # A byte that is not UTF-8 on the command line reaches copier through the bridge's
        # answers file (JSON escapes it), and is refused there as under copier.
        (("author_name", os.fsdecode(b"Ada\xe9")), "author_name must be UTF-8 text"),
        (("project_slug", "con"), "project_slug 'con' is a device name on Windows"),
    ],
)
def test_refused_answer_is_one_message_and_leaves_nothing(
    kit: Path, tmp_path: Path, answer: tuple[str, str], refusal: str
) -> None:
    question, value = answer
    result = cookiecutter(str(kit), tmp_path, {question: value, "_skip_tasks": "yes"})
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert printed.count(refusal) == 1, printed
    assert "Traceback" not in printed
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_without_copier_one_line_says_what_to_install(kit: Path, tmp_path: Path) -> None:
    venv = tmp_path / "cookiecutter-only"
    run(tmp_path, "uv", "venv", "--quiet", str(venv))
    run(
        tmp_path,
        "uv",
        "pip",
        "install",
        "--quiet",
        f"--python={venv / 'bin' / 'python'}",
        f"cookiecutter=={version('cookiecutter')}",
    )
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "copier").exists()]
    output = tmp_path / "output"
    output.mkdir()
    result = cookiecutter(
        str(kit),
        output,
        python=str(venv / "bin" / "python"),
        env={**os.environ, "PATH": os.pathsep.join(path)},
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("copier-mlops:")]
    assert result.returncode != 0
    assert len(lines) == 1, result.stdout + result.stderr
    assert "copier, which is not installed" in lines[0]
    assert "pip install copier" in lines[0]
    assert list(output.iterdir()) == []


@pytest.mark.slow
def test_copy_tasks_run_as_under_copier(kit: Path, tmp_path: Path) -> None:
    fake_bin = fake_uv(tmp_path / "fake-bin", "echo 'no network' >&2; exit 3").parent
    output = tmp_path / "output"
    output.mkdir()
    result = cookiecutter(
        str(kit),
        output,
        env={**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stderr
    assert "setup stopped: `uv sync --quiet` exited 3" in result.stdout
    project = output / "my-ml-project"
    assert git(project, "rev-parse", "--show-toplevel").strip() == str(project)


@pytest.mark.slow
def test_without_hooks_a_note_says_nothing_was_rendered(kit: Path, tmp_path: Path) -> None:
    result = cookiecutter(str(kit), tmp_path, None, "--accept-hooks=no")
    assert result.returncode == 0, result.stderr
    (note,) = (tmp_path / "my-ml-project").iterdir()
    assert note.name == "NOT_RENDERED.md"
    assert "copier copy --trust" in note.read_text(encoding="utf-8")


@pytest.mark.slow
def test_copier_updates_a_cookiecutter_project_to_a_newer_tag(kit: Path, tmp_path: Path) -> None:
    releases = tmp_path / "copier-mlops"
    git(tmp_path, "clone", "--quiet", str(kit), str(releases))
    url = f"git+file://{releases}"
    project = made_by_cookiecutter(url, tmp_path / "output", None, f"--checkout={TEST_VERSION}")
    assert recorded(project)["_src_path"] == url
    assert recorded(project)["_commit"] == TEST_VERSION
    commit_all(project)

    readme = releases / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nNew in 999.1.0.\n", encoding="utf-8")
    git(releases, "commit", "--quiet", "--all", "-m", "README line")
    git(releases, "tag", "999.1.0")

    run(project, sys.executable, "-m", "copier", "update", "--trust", "--defaults")
    assert recorded(project)["_commit"] == "999.1.0"
    assert (project / "README.md").read_text(encoding="utf-8").endswith("\nNew in 999.1.0.\n")
    assert 'rev: "999.1.0"' in (project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    changed = git(project, "status", "--porcelain").splitlines()
    assert sorted(changed) == [
        " M .copier-answers.yml",
        " M .pre-commit-config.yaml",
        " M README.md",
    ]
