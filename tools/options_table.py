"""The README's options table, generated from copier.yml so the two cannot disagree.

`python tools/options_table.py` (or `nox -s readme`) rewrites the table in README.md;
tests/test_readme.py fails when it is stale.
"""

from __future__ import annotations

import re
import sys

from kit import KIT_ROOT, choice_values, questions

README = KIT_ROOT / "README.md"
START = "<!-- options-table:start (generated from copier.yml by `nox -s readme`) -->"
END = "<!-- options-table:end -->"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(name: str, default: object, names: list[str]) -> str:
    text = str(default).lower() if isinstance(default, bool) else str(default)
    if not text:
        return "empty"
    if "{{" not in text:
        return f"`{_cell(text)}`"
    sources = [other for other in names if other != name and re.search(rf"\b{other}\b", text)]
    return "derived from " + ", ".join(f"`{source}`" for source in sources)


def options_table() -> str:
    """The markdown table of every question: name, help, default, accepted values."""
    specs = questions()
    names = list(specs)
    rows = ["| option | what it sets | default | values |", "| --- | --- | --- | --- |"]
    for name, spec in specs.items():
        values = ", ".join(f"`{value}`" for value in choice_values(spec)) or (
            "`true`, `false`" if spec.get("type") == "bool" else "free text"
        )
        rows.append(
            f"| `{name}` | {_cell(spec['help'])} | {_default(name, spec['default'], names)} "
            f"| {values} |"
        )
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    """README text with the region between the markers replaced by a fresh table."""
    head, marker, rest = readme.partition(START)
    _, end_marker, tail = rest.partition(END)
    if not marker or not end_marker:
        raise SystemExit(f"{README}: the markers {START!r} and {END!r} are missing")
    return f"{head}{START}\n{options_table()}\n{END}{tail}"


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    README.write_text(readme_with_table(text), encoding="utf-8")
    sys.stdout.write(f"{README}: options table regenerated\n")
