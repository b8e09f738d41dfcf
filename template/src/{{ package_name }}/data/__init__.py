"""Data layer: the raw data's schema, parquet input/output, and preparation."""
