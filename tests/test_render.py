"""Rendering: every choice value renders, outputs parse, no Jinja leaks, output is stable."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import choice_values, commit_all, git, questions, render, tree_bytes, update_project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def answer_matrix() -> list[dict[str, Any]]:
    """Default answers, plus enough cases that every choice value renders at least once."""
    choices = {name: choice_values(spec) for name, spec in questions().items() if "choices" in spec}
    widest = max(len(values) for values in choices.values())
    cases = [
        {name: values[i % len(values)] for name, values in choices.items()} for i in range(widest)
    ]
    return [{}, *cases]


def _case_id(answers: dict[str, Any]) -> str:
    return "-".join(f"{value}" for value in answers.values()) or "defaults"


@pytest.fixture(scope="module", params=answer_matrix(), ids=_case_id)
def rendered(request: pytest.FixtureRequest, kit: Path, tmp_path_factory: pytest.TempPathFactory):
    answers = request.param
    return answers, render(kit, tmp_path_factory.mktemp("matrix") / "project", answers)


def test_matrix_covers_every_choice_value() -> None:
    for name, spec in questions().items():
        covered = {case.get(name, spec["default"]) for case in answer_matrix()}
        assert set(choice_values(spec) or [spec["default"]]) <= covered, name


def test_answers_file_records_the_answers(rendered) -> None:
    answers, project = rendered
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert set(questions()) <= set(recorded)
    assert {name: recorded[name] for name in answers} == answers
    assert recorded["_commit"] == "999.0.0"


PARSERS = {
    ".yml": yaml.safe_load,
    ".yaml": yaml.safe_load,
    ".toml": tomllib.loads,
    ".json": json.loads,
}


def test_structured_files_parse(rendered) -> None:
    _, project = rendered
    checked = 0
    for relative, content in tree_bytes(project).items():
        parser = PARSERS.get(Path(relative).suffix)
        if parser:
            try:
                parser(content.decode("utf-8"))
            except Exception as error:
                pytest.fail(f"{relative} does not parse: {error}")
            checked += 1
    assert checked >= 2  # at least pyproject.toml and .copier-answers.yml


# `${{ ... }}` is GitHub Actions' own expression syntax, not Jinja.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#|\.jinja\b")


def test_no_jinja_left_in_names_or_content(rendered) -> None:
    _, project = rendered
    for relative, content in tree_bytes(project).items():
        assert not LEFTOVER_JINJA.search(relative), relative
        assert '"' not in relative, f"{relative}: quotes are invalid in Windows file names"
        text = content.decode("utf-8", errors="replace")
        leftover = LEFTOVER_JINJA.search(text)
        assert not leftover, f"{relative}: unrendered Jinja near {text[leftover.start() :][:60]!r}"


def test_text_files_end_with_one_newline_and_no_trailing_spaces(rendered) -> None:
    _, project = rendered
    for relative, content in tree_bytes(project).items():
        text = content.decode("utf-8")
        assert text.endswith("\n"), f"{relative}: no final newline"
        assert not text.endswith("\n\n"), f"{relative}: blank lines at the end"
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), f"{relative}: trailing whitespace"


def test_rendering_twice_gives_identical_trees(kit: Path, tmp_path: Path) -> None:
    answers = answer_matrix()[-1]
    first = render(kit, tmp_path / "first", answers)
    second = render(kit, tmp_path / "second", answers)
    assert tree_bytes(first) == tree_bytes(second)


def test_noop_update_leaves_git_status_clean(kit: Path, tmp_path: Path) -> None:
    project = render(kit, tmp_path / "project", answer_matrix()[-1])
    commit_all(project)
    update_project(project)
    assert git(project, "status", "--porcelain") == ""
