"""The HTTP service: `create_app(settings)` builds it; the model loads once, at startup.

- `GET /health`: the model served (name, version, task) and the provenance the pipeline
  recorded for it (git revision, when it was trained, its metrics).
- `POST /predict`: one row (an object) or a list of rows; one prediction per row.
  A field that breaks the data contract answers 422 naming it; more rows than
  `max_batch_rows` answer 413; no answer within `scoring_seconds`, 503.
- `GET /metrics`: requests, latency, rows scored and refused, predictions, in
  Prometheus' text format (serving/metrics.py).
- `GET /docs`, `GET /redoc`, `GET /openapi.json`: the API, with the row model made from
  data/schema.py; the pages' scripts come from fastapi-offline, served here: no CDN.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations,
# which name the row model made at run time.
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import Discriminator, Field, Tag

from ..data import schema
from .metrics import CONTENT_TYPE, MeasuredRequests, ServiceMetrics
from .schemas import Health, PredictionResponse, Refusal, Row, row_model
from .scoring import InvalidRowsError, Service, load_service
from .settings import SCORING_SECONDS, Settings
from .time_limit import TimeLimit, TimeLimitError

TITLE = "Model service"
REFUSALS: dict[int | str, dict[str, Any]] = {
    413: {"model": Refusal, "description": "More rows than the service accepts at once"},
    422: {"model": Refusal, "description": "A row breaks the data contract"},
    503: {"model": Refusal, "description": "No answer within the service's time limit"},
}


def _single_or_many(body: Any) -> str:
    return "rows" if isinstance(body, list) else "row"


def request_body(row: type[Row], max_rows: int) -> Any:
    """The body `/predict` accepts: one row, or a list of 1 to max_rows rows."""
    rows = Annotated[list[row], Field(min_length=1, max_length=max_rows)]  # type: ignore[valid-type]
    return Annotated[
        Annotated[row, Tag("row")] | Annotated[rows, Tag("rows")],
        Discriminator(_single_or_many),
        Body(description=f"One row, or a list of at most {max_rows} rows"),
    ]


def create_app(settings: Settings) -> FastAPI:
    """The service for settings' model; it loads when the app starts."""
    features = schema.Features.to_schema()
    row, check_with_pandera = row_model(features)
    loaded: dict[str, Service] = {}
    measured: dict[str, ServiceMetrics] = {}
    limits: dict[str, TimeLimit] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = loaded["service"] = load_service(settings, features, check_with_pandera)
        measured["metrics"] = ServiceMetrics(service.info, service.prediction_deciles)
        limits["scoring"] = TimeLimit(settings.scoring_seconds)
        yield
        if service.log is not None:
            service.log.close()  # the rows still waiting are written
        loaded.clear()
        measured.clear()
        limits.clear()

    app = FastAPIOffline(
        title=TITLE,
        summary=f"Predicts from rows described by data/schema.py; model: {settings.model_path}",
        lifespan=lifespan,
    )
    app.add_middleware(MeasuredRequests, metrics=lambda: measured.get("metrics"))

    @app.exception_handler(RequestValidationError)
    def refuse(request: Request, error: RequestValidationError) -> Response:
        problems = [
            {"loc": list(problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
            for problem in error.errors()
        ]
        rows = len(error.body) if isinstance(error.body, list) else 1
        if any(p["type"] == "too_long" and p["loc"][:2] == ["body", "rows"] for p in problems):
            detail = (
                f"at most {settings.max_batch_rows} rows per request: send them in smaller "
                "batches, or score a file with the `predict` command"
            )
            measured["metrics"].refused(413, rows)
            return JSONResponse({"detail": detail}, status_code=413)
        measured["metrics"].refused(422, rows)
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(InvalidRowsError)
    def refuse_rows(request: Request, error: InvalidRowsError) -> Response:
        measured["metrics"].refused(422, error.rows)
        return JSONResponse({"detail": error.problems or str(error)}, status_code=422)

    body = request_body(row, settings.max_batch_rows)

    @app.get("/health")
    def health() -> Health:
        """The model being served, and the provenance the pipeline recorded for it."""
        return loaded["service"].health

    @app.post("/predict", response_model=PredictionResponse, responses=REFUSALS)
    async def predict(rows: body) -> Response:  # type: ignore[valid-type]
        """Predict for one row or a list of rows: one prediction per row, in order."""
        service = loaded["service"]
        batch = rows if isinstance(rows, list) else [rows]
        try:
            predictions = await limits["scoring"].run(lambda: service.predict(batch))
        except TimeLimitError as error:  # the scorer is stuck, or every one is busy
            measured["metrics"].refused(503, len(batch))
            detail = (
                f"no answer within {error.seconds} s, the service's limit ({SCORING_SECONDS}): "
                "retry later, or send fewer rows at a time"
            )
            headers = {"Retry-After": str(error.seconds)}
            return JSONResponse({"detail": detail}, status_code=503, headers=headers)
        measured["metrics"].scored(predictions)
        answer = PredictionResponse(model=service.info, predictions=predictions)
        return Response(answer.model_dump_json(), media_type="application/json")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Every metric in Prometheus' text format."""
        return Response(measured["metrics"].text(), media_type=CONTENT_TYPE)

    return app


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory`: settings from the environment (serving/settings.py)."""
    return create_app(Settings.from_environment())
