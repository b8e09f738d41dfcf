"""What every stage command shares: clear failures and progress output."""

from __future__ import annotations

import sys
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


class Progress:
    """How far a step is, on one line a terminal rewrites; silent in logs (CI, files).

    Call it with (units done, units in all): it shows them, the time elapsed and an
    estimate of the time left, at most a few times a second.
    """

    REFRESH = 0.25  # seconds between redraws

    def __init__(self, unit: str, started: float) -> None:
        self.unit = unit
        self.started = started
        self.live = sys.stderr.isatty()
        self.shown_at: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.live or (self.shown_at and now - self.shown_at < self.REFRESH and done < total):
            return
        self.shown_at = now
        elapsed = now - self.started
        left = f", about {elapsed * (total - done) / done:.0f}s left" if 0 < done < total else ""
        sys.stderr.write(f"\r  {done:,}/{total:,} {self.unit}, {elapsed:.0f}s elapsed{left}\033[K")
        sys.stderr.flush()

    def end(self) -> None:
        """Leave the progress line, so what follows starts on a line of its own."""
        if self.shown_at is not None:
            sys.stderr.write("\n")


@contextmanager
def step(description: str, unit: str = "done") -> Iterator[Progress]:
    """Print what a long step does and how long it took; yield its progress line."""
    typer.echo(f"{description} ...", err=True)
    started = time.perf_counter()
    progress = Progress(unit, started)
    try:
        yield progress
    finally:
        progress.end()
    typer.echo(f"{description}: done in {time.perf_counter() - started:.1f}s", err=True)
