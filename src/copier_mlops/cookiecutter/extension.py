"""cookiecutter's Jinja extension for the kit (cookiecutter.json's `_extensions`).

cookiecutter.json derives defaults with the very expressions copier.yml uses, so
cookiecutter needs the filters copier gets from jinja2-ansible-filters. The hook needs
the kit's absolute path, which cookiecutter's context does not give (`_repo_dir` is
relative to a folder the hook cannot know). And a failed hook has already said why it
failed, so cookiecutter's traceback of its own call stack is left out.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension


def regex_replace(value: object, pattern: str, replacement: str, ignorecase: bool = False) -> str:
    """`re.sub` as jinja2-ansible-filters' `regex_replace` does it (copier's filter)."""
    return re.compile(pattern, re.IGNORECASE if ignorecase else 0).sub(replacement, str(value))


def kit_root() -> str:
    """The kit's absolute path: the working directory while cookiecutter renders a hook.

    cookiecutter looks up `hooks/` relative to the working directory, so it works in the
    kit's root folder while it finds and renders them.
    """
    here = Path.cwd()
    if not (here / "copier.yml").is_file():
        raise RuntimeError(
            f"copier-mlops: expected to render cookiecutter's hook from the kit's root, "
            f"but {here} has no copier.yml; please report this with your cookiecutter version"
        )
    return str(here)


class WithoutHookTraceback(logging.Filter):
    """Drops the traceback cookiecutter logs when a hook fails: only its own call stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Stopping generation because"):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_hook_failures(logger: logging.Logger) -> None:
    """Install WithoutHookTraceback on cookiecutter's hooks logger, once."""
    if not any(isinstance(f, WithoutHookTraceback) for f in logger.filters):
        logger.addFilter(WithoutHookTraceback())


class CopierJinja(Extension):
    """Adds `regex_replace` and `copier_mlops_kit_root()`; quiets hook-failure tracebacks."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["regex_replace"] = regex_replace
        environment.globals["copier_mlops_kit_root"] = kit_root
        quiet_hook_failures(logging.getLogger("cookiecutter.hooks"))
