"""The README stays true: its options table matches copier.yml, its commands exist."""

from __future__ import annotations

import importlib
import re
import sys

import pytest
import yaml

from options_table import README, readme_with_table
from support import KIT_ROOT, seed_once_paths, user_owned_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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


def hook_rows(readme: str) -> dict[str, str]:
    """The README's hook table: hook id -> its args column."""
    table = readme.split("## The kit's pre-commit hooks")[1].split("\n\n| hook |")[1]
    rows = re.findall(r"^\| `([a-z-]+)`(?: \([a-z-]+\))? \| .+ \| (.*) \|$", table, re.MULTILINE)
    return dict(rows)


def test_every_hook_has_a_readme_row_whose_args_match_its_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hooks = yaml.safe_load((KIT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    scripts = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entry_points = scripts["project"]["scripts"]
    rows = hook_rows(README.read_text(encoding="utf-8"))
    assert set(rows) == {hook["id"] for hook in hooks}, "README's hook table != the hooks"
    for hook in hooks:
        module, _, function = entry_points[hook["entry"]].partition(":")
        main = getattr(importlib.import_module(module), function)
        with pytest.raises(SystemExit) as exited:
            main(["--help"])
        assert exited.value.code == 0
        options = capsys.readouterr().out.partition("options:")[2]
        # Each option line names its aliases (`-v, --verbose`); the README names one.
        aliases = [
            set(re.findall(r"--?[a-z][a-z-]*", line.split("  ")[0]))
            for line in re.findall(r"^  (-.*)$", options, re.MULTILINE)
        ]
        aliases = [names for names in aliases if "--help" not in names]
        documented = set(re.findall(r"`(--?[a-z][a-z-]*)", rows[hook["id"]]))
        undocumented = [names for names in aliases if not names & documented]
        unknown = documented - set().union(*aliases)
        assert not undocumented, f"{hook['id']}: README lacks {undocumented}"
        assert not unknown, f"{hook['id']}: README names options --help lacks: {unknown}"
