"""The kit's pre-commit hooks (.pre-commit-hooks.yaml), one module each, and their helpers."""
