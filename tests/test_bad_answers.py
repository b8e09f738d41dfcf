"""Bad answers are refused with a message naming the rule and a good example; nothing is left."""

from __future__ import annotations

import inspect
import ntpath
import os
import re
import site
import unicodedata
from pathlib import Path, PureWindowsPath

import jinja2
import pytest

from support import KIT_ROOT, copier_cli, render

# (question, bad value, words the refusal must contain)
BAD_ANSWERS = [
    ("project_name", "", ["must not be empty", "e.g."]),
    ("project_name", "   ", ["must not be empty", "e.g."]),
    ("project_slug", "", ["must start with a lowercase letter", "e.g. penguin-classifier"]),
    ("project_slug", "my project", ["no spaces", 'got "my project"']),
    ("project_slug", "MyProject", ["lowercase", 'got "MyProject"']),
    ("project_slug", "2fast", ["must start with a lowercase letter", 'got "2fast"']),
    ("project_slug", "double--hyphen", ["single hyphens", 'got "double--hyphen"']),
    ("package_name", "my-package", ["lowercase Python identifier", "e.g. penguin_classifier"]),
    ("package_name", "1st_model", ["lowercase Python identifier", 'got "1st_model"']),
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

# A byte that is not UTF-8 on the command line reaches copier as a lone surrogate
# (surrogateescape): writing it crashed copier with UnicodeEncodeError.
EXAMPLES = {
    "project_name": "Penguin Classifier",
    "project_slug": "penguin-classifier",
    "package_name": "penguin_classifier",
    "description": "Classify penguin species",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.com",
}
BAD_ANSWERS += [
    (
        question,
        f"{example[:3]}\udce9{example[3:]}",
        [
            f"{question} must be UTF-8 text",
            "at character 4",
            "byte 0xXX shows as \\udcXX",
            "got a byte that is not UTF-8",
        ],
    )
    for question, example in EXAMPLES.items()
]
# Bidirectional controls make a name display in another order than it is stored.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BAD_ANSWERS += [
    (
        "project_name",
        f"Pen{character}guins",
        [
            "must not hold bidirectional control characters",
            f"got U+{ord(character):04X} {unicodedata.name(character)} at character 4",
            f'"Pen\\u{ord(character):04x}guins"',
        ],
    )
    for character in BIDI_CONTROLS
]
BAD_ANSWERS += [
    (
        question,
        f"{example}\u202e",
        [
            f"{question} must not hold bidirectional control characters",
            f"U+202E RIGHT-TO-LEFT OVERRIDE at character {len(example) + 1}",
            f"e.g. {example}",
        ],
    )
    for question, example in EXAMPLES.items()
]
# Windows has device names no file or folder can take; the slug and the package name
# become folders (and the slug a command: con.exe).
WINDOWS_DEVICE_NAMES = ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9"]
BAD_ANSWERS += [
    (question, name, [f"{question} '{name}' is a device name on Windows", "e.g."])
    for question in ("project_slug", "package_name")
    for name in WINDOWS_DEVICE_NAMES
]
BAD_ANSWERS += [
    ("project_slug", "CON", ["must start with a lowercase letter", 'got "CON"']),
    ("project_slug", "com\u00b9", ["lowercase letters, digits", 'got "com¹"']),
    ("project_slug", "con.txt", ["lowercase letters, digits", 'got "con.txt"']),
    ("package_name", "nul.py", ["lowercase Python identifier", 'got "nul.py"']),
]
# Modules Python imports at every start-up: the package would run each time.
BAD_ANSWERS += [
    ("package_name", name, [f"'{name}' is a module Python imports at every start-up", "e.g."])
    for name in ["sitecustomize", "usercustomize", "apport_python_hook"]
]
# A refusal shows the bad value escaped: control characters reached the terminal raw.
BAD_ANSWERS += [
    ("project_slug", "pen\x1b[2Jguins", ["single hyphens", 'got "pen\\u001b[2Jguins"']),
    ("package_name", "pen\rguins", ["lowercase Python identifier", 'got "pen\\rguins"']),
]

# What a refusal must never show raw: control characters, lone surrogates, bidi controls.
GARBLING = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff{BIDI_CONTROLS}]")

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
    ("s3", "s3://team-data/\udcff", ["dvc_remote_url must be UTF-8 text", "at character 16"]),
    ("s3", "s3://team-data/\u2067x", ["U+2067 RIGHT-TO-LEFT ISOLATE at character 16"]),
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
    message = str(refusal.value)
    for words in expected:
        assert words in message
    assert not GARBLING.search(message), f"the refusal shows the value unescaped: {message!r}"
    assert not destination.exists(), "a refused answer must not leave a half-written project"


def test_cli_refusal_names_the_rule_and_leaves_nothing(kit: Path, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    result = copier_cli(kit, destination, "--data=package_name=json")
    assert result.returncode != 0
    assert "'json' would shadow the standard-library module" in result.stderr
    assert not destination.exists()


def test_cli_refuses_a_byte_that_is_not_utf8_with_the_rule_on_the_last_line(
    kit: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    # As a terminal set to Latin-1 passes "Adaé": the byte 0xE9 alone, not UTF-8.
    option = os.fsdecode(b"--data=author_name=Ada\xe9")
    result = copier_cli(kit, destination, option)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "ValueError: Validation error for question 'author_name': author_name must be UTF-8"
        " text: set the terminal, or the answers file, to UTF-8 (e.g. Ada Lovelace); got a"
        ' byte that is not UTF-8 at character 4 (byte 0xXX shows as \\udcXX): "Ada\\udce9"'
    )
    assert "UnicodeEncodeError" not in result.stderr
    assert not destination.exists()


def _reserved_names() -> jinja2.runtime.TemplateModule:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(KIT_ROOT), autoescape=True)
    return environment.get_template("includes/reserved_names.jinja").module


def test_the_modules_site_imports_at_start_up_are_refused() -> None:
    imported = set(re.findall(r"\bimport (\w+customize)\b", inspect.getsource(site)))
    assert imported == {"sitecustomize", "usercustomize"}, "site changed: check its imports"
    assert imported <= set(_reserved_names().startup_modules)


def _windows_reserves(name: str) -> bool:
    """Python's rule: ntpath.isreserved (3.13+), else PureWindowsPath.is_reserved."""
    isreserved = getattr(ntpath, "isreserved", None)
    return bool(isreserved(name)) if isreserved else PureWindowsPath(name).is_reserved()


def test_the_windows_device_names_are_those_python_knows() -> None:
    listed = _reserved_names().windows_device_names
    candidates = {f"{stem}{digit}" for stem in ("com", "lpt") for digit in "0123456789"}
    candidates |= {"con", "prn", "aux", "nul", "conin", "conout", "clock"}
    assert sorted(listed) == sorted(name for name in candidates if _windows_reserves(name))
    assert all(_windows_reserves(f"{name.upper()}.txt") for name in listed)


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
