"""Runs and registered models in MLflow, beside dvclive's files (docs/tracking.md)."""
