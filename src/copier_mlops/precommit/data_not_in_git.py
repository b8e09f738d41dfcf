"""pre-commit hook `data-not-in-git`: data and model files belong in DVC, not in git."""

from __future__ import annotations

import argparse
import fnmatch
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_DATA_DIRS = ("data",)
DEFAULT_MAX_KB = 500
# What DVC itself writes next to tracked data, and the usual placeholder for empty folders.
ALLOWED_IN_DATA_DIRS = (".gitignore", ".gitkeep", "*.dvc")
DATA_SUFFIXES = frozenset(
    {
        # tables and columnar data
        ".parquet", ".csv", ".tsv", ".jsonl", ".feather", ".arrow", ".avro", ".orc",
        ".xlsx", ".xls", ".sqlite", ".db", ".tfrecord",
        # arrays
        ".npy", ".npz", ".h5", ".hdf5", ".hdf", ".zarr", ".nc",
        # models and serialized objects
        ".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".skops", ".pkl", ".pickle",
        ".joblib", ".keras", ".pb", ".tflite", ".gguf",
    }
)  # fmt: skip
# A compressed data file is still a data file: `train.csv.gz` is a CSV.
COMPRESSION_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".7z"})


@dataclass(frozen=True)
class Refusal:
    """A staged file that should be tracked by DVC, and why."""

    path: str
    size: int
    reason: str


def data_suffix(path: PurePosixPath) -> str | None:
    """The data format of path (`.csv` for `x.csv.gz`), or None when it is not a data format."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes.pop()
    if suffixes and suffixes[-1] in DATA_SUFFIXES:
        return suffixes[-1]
    return None


def containing_data_dir(path: PurePosixPath, data_dirs: Sequence[str]) -> str | None:
    """The configured data folder that path lies under, if any."""
    for data_dir in data_dirs:
        folder = PurePosixPath(data_dir.strip("/"))
        if folder.parts and path.parts[: len(folder.parts)] == folder.parts and path != folder:
            return folder.as_posix()
    return None


def is_allowed_name(path: PurePosixPath, allowed: Sequence[str]) -> bool:
    """True for names that may live in git inside a data folder (DVC metafiles, placeholders)."""
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in allowed)


def check_file(
    name: str,
    size: int,
    data_dirs: Sequence[str],
    max_bytes: int,
    allowed: Sequence[str] = ALLOWED_IN_DATA_DIRS,
) -> Refusal | None:
    """Decide whether one staged file (relative path, size in bytes) must go to DVC."""
    path = PurePosixPath(name.replace("\\", "/"))
    if is_allowed_name(path, allowed):
        return None
    folder = containing_data_dir(path, data_dirs)
    if folder is not None:
        return Refusal(name, size, f"is under the data folder {folder}/, which DVC tracks")
    suffix = data_suffix(path)
    if suffix is not None and size > max_bytes:
        limit = f"{max_bytes / 1024:g} KB"
        return Refusal(name, size, f"is a {suffix} data/model file larger than {limit}")
    return None


def human_size(size: int) -> str:
    """Bytes as a short human-readable size."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def format_report(refusals: Sequence[Refusal]) -> str:
    """The hook's message: each file, its size, why, and the commands that fix it."""
    lines = [f"{len(refusals)} staged file(s) belong in DVC, not git:"]
    for refusal in refusals:
        quoted = shlex.quote(refusal.path)
        lines += [
            f"  {refusal.path} ({human_size(refusal.size)}) {refusal.reason}.",
            f"    fix: git rm --cached {quoted} && dvc add {quoted}",
        ]
    lines += [
        "Then `git add` the .dvc files and .gitignore changes that `dvc add` writes, and",
        "`dvc push` the data. A small file that must stay in git: raise --max-kb, or list",
        "its name with --allow (glob).",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="data-not-in-git", description=__doc__)
    parser.add_argument("filenames", nargs="*", help="staged files (pre-commit passes them)")
    parser.add_argument(
        "--data-dir",
        action="append",
        dest="data_dirs",
        metavar="DIR",
        help="folder whose files DVC tracks; repeat for several (default: data)",
    )
    parser.add_argument(
        "--max-kb",
        type=float,
        default=DEFAULT_MAX_KB,
        help=f"largest data/model file allowed in git outside the data folders, in KB "
        f"(default: {DEFAULT_MAX_KB})",
    )
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="GLOB",
        help="file name pattern allowed anyway, e.g. README.md; repeat for several",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Refuse staged data files; print why and how to move each one to DVC."""
    args = parse_args(argv)
    data_dirs = args.data_dirs or list(DEFAULT_DATA_DIRS)
    allowed = [*ALLOWED_IN_DATA_DIRS, *args.allow]
    max_bytes = int(args.max_kb * 1024)
    refusals = []
    for name in args.filenames:
        path = Path(name)
        if not path.is_file():  # deletions and submodules are not data being added
            continue
        refusal = check_file(name, path.stat().st_size, data_dirs, max_bytes, allowed)
        if refusal is not None:
            refusals.append(refusal)
    if refusals:
        print(format_report(refusals))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
