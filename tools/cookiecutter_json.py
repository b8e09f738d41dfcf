"""cookiecutter.json, generated from copier.yml so cookiecutter asks copier's questions.

`python tools/cookiecutter_json.py` (or `nox -s readme`) rewrites it;
tests/test_cookiecutter.py fails when it is stale. cookiecutter only collects the
answers: its hook hands them to copier, which validates them and renders template/.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from jinja2 import Environment

from kit import KIT_ROOT, choice_values, questions

COOKIECUTTER_JSON = KIT_ROOT / "cookiecutter.json"
EXTENSION = "src.copier_mlops.cookiecutter.extension.CopierJinja"
# Question settings cookiecutter has no equivalent for; a question using one needs a
# decision here, not a silently different cookiecutter question.
UNSUPPORTED = ("when", "multiselect", "secret")
SCALAR_TYPES = {"str", "int", "float", "bool"}


def for_cookiecutter(expression: str, names: list[str]) -> str:
    """copier's Jinja with each question name read from cookiecutter's context instead."""
    tokens = Environment(autoescape=True).lex(expression)  # lexing only: nothing is rendered
    out = []
    previous = ""
    for _, kind, value in tokens:
        if kind == "name" and value in names and previous != ".":
            value = f"cookiecutter.{value}"
        out.append(value)
        if kind != "whitespace":
            previous = value
    return "".join(out)


def cookiecutter_default(name: str, spec: dict[str, Any], names: list[str]) -> Any:
    """A question's cookiecutter entry: its default, a choice list led by it, or a bool."""
    kind = spec.get("type", "str")
    unsupported = [key for key in UNSUPPORTED if key in spec]
    if unsupported or kind not in SCALAR_TYPES:
        raise SystemExit(
            f"copier.yml: question '{name}' uses {unsupported or [f'type: {kind}']}, which "
            "cookiecutter cannot ask; teach tools/cookiecutter_json.py how to, or drop it"
        )
    default = spec["default"]
    values = choice_values(spec)
    if values:
        return [default, *(value for value in values if value != default)]
    if kind == "bool":
        return bool(default)
    if isinstance(default, str) and ("{{" in default or "{%" in default):
        return for_cookiecutter(default, names)
    return str(default)


def prompt(spec: dict[str, Any]) -> Any:
    """The question's help as cookiecutter's prompt; choices shown by their labels."""
    text = " ".join(str(spec["help"]).split())
    choices = spec.get("choices")
    if isinstance(choices, dict):
        return {"__prompt__": text, **{value: label for label, value in choices.items()}}
    return text


def cookiecutter_context() -> dict[str, Any]:
    """cookiecutter.json's content: copier's questions, then the hook's settings."""
    specs = questions()
    names = list(specs)
    context: dict[str, Any] = {
        name: cookiecutter_default(name, spec, names) for name, spec in specs.items()
    }
    # `cookiecutter <kit> _skip_tasks=yes` is copier's `--skip-tasks`.
    context["_skip_tasks"] = False
    context["_extensions"] = [EXTENSION]
    context["__prompts__"] = {name: prompt(spec) for name, spec in specs.items()}
    return context


def cookiecutter_json() -> str:
    """The text of cookiecutter.json."""
    return json.dumps(cookiecutter_context(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    COOKIECUTTER_JSON.write_text(cookiecutter_json(), encoding="utf-8")
    sys.stdout.write(f"{COOKIECUTTER_JSON}: regenerated from copier.yml\n")
