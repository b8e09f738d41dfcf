"""The README stays true: its options table matches copier.yml, its commands exist."""

from __future__ import annotations

import re

from options_table import README, readme_with_table
from support import KIT_ROOT, seed_once_paths, user_owned_paths


def test_options_table_matches_copier_yml() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "options table is stale: run `nox -s readme`"


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text(encoding="utf-8")
    command = re.search(r"<!-- test-command -->\n```(?:bash|console)\n(.+?)\n```", readme)
    assert command, "README must mark its test command with <!-- test-command -->"
    assert command.group(1) in (KIT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_commands_and_session_table_match_the_noxfile() -> None:
    readme = README.read_text(encoding="utf-8")
    noxfile = (KIT_ROOT / "noxfile.py").read_text(encoding="utf-8")
    # A session is named by its function, or by `@nox.session(name="...")`.
    sessions = re.findall(
        r'^@nox.session(?:\(name="([\w-]+)"\))?\ndef (\w+)\(', noxfile, re.MULTILINE
    )
    defined = {name or function for name, function in sessions}
    # `uvx nox -s ...` is how the README runs the kit's own sessions.
    commanded = {
        name
        for match in re.findall(r"uvx nox -s ((?:[a-z][a-z0-9_-]* ?)+)", readme)
        for name in match.split()
    }
    tabled = set(re.findall(r"^\| `([a-z][a-z0-9_-]*)` \| ", readme.split("Sessions (")[1], re.M))
    assert commanded, "README gives no `uvx nox -s` command"
    assert commanded <= defined, f"README runs sessions the noxfile lacks: {commanded - defined}"
    assert tabled == defined, f"README's session table differs from the noxfile: {tabled ^ defined}"


def test_ownership_table_names_every_seed_once_and_user_owned_path() -> None:
    readme = README.read_text(encoding="utf-8")
    table = readme.split("<!-- ownership:start -->")[1].split("<!-- ownership:end -->")[0]
    listed = set(re.findall(r"`([^`]+)`", table))
    # copier.yml writes the package folder as Jinja; the README as a placeholder.
    expected = {
        path.replace("{{ package_name }}", "<package_name>")
        for path in (*seed_once_paths(), *user_owned_paths())
    }
    assert expected <= listed, f"README's ownership table misses {expected - listed}"
