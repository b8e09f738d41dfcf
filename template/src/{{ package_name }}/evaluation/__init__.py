"""Evaluation layer: metrics and figures that describe how well a model does."""
