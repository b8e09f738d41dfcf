"""The README stays true: its options table matches copier.yml, its commands exist."""

from __future__ import annotations

import re

from options_table import README, readme_with_table
from support import KIT_ROOT


def test_options_table_matches_copier_yml() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "options table is stale: run `nox -s readme`"


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text(encoding="utf-8")
    command = re.search(r"<!-- test-command -->\n```(?:bash|console)\n(.+?)\n```", readme)
    assert command, "README must mark its test command with <!-- test-command -->"
    assert command.group(1) in (KIT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_nox_sessions_named_in_readme_exist() -> None:
    readme = README.read_text(encoding="utf-8")
    noxfile = (KIT_ROOT / "noxfile.py").read_text(encoding="utf-8")
    defined = set(re.findall(r"^def (\w+)\(session", noxfile, re.MULTILINE))
    named = {
        name
        for match in re.findall(r"nox -s ((?:[a-z][a-z0-9_-]* ?)+)", readme)
        for name in match.split()
    }
    assert named, "README names no nox session"
    assert named <= defined, f"README names sessions the noxfile lacks: {named - defined}"
