"""pre-commit hook `copier-answers-intact`: .copier-answers.yml is copier's, never hand-edited.

copier update replays the project's history from this file; a hand edit (a renamed key, a
value copier would never write, a leftover conflict) makes the next update silently wrong.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from copier_mlops.precommit.strict_yaml import YamlFileError, loads_strict

DEFAULT_ANSWERS_FILE = ".copier-answers.yml"
REQUIRED_KEYS = ("_commit", "_src_path")
HOOK_ID = "copier-answers-intact"
# The kit's copier.yml, shipped in the copier_mlops package (pyproject.toml, force-include): when
# pre-commit installed the hook from the kit at the rev the answers record, these are the
# questions of that exact kit version, even when the kit is only reachable at a URL.
PACKAGED_COPIER_YML = "copier.yml"
# git's markers, and the ones copier writes on `copier update --conflict inline`.
CONFLICT_MARKER = re.compile(r"^(<<<<<<<|=======$|>>>>>>>|\|\|\|\|\|\|\|)", re.MULTILINE)
HOW_TO_CHANGE = (
    "Fix: restore the file (`git checkout -- {answers}`), then change answers only through "
    "copier: `copier update --trust -d key=value` (add `--vcs-ref=:current:` to keep the "
    "template version)."
)
# Set while git runs a hook; they would point `git -C <template>` back at this repository.
REPOSITORY_GIT_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX",
)  # fmt: skip


@dataclass
class TemplateQuestions:
    """What the template at `_commit` asks: names, which are always recorded, and choices."""

    names: set[str]
    always_recorded: set[str] = field(default_factory=set)
    choices: dict[str, list[Any]] = field(default_factory=dict)
    multiselect: set[str] = field(default_factory=set)


def structural_problems(text: str) -> tuple[list[str], dict[str, Any] | None]:
    """Checks that need no template: markers, YAML, duplicates, required keys, value shapes."""
    marker = CONFLICT_MARKER.search(text)
    if marker:
        line = text.count("\n", 0, marker.start()) + 1
        return [f"line {line}: merge conflict marker {marker.group(1)!r}; resolve it"], None
    try:
        answers = loads_strict(text)
    except YamlFileError as error:
        return [str(error)], None
    if not isinstance(answers, dict):
        return [f"must be a mapping of answers, got {type(answers).__name__}"], None
    problems = []
    for key in REQUIRED_KEYS:
        value = answers.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} is missing or empty: copier update cannot find the template")
    commit = answers.get("_commit")
    if isinstance(commit, str) and commit.strip() and not is_revision(commit):
        problems.append(
            f"_commit: {commit!r} is not a tag or commit copier records (it starts with '-' "
            "or holds spaces or control characters)"
        )
    for key, value in answers.items():
        if not isinstance(key, str):
            problems.append(f"key {key!r} is not a string: copier only writes question names")
        elif not _is_answer_value(value):
            problems.append(
                f"{key}: a {type(value).__name__} is not a value copier records "
                "(scalars and lists of scalars only)"
            )
    return problems, answers


def is_revision(value: str) -> bool:
    """A value git can only read as a revision: never an option, never two words."""
    return not value.startswith("-") and not re.search(r"[\s\x00-\x1f\x7f]", value)


def _is_answer_value(value: Any) -> bool:
    scalar = (str, int, float, bool, type(None))
    if isinstance(value, list):
        return all(isinstance(item, scalar) for item in value)
    return isinstance(value, scalar)


def questions_from_copier_yml(text: str) -> TemplateQuestions | None:
    """The questions of a copier.yml; None when it cannot be read without copier (!include)."""
    if "!include" in text:
        return None
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError:
        return None
    if not all(isinstance(doc, dict) for doc in documents):
        return None
    config: dict[str, Any] = {}
    for document in documents:  # copier merges multi-document copier.yml files in order
        config.update(document)
    questions = TemplateQuestions(names=set())
    for name, spec in config.items():
        if not isinstance(name, str) or name.startswith("_"):
            continue
        questions.names.add(name)
        spec = spec if isinstance(spec, dict) else {}  # `name: default` shorthand
        if "when" not in spec and not spec.get("secret"):
            questions.always_recorded.add(name)
        values = _literal_choice_values(spec.get("choices"))
        if values is not None:
            questions.choices[name] = values
            if spec.get("multiselect"):
                questions.multiselect.add(name)
    return questions


def _literal_choice_values(choices: Any) -> list[Any] | None:
    """Choice values when they are literal; None when templated (only copier can render)."""
    if isinstance(choices, dict):
        values = [v.get("value") if isinstance(v, dict) else v for v in choices.values()]
    elif isinstance(choices, list):
        values = [v[1] if isinstance(v, list) and len(v) == 2 else v for v in choices]
    else:
        return None
    if any(isinstance(v, str) and ("{{" in v or "{%" in v) for v in values):
        return None
    return values


def questions_from_git(src_path: Path, commit: str) -> TemplateQuestions | None:
    """Read copier.yml (or copier.yaml) of a local template repository at commit."""
    for name in ("copier.yml", "copier.yaml"):
        shown = _git(src_path, ["show"], f"{commit}:{name}")
        if shown.returncode == 0:
            return questions_from_copier_yml(shown.stdout)
    return None


def names_a_commit(src_path: Path, commit: str) -> bool:
    """Whether the template repository has the tag or commit that `_commit` names."""
    verified = _git(src_path, ["rev-parse", "--verify", "--quiet"], f"{commit}^{{commit}}")
    return verified.returncode == 0


def is_git_repository(path: Path) -> bool:
    return _git(path, ["rev-parse", "--git-dir"]).returncode == 0


def _git(
    repository: Path, command: list[str], value: str | None = None
) -> subprocess.CompletedProcess[str]:
    """git in another repository. `--end-of-options` before the value read from a file: it is
    never an option, whatever it holds (`--output=...` would make `git show` write a file)."""
    tail = [] if value is None else ["--end-of-options", value]
    return subprocess.run(
        ["git", "-C", str(repository), *command, *tail],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
        env=_env_without_repository(),
    )


def packaged_questions() -> TemplateQuestions | None:
    """The questions in the copier.yml shipped with this package, if it was built with one."""
    shipped = resources.files("copier_mlops").joinpath(PACKAGED_COPIER_YML)
    if not shipped.is_file():
        return None
    return questions_from_copier_yml(shipped.read_text(encoding="utf-8"))


def installed_rev(config: Path) -> str | None:
    """The rev pre-commit installed this hook from, per the project's .pre-commit-config.yaml."""
    try:
        repos = yaml.safe_load(config.read_text(encoding="utf-8")).get("repos", [])
    except (OSError, yaml.YAMLError, AttributeError):
        return None
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks", []) if isinstance(repo, dict) else []
        if any(isinstance(hook, dict) and hook.get("id") == HOOK_ID for hook in hooks):
            rev = repo.get("rev")
            return str(rev) if rev is not None else None
    return None


