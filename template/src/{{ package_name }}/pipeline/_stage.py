"""What every stage command shares: clear failures and progress output."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer

from ..errors import PipelineError

P = ParamSpec("P")
R = TypeVar("R")

# Failures whose message already says what is wrong and how to fix it: no traceback.
EXPECTED_FAILURES = (PipelineError, FileNotFoundError)


def stage(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an expected failure into its message on stderr and exit status 1."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except EXPECTED_FAILURES as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None

    return run


@contextmanager
def step(description: str) -> Iterator[None]:
    """Print what a long step does and how long it took."""
    typer.echo(f"{description} ...", err=True)
    started = time.perf_counter()
    yield
    typer.echo(f"{description}: done in {time.perf_counter() - started:.1f}s", err=True)
