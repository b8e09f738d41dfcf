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
    ("package_name", "plotly", ["'plotly' would shadow the commonly installed module"]),
    # pandas arrives with compute=dask: a module the project installs.
    ("package_name", "pandas", ["'pandas' would shadow a module the project installs"]),
    ("description", "", ["description must not be empty", "e.g."]),
    ("author_name", "", ["author_name must not be empty", "e.g."]),
    ("author_email", "not-an-email", ["name@domain.tld", 'got "not-an-email"']),
    ("author_email", "ada@localhost", ["name@domain.tld", "e.g. ada@example.com"]),
    ("author_email", "ada lovelace@example.com", ["name@domain.tld"]),
    # A trailing newline slipped past `$`; control characters broke TOML and YAML.
    ("project_name", "Penguins\n", ["must be one line", "e.g. Penguin Classifier"]),
    ("project_name", "Pen\tguins", ["without control characters", "e.g."]),
    ("project_name", "Pen\x7fguins", ["DEL or C1", "e.g."]),
    ("project_name", "Pen\x85guins", ["DEL or C1", "e.g."]),
    ("project_name", "Pen\x00guins", ["without control characters", "e.g."]),
    ("project_name", "Pen\u2028guins", ["must be one line", "e.g."]),
    ("project_name", " Penguins", ["must not start or end with whitespace", "e.g."]),
    ("project_name", "P" * 81, ["at most 80 characters", "e.g.", "got 81 characters"]),
    ("project_slug", "penguins\n", ["single hyphens", "e.g. penguin-classifier"]),
    ("project_slug", "p" * 61, ["at most 60 characters", "e.g. penguin-classifier"]),
    ("project_slug", "p" * 300, ["at most 60 characters", "got 300 characters"]),
    ("package_name", "penguins\n", ["lowercase Python identifier", "e.g. penguin_classifier"]),
    ("package_name", "p" * 41, ["at most 40 characters", "e.g. penguin_classifier"]),
    ("package_name", "p" * 300, ["at most 40 characters", "got 300 characters"]),
    ("description", "Uses ${HOME}\n", ["description must be one line", "e.g."]),
    ("description", "Penguins\x1b[31m", ["without control characters", "e.g."]),
    ("description", "Penguins ", ["must not start or end with whitespace", "e.g."]),
    ("description", "d" * 301, ["at most 300 characters", "e.g."]),
    ("author_name", "Ada\n", ["author_name must be one line", "e.g. Ada Lovelace"]),
    ("author_name", "Ada\x9bLovelace", ["DEL or C1", "e.g. Ada Lovelace"]),
    ("author_name", "A" * 101, ["at most 100 characters", "e.g. Ada Lovelace"]),
    # git names the first commit's author with it, and refuses a name of only these.
    ("author_name", "<>", ["character other than spaces and", 'got "<>"']),
    ("author_name", "'...'", ["as git names the first commit's author", "e.g. Ada Lovelace"]),
    ("author_email", "ada@example.com\n", ["name@domain.tld", "e.g. ada@example.com"]),
    ("author_email", "ada\x7f@example.com", ["without spaces or control characters"]),
    ("author_email", "a" * 243 + "@example.com", ["at most 254 characters", "e.g."]),
    # The package build (hatchling, through Python's email.headerregistry) refuses a name
    # part that is not an ASCII dot-atom: `uv sync` failed on these.
    ("author_email", 'o"brien@example.com', ["its name part in ASCII", "e.g. ada@example.com"]),
    ("author_email", "o\\brien@example.com", ["build refuses quotes, backslashes"]),
    ("author_email", "zoë@example.com", ["accented letters", 'got "zoë@example.com"']),
    ("author_email", "ada..lovelace@example.com", ["single dots", "e.g. ada@example.com"]),
    ("author_email", "ada(x)@example.com", ["name@domain.tld", "e.g. ada@example.com"]),
]
# Names of modules the generated project installs (includes/installed_modules.jinja):
# its package would shadow them (`click` gave "No module named 'click.pipeline'").
SHADOWING = ["click", "conftest", "material", "hydra", "packaging", "tqdm", "pre_commit"]
BAD_ANSWERS += [
    ("package_name", name, [f"'{name}' would shadow a module the project installs", "e.g."])
    for name in [*SHADOWING, "importlinter", "yaml", "sklearn", "dvc", "polars"]
]

# dvc_remote_url, checked against the dvc_remote it comes with: (dvc_remote, bad URL, words)
BAD_REMOTE_URLS = [
    ("s3", "gs://team-data/x", ["must be s3://BUCKET/FOLDER", 'got "gs://team-data/x"']),
    ("s3", "s3://Team_Data/x", ["S3 bucket name", "e.g. s3://team-data/penguins"]),
    ("s3", "s3://ab", ["3 to 63", "or empty, to set it later"]),
    ("s3", "s3://team-data/my data", ["a folder of letters, digits"]),
    ("s3", "s3://team-data/a#b", ["a folder of letters, digits"]),
    ("s3", "s3://team-data/x\n", ["must be s3://BUCKET/FOLDER"]),
    ("s3", "https://team-data.s3.amazonaws.com/x", ["must be s3://BUCKET/FOLDER"]),
    ("gcs", "s3://team-data/x", ["must be gs://BUCKET/FOLDER", "Cloud Storage bucket"]),
    ("gcs", "gs://-team/x", ["starting and ending with a letter or digit"]),
    ("azure", "azure://team--data/x", ["must be azure://CONTAINER/FOLDER", "single hyphens"]),
    ("azure", "azure://team_data", ["Azure container name"]),
    ("local", "s3://team-data/x", ["with dvc_remote=local leave it empty"]),
]
# (the other answers given, the question refused, its bad value, words the refusal must contain)
CASES = [({}, question, value, words) for question, value, words in BAD_ANSWERS] + [
    ({"dvc_remote": remote}, "dvc_remote_url", url, words) for remote, url, words in BAD_REMOTE_URLS
]


@pytest.mark.parametrize(
    ("given", "question", "value", "expected"),
    CASES,
    ids=[
        "".join(f"{name}={answer}," for name, answer in given.items())
        + f"{question}={value[:40]!r}"
        for given, question, value, _ in CASES
    ],
)
def test_bad_answer_is_refused_with_its_rule(
    kit: Path,
    tmp_path: Path,
    given: dict[str, str],
    question: str,
    value: str,
    expected: list[str],
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=f"question '{question}'") as refusal:
        render(kit, destination, {**given, question: value})
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
        ("project_name", 'A [x](missing.md) & <b>${HOME}</b> #1 \\ "q"'),
        ("project_name", "P" * 80),
        ("project_slug", "p" * 60),
        ("package_name", "p" * 40),
        ("description", 'Uses ${HOME}: #1, \\${x}, "quotes" and [links](missing.md)'),
        ("description", "d" * 300),
        ("author_name", 'O\'Brien "Q" \\'),
        ("author_email", "o'brien+ml#1{x}|${y}~`^@example.com"),
    ],
)
def test_the_examples_in_the_messages_are_accepted(
    kit: Path, tmp_path: Path, question: str, value: str
) -> None:
    project = render(kit, tmp_path / "project", {question: value})
    assert (project / ".copier-answers.yml").is_file()
