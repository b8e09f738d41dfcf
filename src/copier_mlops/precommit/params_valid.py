"""pre-commit hook `params-valid`: params.yaml parses, repeats no key, and passes the schema.

PyYAML (and so DVC) silently keeps the last of two duplicate keys, so a pasted block can
change an experiment without anyone noticing. The project's own schema (for example its
pydantic config models) is run as a command, because only the project's environment has it.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from copier_mlops.precommit.strict_yaml import YamlFileError, load_strict

DEFAULT_PARAMS_FILE = "params.yaml"
DEFAULT_TIMEOUT_SECONDS = 60.0
OUTPUT_TAIL_LINES = 30  # the end of a traceback is where the reason is


def structure_problems(path: Path) -> list[str]:
    """Problems that need no schema: unreadable, invalid YAML, duplicate keys, not a mapping."""
    if not path.is_file():
        return [f"{path}: not found; fix the --params-file argument or create the file"]
    try:
        params = load_strict(path)
    except YamlFileError as error:
        return [str(error)]
    if params is not None and not isinstance(params, dict):
        return [
            f"{path}: must be a mapping of parameter groups (DVC reads keys like "
            f"train.lr from it), got a {type(params).__name__}"
        ]
    return []


def schema_command(template: str, params_file: Path) -> list[str]:
    """The command to run; `{params_file}` in it is replaced by the file's path."""
    return [part.replace("{params_file}", str(params_file)) for part in shlex.split(template)]


def schema_problems(command: list[str], timeout: float) -> list[str]:
    """Run the project's schema check; its failure output is the problem."""
    shown = shlex.join(command)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        return [f"schema command `{shown}`: {command[0]} not found; fix --schema-command"]
    except subprocess.TimeoutExpired:
        return [f"schema command `{shown}` took longer than {timeout:g}s; raise --timeout"]
    if result.returncode == 0:
        return []
    output = (result.stdout + result.stderr).strip().splitlines()[-OUTPUT_TAIL_LINES:]
    message = [f"schema command `{shown}` failed (exit {result.returncode}):"]
    message += [f"    {line}" for line in output]
    if "ModuleNotFoundError" in result.stderr:
        message.append(
            "    hint: pre-commit runs this hook in its own environment; run the command in "
            "the project's, e.g. --schema-command 'uv run python -m <package>.config'"
        )
    return ["\n".join(message)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="params-valid", description=__doc__)
    parser.add_argument(
        "--params-file",
        action="append",
        dest="params_files",
        metavar="PATH",
        help=f"params file to check; repeat for several (default: {DEFAULT_PARAMS_FILE})",
    )
    parser.add_argument(
        "--schema-command",
        metavar="COMMAND",
        help="command that validates the params and exits non-zero on error, e.g. "
        "'uv run python -m my_package.config'; {params_file} is replaced by the file",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds the schema command may take (default: {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument("filenames", nargs="*", help="ignored: the params files are checked")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Check each params file, then run the schema command on the files that parsed."""
    args = parse_args(argv)
    problems = []
    already_run = set()  # without {params_file}, the command is the same for every file
    for name in args.params_files or [DEFAULT_PARAMS_FILE]:
        path = Path(name)
        found = structure_problems(path)
        if not found and args.schema_command:
            command = schema_command(args.schema_command, path)
            if tuple(command) not in already_run:
                already_run.add(tuple(command))
                found = schema_problems(command, args.timeout)
        problems += found
    if problems:
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
