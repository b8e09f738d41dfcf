"""Bad answers are refused with a message naming the rule and a good example; nothing is left."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import copier_cli, render

# (question, bad value, words the refusal must contain)
BAD_ANSWERS = [
    ("project_name", "", ["must not be empty", "e.g."]),
    ("project_name", "   ", ["must not be empty", "e.g."]),
    ("project_slug", "", ["must start with a lowercase letter", "e.g. penguin-classifier"]),
    ("project_slug", "my project", ["no spaces", "got 'my project'"]),
    ("project_slug", "MyProject", ["lowercase", "got 'MyProject'"]),
    ("project_slug", "2fast", ["must start with a lowercase letter", "got '2fast'"]),
    ("project_slug", "double--hyphen", ["single hyphens", "got 'double--hyphen'"]),
    ("package_name", "my-package", ["lowercase Python identifier", "e.g. penguin_classifier"]),
    ("package_name", "1st_model", ["lowercase Python identifier", "got '1st_model'"]),
    ("package_name", "class", ["'class' is a Python keyword", "e.g. penguin_classifier"]),
    ("package_name", "import", ["'import' is a Python keyword"]),
    ("package_name", "json", ["'json' would shadow the standard-library module"]),
    ("package_name", "test", ["'test' would shadow the commonly installed module"]),
    ("package_name", "pandas", ["'pandas' would shadow the commonly installed module"]),
    ("description", "", ["description must not be empty", "e.g."]),
    ("author_name", "", ["author_name must not be empty", "e.g."]),
    ("author_email", "not-an-email", ["name@domain.tld", "got 'not-an-email'"]),
    ("author_email", "ada@localhost", ["name@domain.tld", "e.g. ada@example.com"]),
    ("author_email", "ada lovelace@example.com", ["name@domain.tld"]),
]


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    BAD_ANSWERS,
    ids=[f"{question}={value!r}" for question, value, _ in BAD_ANSWERS],
)
def test_bad_answer_is_refused_with_its_rule(
    kit: Path, tmp_path: Path, question: str, value: str, expected: list[str]
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=f"question '{question}'") as refusal:
        render(kit, destination, {question: value})
    for words in expected:
        assert words in str(refusal.value)
    assert not destination.exists(), "a refused answer must not leave a half-written project"


def test_cli_refusal_names_the_rule_and_leaves_nothing(kit: Path, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    result = copier_cli(kit, destination, "--data=package_name=json")
    assert result.returncode != 0
    assert "'json' would shadow the standard-library module" in result.stderr
    assert not destination.exists()


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("project_slug", "penguin-classifier"),
        ("package_name", "penguin_classifier"),
        ("author_email", "ada.lovelace+ml@example.co.uk"),
        ("project_name", "Pingüino ML"),
    ],
)
def test_the_examples_in_the_messages_are_accepted(
    kit: Path, tmp_path: Path, question: str, value: str
) -> None:
    project = render(kit, tmp_path / "project", {question: value})
    assert (project / ".copier-answers.yml").is_file()
