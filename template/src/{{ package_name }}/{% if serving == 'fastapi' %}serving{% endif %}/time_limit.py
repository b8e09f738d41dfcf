"""Scoring within a time limit: a request waits so long for its answers, and no longer.

Scoring runs in a thread, and a thread cannot be stopped: one still busy when the limit
passes (a model that never returns) is left to run, and its request answers 503 at once.
The threads are daemons, so a stuck one never keeps the service from stopping; and at
most `threads` score at once, so a service whose scorers all hang answers 503 to every
request instead of starting threads without end. Waiting for a free thread counts
towards the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
# As many as FastAPI gives endpoints that are not async (AnyIO's default): scoring is
# CPU-bound, more would only wait for the cores.
THREADS = 40


class TimeLimitError(Exception):
    """Scoring took longer than the limit."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"no answer within {seconds} s")
        self.seconds = seconds


class TimeLimit:
    """Runs work in daemon threads, at most `threads` at once, each awaited `seconds` at most.

    Made inside the event loop that awaits it (the app's lifespan).
    """

    def __init__(self, seconds: int, threads: int = THREADS) -> None:
        self.seconds = seconds
        self._free = asyncio.Semaphore(threads)

    async def run(self, work: Callable[[], T]) -> T:
        """The result of work, or its exception; TimeLimitError when it takes too long."""
        running = asyncio.ensure_future(self._in_thread(work))
        try:
            done, _ = await asyncio.wait({running}, timeout=self.seconds)
        finally:
            running.cancel()  # gives up waiting, for a thread or its answer; a no-op if done
        if not done:
            raise TimeLimitError(self.seconds)
        return running.result()

    async def _in_thread(self, work: Callable[[], T]) -> T:
        await self._free.acquire()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()

        def finish(outcome: Callable[[], None]) -> None:  # on the loop, the thread done
            self._free.release()
            if not answer.done():  # else the request stopped waiting
                outcome()

        def compute() -> None:
            try:
                result = work()
            except Exception as error:  # handed to the request, which raises it
                outcome = functools.partial(answer.set_exception, error)
            else:
                outcome = functools.partial(answer.set_result, result)
            with contextlib.suppress(RuntimeError):  # the loop has closed: the service stopped
                loop.call_soon_threadsafe(finish, outcome)

        try:
            threading.Thread(target=compute, name="scoring", daemon=True).start()
        except RuntimeError:  # no thread to be had
            self._free.release()
            raise
        return await answer
