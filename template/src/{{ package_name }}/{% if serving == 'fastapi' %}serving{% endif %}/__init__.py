"""Serving layer: the model behind an HTTP API (FastAPI), scoring rows as `predict` does."""
