"""copier-answers-intact: the answers file is copier's; hand edits are caught offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from copier_mlops.precommit import copier_answers_intact as intact
from copier_mlops.precommit.copier_answers_intact import (
    check_answers_file,
    installed_rev,
    main,
    names_a_commit,
    questions_from_copier_yml,
    questions_from_git,
    structural_problems,
)

from support import questions

ANSWERS = ".copier-answers.yml"


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    """A private copy of the default render, whose answers point at the tagged kit."""
    return shutil.copytree(default_project, tmp_path / "project")


def edit_answers(project: Path, **changes: object) -> Path:
    """Edit the answers file as a person would (the comment header is kept)."""
    path = project / ANSWERS
    text = path.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    answers = yaml.safe_load(text)
    for key, value in changes.items():
        if value is None:
            answers.pop(key)
        else:
            answers[key] = value
    path.write_text(header + yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    return path


def test_answers_copier_wrote_pass_against_the_kit_at_their_commit(project: Path) -> None:
    problems, note = check_answers_file(project / ANSWERS, [])
    assert problems == []
    assert note.startswith("questions from copier.yml of ")
    assert note.endswith("at 999.0.0")


def test_a_key_renamed_by_hand_is_named(project: Path) -> None:
    answers = yaml.safe_load((project / ANSWERS).read_text(encoding="utf-8"))
    edit_answers(project, package_name=None, package=answers["package_name"])
    problems, _ = check_answers_file(project / ANSWERS, [])
    assert any(p.startswith("package: not a question of the template") for p in problems)
    assert any(p.startswith("package_name: the template always records") for p in problems)


def test_a_choice_value_copier_would_not_write_is_named(project: Path) -> None:
    edit_answers(project, license="GPL-3.0")
    problems, _ = check_answers_file(project / ANSWERS, [])
    assert len(problems) == 1
    assert "license: 'GPL-3.0' is not one of the template's choices" in problems[0]


def test_every_kit_question_is_read_from_the_template(project: Path) -> None:
    text = (Path(__file__).parents[1] / "copier.yml").read_text(encoding="utf-8")
    found = questions_from_copier_yml(text)
    assert found is not None
    assert found.names == set(questions())


def test_message_explains_how_to_change_an_answer(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_answers(project, license="GPL-3.0")
    monkeypatch.chdir(project)
    assert main([]) == 1
    out = capsys.readouterr().out
    assert f"{ANSWERS}: edited by hand or broken" in out
    assert "copier update --trust -d key=value" in out
    assert f"git checkout -- {ANSWERS}" in out


def test_git_variables_of_the_running_hook_do_not_redirect_the_template_lookup(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git exports GIT_DIR and GIT_INDEX_FILE to hooks; they belong to the project repo."""
    monkeypatch.setenv("GIT_DIR", str(project / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(project / ".git" / "index"))
    problems, note = check_answers_file(project / ANSWERS, [])
    assert problems == []
    assert "at 999.0.0" in note


@pytest.mark.parametrize("key", ["_commit", "_src_path"])
def test_missing_template_reference_is_refused(key: str) -> None:
    text = "_commit: v1.0.0\n_src_path: gh:org/kit\nproject_name: X\n"
    kept = "".join(line + "\n" for line in text.splitlines() if not line.startswith(key))
    problems, _ = structural_problems(kept)
    assert problems == [f"{key} is missing or empty: copier update cannot find the template"]


def test_conflict_markers_are_refused_with_their_line() -> None:
    text = (
        "_commit: v1\n_src_path: gh:o/k\n<<<<<<< before updating\nlicense: MIT\n=======\n"
        "license: Apache-2.0\n>>>>>>> after updating\n"
    )
    problems, _ = structural_problems(text)
    assert problems == ["line 3: merge conflict marker '<<<<<<<'; resolve it"]


def test_duplicate_keys_are_refused() -> None:
    problems, _ = structural_problems("_commit: v1\n_src_path: x\nlicense: MIT\nlicense: BSD\n")
    assert len(problems) == 1
    assert "duplicate key 'license' on lines 3 and 4" in problems[0]


def test_a_nested_mapping_is_not_an_answer_copier_records() -> None:
    problems, _ = structural_problems("_commit: v1\n_src_path: x\nlicense:\n  name: MIT\n")
    assert problems == [
        "license: a dict is not a value copier records (scalars and lists of scalars only)"
    ]


def test_a_remote_template_is_skipped_with_a_note(tmp_path: Path) -> None:
    answers = tmp_path / ANSWERS
    answers.write_text("_commit: v1.2.0\n_src_path: gh:org/kit\nanything: 1\n", encoding="utf-8")
    problems, note = check_answers_file(answers, [])
    assert problems == []
    assert "not compared" in note
    assert "--questions" in note


def test_questions_given_as_args_catch_unknown_keys_offline(tmp_path: Path) -> None:
    answers = tmp_path / ANSWERS
    answers.write_text(
        "_commit: v1.2.0\n_src_path: https://example.com/kit.git\nproject_name: X\nlisence: MIT\n",
        encoding="utf-8",
    )
    assert main(["--answers-file", str(answers), "--questions", "project_name,license"]) == 1
    problems, _ = check_answers_file(answers, ["project_name", "license"])
    assert problems == [
        "lisence: not a question of the template at _commit (renamed by hand, or a typo)"
    ]


def test_a_commit_the_local_template_does_not_have_is_refused(project: Path) -> None:
    """A hand-edited _commit, or one from uncommitted template changes, cannot be checked."""
    edit_answers(project, _commit="0.0.0-1-gdeadbee")
    problems, _ = check_answers_file(project / ANSWERS, [])
    assert len(problems) == 1
    assert problems[0].startswith(
        "_commit: '0.0.0-1-gdeadbee' names no tag or commit in the template repository"
    )
    assert "copier update --trust --vcs-ref=<tag>" in problems[0]


def test_a_commit_that_is_an_option_is_refused_and_never_reaches_git(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = tmp_path / "planted"
    edit_answers(project, _commit=f"--output={planted}")
    monkeypatch.chdir(project)
    assert main([]) == 1
    assert not planted.exists()
    problems, _ = check_answers_file(project / ANSWERS, [])
    assert problems == [
        f"_commit: '--output={planted}' is not a tag or commit copier records (it starts "
        "with '-' or holds spaces or control characters)"
    ]
    # The git calls themselves end options before the value, whatever reaches them.
    src_path = Path(yaml.safe_load((project / ANSWERS).read_text(encoding="utf-8"))["_src_path"])
    assert questions_from_git(src_path, f"--output={planted}") is None
    assert not names_a_commit(src_path, f"--output={planted}")
    assert not planted.exists()


def test_a_kit_at_a_url_is_checked_with_the_copier_yml_pre_commit_installed(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit installs the hook from the kit at the config's rev, copier.yml included."""
    answers = yaml.safe_load((project / ANSWERS).read_text(encoding="utf-8"))
    edit_answers(project, _src_path="https://example.com/org/copier-mlops.git", license="GPL")
    kit_questions = questions_from_copier_yml(
        (Path(answers["_src_path"]) / "copier.yml").read_text(encoding="utf-8")
    )
    monkeypatch.setattr(intact, "packaged_questions", lambda: kit_questions)
    monkeypatch.chdir(project)
    assert installed_rev(project / ".pre-commit-config.yaml") == answers["_commit"]
    assert main([]) == 1
    assert "license: 'GPL' is not one of the template's choices" in capsys.readouterr().out

    # Installed from another rev, the shipped questions may not be the recorded ones.
    edit_answers(project, _commit="0.0.1")
    assert main([]) == 0
    assert "installs this hook at another rev" in capsys.readouterr().out


def test_a_missing_answers_file_fails_with_the_fix(tmp_path: Path) -> None:
    problems, _ = check_answers_file(tmp_path / ANSWERS, [])
    assert problems == [
        "not found; generate the project with copier, or point --answers-file at the answers file"
    ]


def test_conditional_and_secret_questions_may_be_absent() -> None:
    found = questions_from_copier_yml(
        "_subdirectory: t\nname: x\nci:\n  when: false\n  default: none\ntoken:\n  secret: true\n"
    )
    assert found is not None
    assert found.names == {"name", "ci", "token"}
    assert found.always_recorded == {"name"}


def test_templated_choices_are_not_checked() -> None:
    found = questions_from_copier_yml(
        "py:\n  choices: '{{ versions }}'\nlic:\n  choices:\n    MIT: MIT\n    Other: '{{ x }}'\n"
        "os:\n  choices: [linux, mac]\n  multiselect: true\n"
    )
    assert found is not None
    assert found.choices == {"os": ["linux", "mac"]}
    assert found.multiselect == {"os"}


def test_a_copier_yml_with_includes_is_not_guessed() -> None:
    assert questions_from_copier_yml("!include shared/questions.yml\n---\nname: x\n") is None
