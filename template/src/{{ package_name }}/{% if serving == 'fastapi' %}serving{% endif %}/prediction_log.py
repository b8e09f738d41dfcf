"""The opt-in prediction log: every scored row, with its prediction, as parquet files.

On when SERVING_PREDICTION_LOG names a folder. A request only hands its rows to a queue;
a thread of the service writes them, `rows_per_file` rows to a file (sooner when requests
pause, so the log stays current), in folders per day (`date=2026-12-07/`, as `monitor`
and Polars read them), and deletes the oldest files beyond `max_files`. The log holds
what clients sent, which may be personal data: keep it out of git, and give it the
retention your data needs.
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

FLUSH_SECONDS = 5.0  # rows wait at most this long for a file when requests pause
PREDICTED_AT, MODEL_VERSION = "predicted_at", "model_version"


class PredictionLog:
    """Rows scored, with their predictions, written to parquet off the request path."""

    def __init__(self, folder: Path, model_version: str, rows_per_file: int, max_files: int):
        self.folder = folder
        self.model_version = model_version
        self.rows_per_file = rows_per_file
        self.max_files = max_files
        self._queue: queue.SimpleQueue[pl.DataFrame | None] = queue.SimpleQueue()
        self._written = 0
        # A daemon: a service killed without shutting down loses what waits, never hangs.
        self._writer = threading.Thread(target=self._write_all, name="prediction-log", daemon=True)
        self._writer.start()

    def add(self, rows: pl.DataFrame, predictions: pl.Series) -> None:
        """Log rows (the contract's columns) with their predictions; returns at once."""
        now = datetime.now(timezone.utc)
        self._queue.put(
            rows.with_columns(
                predictions,
                pl.lit(now, pl.Datetime("us", "UTC")).alias(PREDICTED_AT),
                pl.lit(self.model_version).alias(MODEL_VERSION),
            )
        )

    def close(self) -> None:
        """Write what is left and stop the writer (the service is shutting down)."""
        self._queue.put(None)
        self._writer.join()

    def _write_all(self) -> None:
        waiting: list[pl.DataFrame] = []
        held = 0
        while True:
            try:
                rows = self._queue.get(timeout=FLUSH_SECONDS if waiting else None)
            except queue.Empty:
                rows = pl.DataFrame()  # a pause: write what waits
            if rows is not None and rows.height:
                waiting.append(rows)
                held += rows.height
                if held < self.rows_per_file:
                    continue
            if waiting:
                self._write(pl.concat(waiting, how="diagonal_relaxed"))
                waiting, held = [], 0
            if rows is None:
                return

    def _write(self, rows: pl.DataFrame) -> None:
        now = datetime.now(timezone.utc)
        folder = self.folder / f"date={now:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        self._written += 1
        name = f"part-{now:%Y%m%dT%H%M%S%f}-{self._written:06d}.parquet"
        staged = folder / f"{name}.partial"
        rows.write_parquet(staged)
        staged.rename(folder / name)  # a reader never sees half a file
        files = sorted(self.folder.glob("date=*/part-*.parquet"), key=lambda path: path.name)
        for old in files[: max(0, len(files) - self.max_files)]:
            old.unlink()