def _env_without_repository() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in REPOSITORY_GIT_VARIABLES}


def template_problems(answers: dict[str, Any], questions: TemplateQuestions) -> list[str]:
    """Answer keys and choice values that the template at `_commit` would never record."""
    recorded = {key for key in answers if not key.startswith("_")}
    problems = [
        f"{key}: not a question of the template at _commit (renamed by hand, or a typo)"
        for key in sorted(recorded - questions.names)
    ]
    problems += [
        f"{key}: the template always records this question, but the answer is missing"
        for key in sorted(questions.always_recorded - recorded)
    ]
    for key, values in sorted(questions.choices.items()):
        if key not in answers:
            continue
        given = answers[key]
        items = given if key in questions.multiselect and isinstance(given, list) else [given]
        for item in items:
            if item not in values:
                allowed = ", ".join(repr(v) for v in values)
                problems.append(f"{key}: {item!r} is not one of the template's choices ({allowed})")
    return problems


def local_template_path(src: str, answers_file: Path) -> Path | None:
    """The template folder `_src_path` names when it is local (relative to the project)."""
    if not src or "://" in src or src.startswith(("gh:", "gl:", "git@")):
        return None
    local = Path(src).expanduser()
    if not local.is_absolute():
        local = answers_file.resolve().parent / local
    return local if local.is_dir() else None


