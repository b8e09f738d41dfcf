"""copier-mlops' own code: pre-commit hooks, copier tasks and migrations for generated projects."""
