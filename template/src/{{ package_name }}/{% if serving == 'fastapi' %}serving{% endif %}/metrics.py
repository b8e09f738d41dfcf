"""What the service has seen, for Prometheus to scrape at `GET /metrics`.

Requests by path and status, and how long they took; rows scored, and rows in refused
requests by status; the model's predictions (per class, or a histogram of the values);
which model answers. Each app has a registry of its own, so apps in one process (tests)
count apart. Counts live in the process: run one uvicorn worker per container and scale
with replicas.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from .schemas import ModelInfo, Prediction

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# Seconds: from a single row (a few ms) to a full batch on a loaded machine.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# No `*_created` series beside each counter: a scrape half as long, and Prometheus
# needs none of them.
disable_created_metrics()  # type: ignore[no-untyped-call]
CONTENT_TYPE = CONTENT_TYPE_LATEST
OTHER_PATH = "other"  # a path no route answers: one label, however many such paths


class ServiceMetrics:
    """The service's counters, and the text Prometheus reads."""

    def __init__(self, info: ModelInfo, prediction_buckets: Sequence[float] = ()) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route and status",
            ["path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request to response, by route",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows_scored = Counter(
            "rows_scored", "Rows the model predicted for", registry=self.registry
        )
        self.rows_refused = Counter(
            "rows_refused",
            "Rows in requests refused as a whole, by status "
            "(413: too many, 422: invalid, 503: no answer in time)",
            ["status"],
            registry=self.registry,
        )
        self.task = info.task
        if info.task == "classification":
            self.classes = Counter(
                "predicted_class", "Predictions per class", ["class"], registry=self.registry
            )
        else:  # metadata from before the deciles were recorded: Prometheus' default buckets
            self.values = Histogram(
                "predicted_value",
                "Predicted values; buckets at the test split's deciles",
                buckets=sorted({*prediction_buckets, float("inf")})
                if prediction_buckets
                else Histogram.DEFAULT_BUCKETS,
                registry=self.registry,
            )
        model = Gauge(
            "model_info", "The model served (always 1)", ["name", "version"], registry=self.registry
        )
        model.labels(info.name, info.version).set(1)

    def scored(self, predictions: Sequence[Prediction]) -> None:
        """Count rows scored and their predictions (a row without a feature has none)."""
        self.rows_scored.inc(len(predictions))
        for answer in predictions:
            if answer.prediction is None:
                continue
            if self.task == "classification":
                self.classes.labels(str(answer.prediction)).inc()
            else:
                self.values.observe(float(answer.prediction))

    def refused(self, status: int, rows: int) -> None:
        """Count the rows of a request refused as a whole."""
        self.rows_refused.labels(str(status)).inc(rows)

    def text(self) -> bytes:
        """Every metric in Prometheus' text format."""
        return generate_latest(self.registry)


class MeasuredRequests:
    """ASGI middleware: counts and times each HTTP request by its route, once metrics exist.

    The metrics are made when the model has loaded (they name its version); until then
    requests pass uncounted.
    """

    def __init__(self, app: App, metrics: Callable[[], ServiceMetrics | None]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count it by route and status, time it."""
        metrics = self.metrics()
        if scope["type"] != "http" or metrics is None:
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = getattr(scope.get("route"), "path", OTHER_PATH)
            metrics.requests.labels(path, str(status)).inc()
            metrics.latency.labels(path).observe(time.perf_counter() - started)
