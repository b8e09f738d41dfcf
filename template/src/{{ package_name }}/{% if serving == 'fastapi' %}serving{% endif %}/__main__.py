"""`python -m <package>.serving`: run the service (serving/server.py)."""

from .server import cli

if __name__ == "__main__":
    cli()