class QuestionsUnavailable(Exception):
    """`_commit` names nothing in the local template repository `_src_path` names."""


def resolve_questions(
    answers: dict[str, Any], answers_file: Path, listed: Sequence[str]
) -> tuple[TemplateQuestions | None, str]:
    """Find the recorded questions offline; also say where they came from (or why not).

    In order: the local template repository at `_commit`; the copier.yml shipped with this
    hook when pre-commit installed it from the kit at `_commit`; the --questions list.
    """
    src = str(answers.get("_src_path", ""))
    commit = str(answers.get("_commit", ""))
    local = local_template_path(src, answers_file)
    if local is not None and is_git_repository(local):
        questions = questions_from_git(local, commit)
        if questions is not None:
            return questions, f"copier.yml of {src} at {commit}"
        if not names_a_commit(local, commit):
            raise QuestionsUnavailable(
                f"_commit: {commit!r} names no tag or commit in the template repository "
                f"{src}; it was edited by hand, or the project was generated from "
                "uncommitted template changes (then update from a committed template: "
                "`copier update --trust --vcs-ref=<tag>`)"
            )
    config = Path(".pre-commit-config.yaml")
    if installed_rev(config) == commit and (questions := packaged_questions()) is not None:
        return questions, f"the kit's copier.yml at {commit}, installed by pre-commit"
    if listed:
        return TemplateQuestions(names=set(listed)), "the --questions list"
    return None, (
        "note: answer keys not compared with the template's questions: no local git "
        f"repository at _src_path {src!r} holds copier.yml at _commit {commit!r}, and "
        f"{config} installs this hook at another rev; pass --questions to compare offline"
    )


def check_answers_file(answers_file: Path, listed: Sequence[str]) -> tuple[list[str], str]:
    """All problems in one answers file, and a note on how its questions were found."""
    if not answers_file.is_file():
        return [
            "not found; generate the project with copier, or point --answers-file at the "
            "answers file"
        ], ""
    text = answers_file.read_text(encoding="utf-8")
    problems, answers = structural_problems(text)
    if answers is None or problems:
        return problems, ""
    try:
        questions, source = resolve_questions(answers, answers_file, listed)
    except QuestionsUnavailable as error:
        return [str(error)], ""
    if questions is None:
        return [], source
    return template_problems(answers, questions), f"questions from {source}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="copier-answers-intact", description=__doc__)
    parser.add_argument(
        "--answers-file",
        action="append",
        dest="answers_files",
        metavar="PATH",
        help=f"copier answers file to check; repeat for several (default: {DEFAULT_ANSWERS_FILE})",
    )
    parser.add_argument(
        "--questions",
        action="append",
        default=[],
        metavar="NAMES",
        help="comma-separated question names the template records, used when the template "
        "is not a local git repository",
    )
    parser.add_argument("filenames", nargs="*", help="ignored: the answers files are checked")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Check every answers file; print each problem and how to change answers properly."""
    args = parse_args(argv)
    listed = [name.strip() for group in args.questions for name in group.split(",")]
    listed = [name for name in listed if name]
    failed = False
    for name in args.answers_files or [DEFAULT_ANSWERS_FILE]:
        problems, note = check_answers_file(Path(name), listed)
        if problems:
            failed = True
            print(f"{name}: edited by hand or broken; copier update relies on it:")
            print("\n".join(f"  {problem}" for problem in problems))
            print(f"  {HOW_TO_CHANGE.format(answers=name)}")
        elif note.startswith("note:"):
            print(f"{name}: {note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
