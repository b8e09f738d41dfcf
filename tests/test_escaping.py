"""Any answer is either refused by its validator or rendered into files that parse back to it.

Property tests: arbitrary Unicode, mixed with the characters each format treats specially
(quotes, backslashes, DVC's `${...}`, YAML's `#` and `:`, Markdown links and HTML, control
characters), is fed to every free-text question. A refusal must come from that question's
validator; an accepted answer must come back unchanged from every place it is stored.
The escaping itself lives in includes/escape.jinja.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from support import render, tree_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SPECIAL = [
    '"', "'", "\\", "${x}", "${HOME}", "\\${x}", "#", ": ", "- ", "[x](missing.md)",
    "<b>", "&amp;", "`", "*", "_", "{", "}", "!", "|", "\n", "\t", "\x7f", "\x85", "1. ", "+",
    "\u2028", " ", "é", "ü", "\U0001f427", "\ufeff",
]  # fmt: skip
# Every character but surrogates, which no YAML, TOML or terminal can carry.
ANY_CHARACTER = st.characters(exclude_categories=("Cs",))
TEXT = st.lists(st.one_of(st.text(ANY_CHARACTER, max_size=6), st.sampled_from(SPECIAL)), max_size=8)
# Without what every validator refuses (control characters, line and paragraph separators,
# whitespace at either end), so that most examples render and are read back.
PRINTABLE = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x85")
CLEAN_PIECES = st.one_of(
    st.text(PRINTABLE, max_size=6), st.sampled_from([s for s in SPECIAL if s.isprintable()])
)
CLEAN = st.lists(CLEAN_PIECES, min_size=1, max_size=8).map("".join).map(str.strip).filter(bool)
ANY_TEXT = TEXT.map("".join)
FREE_TEXT = st.one_of(CLEAN, CLEAN, ANY_TEXT)
# Mostly well-formed emails (any local part without spaces or `@`), so that accepted
# ones are rendered too.
LOCAL_PART = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")), min_size=1),
        st.sampled_from(['"', "\\", "${x}", "#", "[x](y)", "'"]),
    ),
    min_size=1,
    max_size=5,
).map("".join)
# What the package build accepts (an ASCII dot-atom name part), the specials included.
DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,6}"
EMAIL = st.one_of(
    ANY_TEXT,
    st.from_regex(rf"{DOT_ATOM}([.]{DOT_ATOM}){{0,3}}@example[.]com", fullmatch=True),
    st.builds(lambda local: f"{local}@example.com", LOCAL_PART.filter(lambda s: "@" not in s)),
    st.builds(lambda local: f"{local}@example.com", LOCAL_PART.filter(lambda s: "@" not in s)),
    st.builds(lambda local: f"{local}@example.com\n", LOCAL_PART),
)
SLUG = st.one_of(
    ANY_TEXT,
    st.from_regex(r"[a-z][a-z0-9-]{0,70}\n?", fullmatch=True),
    st.from_regex(r"[a-z]([a-z0-9]{0,9}-){0,8}[a-z0-9]{1,9}", fullmatch=True),
)
PACKAGE = st.one_of(
    ANY_TEXT,
    st.from_regex(r"[a-z][a-z0-9_]{0,50}\n?", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True),
)
STRATEGIES = {
    # Led by a word, so that the project_slug derived from it is mostly valid.
    "project_name": st.one_of(
        FREE_TEXT,
        st.builds("{} {}".format, st.from_regex(r"[A-Z][a-z]{0,8}", fullmatch=True), CLEAN),
    ),
    "description": FREE_TEXT,
    "author_name": FREE_TEXT,
    "author_email": EMAIL,
    "project_slug": SLUG,
    "package_name": PACKAGE,
}
PARSERS = {".yml": yaml.safe_load, ".yaml": yaml.safe_load, ".toml": tomllib.loads}
PARSERS[".json"] = json.loads
# DVC interpolates `${...}` not preceded by a backslash, then turns every `\${` into `${`
# (dvc/parsing/interpolate.py).
DVC_INTERPOLATION = re.compile(r"(?<!\\)\$\{.*?\}")
# What includes/escape.jinja's markdown_text escapes: a backslash before these...
MARKDOWN_ESCAPED = set("\\`*_{}[]()>#!|")
# ...and before these where they would start a list or a rule...
MARKDOWN_LINE_START = re.compile(r"^([-+]|[0-9]+[.])")
# ...and these as entities.
MARKDOWN_ENTITIES = {"&amp;": "&", "&lt;": "<"}


def markdown_plain_text(markdown: str) -> str:
    """The text an escaped Markdown fragment shows; fails on any unescaped syntax."""
    assert not MARKDOWN_LINE_START.match(markdown), f"starts a list: {markdown!r}"
    shown, index = [], 0
    while index < len(markdown):
        character = markdown[index]
        if character == "\\":
            escaped = markdown[index + 1 : index + 2]
            assert escaped in MARKDOWN_ESCAPED | set("-+."), f"stray backslash in {markdown!r}"
            shown.append(escaped)
            index += 2
        elif character == "&":
            entity = next((e for e in MARKDOWN_ENTITIES if markdown.startswith(e, index)), None)
            assert entity, f"unescaped & in {markdown!r}"
            shown.append(MARKDOWN_ENTITIES[entity])
            index += len(entity)
        else:
            assert character not in MARKDOWN_ESCAPED | {"<"}, f"unescaped {character!r}"
            shown.append(character)
            index += 1
    return "".join(shown)


# The answers whose defaults derive from a question: a project_name without a letter
# leaves the derived project_slug empty, which its validator refuses.
DERIVED = {"project_name": ["project_slug", "package_name"], "project_slug": ["package_name"]}


def render_or_refuse(kit: Path, parent: Path, question: str, value: str) -> Path | None:
    """Render with one answer into parent; None when the validator of it (or of a default
    derived from it) refuses it."""
    destination = parent / "project"
    try:
        return render(kit, destination, {question: value})
    except ValueError as error:
        refusal = str(error)
    judges = [question, *DERIVED.get(question, [])]
    assert any(f"Validation error for question '{q}'" in refusal for q in judges), refusal
    assert "e.g." in refusal, f"the refusal gives no example: {refusal}"
    assert not destination.exists(), "a refused answer must leave nothing behind"
    return None


def parsed_files(project: Path) -> dict[str, Any]:
    """Every TOML, YAML and JSON file of the project, parsed (a failure names the file)."""
    parsed = {}
    for relative, content in tree_bytes(project).items():
        parser = PARSERS.get(Path(relative).suffix)
        if parser:
            try:
                parsed[relative] = parser(content.decode("utf-8"))
            except Exception as error:
                pytest.fail(f"{relative} does not parse: {error}")
    return parsed


def stored_values(project: Path) -> dict[str, dict[str, Any]]:
    """Where each answer is stored, read back the way its reader reads it."""
    files = parsed_files(project)
    answers = files[".copier-answers.yml"]
    meta = files["pyproject.toml"]["project"]
    mkdocs = files["mkdocs.yml"]
    slug = answers["project_slug"]
    desc = files["dvc.yaml"]["artifacts"][slug]["desc"]
    assert not DVC_INTERPOLATION.search(desc), f"DVC would interpolate in {desc!r}"
    readme = (project / "README.md").read_text(encoding="utf-8").splitlines()
    index = (project / "docs" / "index.md").read_text(encoding="utf-8").splitlines()
    return {
        "project_name": {
            "answers file": answers["project_name"],
            "mkdocs site_name": mkdocs["site_name"],
            "README title": markdown_plain_text(readme[0].removeprefix("# ")),
            "docs title": markdown_plain_text(index[0].removeprefix("# ")),
        },
        "description": {
            "answers file": answers["description"],
            "pyproject description": meta["description"],
            "mkdocs site_description": mkdocs["site_description"],
            "dvc.yaml artifact desc": desc.replace("\\${", "${"),
            "README": markdown_plain_text(readme[2]),
            "docs index": markdown_plain_text(index[2]),
        },
        "author_name": {
            "answers file": answers["author_name"],
            "pyproject authors": meta["authors"][0]["name"],
        },
        "author_email": {
            "answers file": answers["author_email"],
            "pyproject authors": meta["authors"][0]["email"],
        },
        "project_slug": {"answers file": slug, "pyproject name": meta["name"]},
        "package_name": {
            "answers file": answers["package_name"],
            "package folder": next(p.name for p in (project / "src").iterdir()),
        },
    }


@pytest.mark.parametrize("question", list(STRATEGIES))
def test_any_answer_is_refused_or_stored_exactly(kit: Path, question: str) -> None:
    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(value=STRATEGIES[question])
    def property_(value: str) -> None:
        with tempfile.TemporaryDirectory(prefix="escaping-") as parent:
            project = render_or_refuse(kit, Path(parent), question, value)
            event("refused" if project is None else "rendered")
            if project is not None:
                for place, stored in stored_values(project)[question].items():
                    assert stored == value, f"{question} {value!r} reads back from {place}"
                if question == "author_email":  # how the package build reads it
                    Address(display_name="Ada", addr_spec=value)

    property_()


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("project_name", 'A [x](missing.md) & <b>${HOME}</b> #1 \\ "q"'),
        ("description", "Uses ${HOME}, \\${x}, `code`, *em*, key: value # not a comment"),
        ("author_name", 'O\'Brien "Q" \\ [a](b)'),
        ("author_email", "o'brien+ml#1{x}|${y}~`^@example.com"),
        ("project_name", "Pingüino 🐧 ML"),
        ("description", "1. Classify, 2. serve"),
        ("description", "- a machine-learning pipeline + a report."),
        ("project_name", "NULL"),  # slug `null`: a YAML keyword as dvc.yaml's artifact key
        ("project_name", "True"),
    ],
)
def test_answers_with_special_characters_read_back_exactly(
    kit: Path, tmp_path: Path, question: str, value: str
) -> None:
    project = render_or_refuse(kit, tmp_path, question, value)
    assert project is not None, f"{value!r} must be accepted"
    for place, stored in stored_values(project)[question].items():
        assert stored == value, f"{question} {value!r} reads back from {place} as {stored!r}"
