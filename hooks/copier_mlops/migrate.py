"""Copier migrations: the moves a kit release makes, replayed in each project it updates.

copier.yml's `_migrations` call this script (before-stage, with a `version`) when a
release renames a choice value or moves a file, so the user's answer and edits follow:

    rename-answer ANSWERS_FILE QUESTION OLD NEW   an answer recorded as OLD becomes NEW
    move [--answers-file FILE] OLD NEW             the project's file moves (git mv)

In `move`, `{question}` in OLD and NEW stands for the project's recorded answer, read
from --answers-file: `src/{package_name}/data/io.py`. copier renders a before-stage
migration's command without the project's answers (`{{ package_name }}` is empty there),
so a path that depends on an answer must be filled in here.

It runs under copier's Python, so it uses the standard library and PyYAML only (copier
depends on PyYAML). Each command is idempotent: running it twice changes nothing more.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml


def say(message: str) -> None:
    """Report what the migration did, visibly the kit's and not copier's."""
    print(f"[copier-mlops migrate] {message}", flush=True)


def rename_answer(answers_file: Path, question: str, old: str, new: str) -> bool:
    """Rewrite an answer recorded as `old` to `new`; True if the file changed."""
    text = answers_file.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    if answers.get(question) != old:
        return False
    answers[question] = new
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    answers_file.write_text(
        header + yaml.safe_dump(answers, default_flow_style=False, allow_unicode=True),
        encoding="utf-8",
    )
    return True


def fill_answers(path: str, answers_file: Path | None) -> Path:
    """`path` with each `{question}` replaced by the answer recorded in answers_file."""
    if "{" not in path:
        return Path(path)
    if answers_file is None:
        raise SystemExit(f"{path}: pass --answers-file to fill in its {{question}} parts")
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    try:
        filled = path.format_map({k: v for k, v in answers.items() if isinstance(v, str)})
    except (KeyError, ValueError) as error:
        raise SystemExit(f"{path}: {answers_file} records no answer {error}") from None
    return Path(filled)


def _tracked(path: Path) -> bool:
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "--", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def move(old: Path, new: Path) -> bool:
    """Move old to new, with `git mv` when git tracks it; True if anything moved.

    Moving first, before copier replays the user's diff, keeps the user's edits in the
    file's new place; without it copier deletes the edited file at the old path.
    """
    if not old.exists():
        return False
    if new.exists():
        raise SystemExit(
            f"cannot move {old} to {new}: both exist. Merge your changes from {old} into "
            f"{new}, delete {old}, commit, then run the update again."
        )
    new.parent.mkdir(parents=True, exist_ok=True)
    if _tracked(old):
        subprocess.run(["git", "mv", "--", str(old), str(new)], check=True)
    else:
        old.rename(new)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for copier's `_migrations` commands."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rename = commands.add_parser("rename-answer", help="rename a recorded choice value")
    rename.add_argument("answers_file", type=Path)
    rename.add_argument("question")
    rename.add_argument("old")
    rename.add_argument("new")
    moving = commands.add_parser("move", help="move a file the kit renamed")
    moving.add_argument("--answers-file", type=Path, help="fills `{question}` in the paths")
    moving.add_argument("old")
    moving.add_argument("new")
    args = parser.parse_args(argv)

    if args.command == "rename-answer":
        if rename_answer(args.answers_file, args.question, args.old, args.new):
            say(f"{args.question}: {args.old!r} is now called {args.new!r}")
    else:
        old = fill_answers(args.old, args.answers_file)
        new = fill_answers(args.new, args.answers_file)
        if move(old, new):
            say(f"moved {old} to {new}, with your edits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
