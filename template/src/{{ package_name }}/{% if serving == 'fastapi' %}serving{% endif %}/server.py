"""Run the service with uvicorn: `uv run nox -s serve`, or `python -m <package>.serving`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from .settings import HOST, MODEL_PATH, PORT, Settings

cli = typer.Typer(add_completion=False)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar=HOST, help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar=PORT, min=0, max=65535)] = 8000,
    model: Annotated[
        Path | None, typer.Option(envvar=MODEL_PATH, help="Model file; default: the champion")
    ] = None,
) -> None:
    """Serve the model over HTTP until interrupted."""
    import uvicorn  # here, not above: `--help` need not load the model's libraries

    from ..errors import PipelineError
    from ..models.persistence import load_model
    from .app import create_app

    settings = Settings.from_environment()
    if model is not None:
        settings = replace(settings, model_path=model)
    try:  # a file the service would refuse, refused here in one line, not in uvicorn's log
        load_model(settings.model_path)
    except PipelineError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    uvicorn.run(create_app(settings), host=host, port=port)
