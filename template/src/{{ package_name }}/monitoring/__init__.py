"""Watching the data a model meets: drift of a batch of rows from the training split."""
