"""The repository's .dvcignore, which decides which files count in a directory's DVC hash.

A small gitignore-style matcher for the root .dvcignore (what projects put there:
`__pycache__/`, `*.pyc`, `/data/tmp`, `**/.ipynb_checkpoints`, `!keep.me`); nested
.dvcignore files are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DVCIGNORE_FILE = ".dvcignore"


@dataclass(frozen=True)
class IgnoreRule:
    """One .dvcignore line as a regex over paths relative to the repository root."""

    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


def _translate_glob(glob: str) -> str:
    """A gitignore glob (no leading or trailing slash) as a regex body."""
    out, index = "", 0
    while index < len(glob):
        if glob.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
        elif glob.startswith("/**", index) and index + 3 == len(glob):
            out += "/.*"
            index += 3
        elif glob.startswith("**", index):
            out += ".*"
            index += 2
        elif glob[index] == "*":
            out += "[^/]*"
            index += 1
        elif glob[index] == "?":
            out += "[^/]"
            index += 1
        elif glob[index] == "[" and "]" in glob[index + 1 :]:
            end = glob.index("]", index + 1)
            body = glob[index + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out += f"[{body}]"
            index = end + 1
        else:
            out += re.escape(glob[index])
            index += 1
    return out


def parse_rule(line: str) -> IgnoreRule | None:
    """One .dvcignore line as a rule; None for blanks and comments."""
    pattern = line.strip()
    if not pattern or pattern.startswith("#"):
        return None
    negated = pattern.startswith("!")
    pattern = pattern.removeprefix("!")
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    # A slash at the start or in the middle anchors the pattern at the repository root.
    anchored = "/" in pattern
    body = _translate_glob(pattern.lstrip("/"))
    regex = f"^{body}$" if anchored else f"^(?:.*/)?{body}$"
    return IgnoreRule(re.compile(regex), negated, dir_only)


class DvcIgnore:
    """Answers "does DVC skip this path?" for paths under the repository root."""

    def __init__(self, root: Path, rules: list[IgnoreRule]) -> None:
        self.root = root.absolute()
        self.rules = rules

    @classmethod
    def load(cls, root: Path) -> DvcIgnore:
        """The rules of root/.dvcignore (none when the file is absent)."""
        path = root / DVCIGNORE_FILE
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        return cls(root, [rule for line in lines if (rule := parse_rule(line))])

    def ignores(self, path: Path, is_dir: bool) -> bool:
        """True when DVC leaves path out (the last matching rule wins, as in gitignore)."""
        if not self.rules:
            return False
        try:
            relative = path.absolute().relative_to(self.root).as_posix()
        except ValueError:
            return False
        ignored = False
        for rule in self.rules:
            if (is_dir or not rule.dir_only) and rule.regex.match(relative):
                ignored = not rule.negated
        return ignored
