"""Features layer: transforms on lazy frames, written once against narwhals for any engine."""
