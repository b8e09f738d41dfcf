"""The hashes DVC records in dvc.lock, computed without DVC (checked against DVC 3.67).

DVC 3 entries (`hash: md5`) hold the md5 of the file's bytes. DVC 2 entries (no `hash`
field) hold "md5-dos2unix": chunks that look like text have CRLF turned into LF first.
A directory's hash is the md5 of a JSON list of `{"md5", "relpath"}` entries sorted by
relpath, with `.dir` appended.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 2**20  # DVC hashes in 1 MiB chunks; dos2unix decides text-or-not per chunk
TEXT_PROBE_SIZE = 512
TEXT_BYTES = bytes(range(32, 127)) + b"\n\r\t\f\b"
# DVC's default ignore patterns: these folders never count as part of a directory.
IGNORED_DIR_NAMES = frozenset({".git", ".hg", ".dvc"})
# (path, is_dir) -> whether .dvcignore leaves it out
IgnoreCheck = Callable[[Path, bool], bool]


@dataclass(frozen=True)
class DirHash:
    """A directory as DVC summarizes it."""

    md5: str  # ends with ".dir"
    nfiles: int
    size: int


def looks_like_text(block: bytes) -> bool:
    """DVC's text heuristic: no NUL byte and at most 30% bytes outside printable ASCII."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    return len(block.translate(None, TEXT_BYTES)) / len(block) <= 0.30


def file_md5(path: Path, legacy_dos2unix: bool = False) -> str:
    """md5 of a file as DVC records it (DVC 2's dos2unix variant when legacy_dos2unix)."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            if legacy_dos2unix and looks_like_text(chunk[:TEXT_PROBE_SIZE]):
                chunk = chunk.replace(b"\r\n", b"\n")
            digest.update(chunk)
    return digest.hexdigest()


def directory_files(root: Path, ignored: IgnoreCheck | None = None) -> list[tuple[str, Path]]:
    """Every file under root as (posix relpath, path), leaving out what DVC ignores."""
    found = []
    for folder, dirnames, filenames in os.walk(root):
        base = Path(folder)
        dirnames[:] = [
            name
            for name in dirnames
            if name not in IGNORED_DIR_NAMES and not (ignored and ignored(base / name, True))
        ]
        for name in filenames:
            path = base / name
            if not (ignored and ignored(path, False)):
                found.append((path.relative_to(root).as_posix(), path))
    return found


def dir_md5(
    root: Path, legacy_dos2unix: bool = False, ignored: IgnoreCheck | None = None
) -> DirHash:
    """The `.dir` hash, file count and total size DVC records for a directory."""
    files = directory_files(root, ignored)
    entries = sorted(
        ({"md5": file_md5(path, legacy_dos2unix), "relpath": rel} for rel, path in files),
        key=lambda entry: entry["relpath"],
    )
    # Exactly DVC's serialization (json.dumps defaults, sorted keys): any change alters it.
    listing = json.dumps(entries, sort_keys=True).encode("utf-8")
    digest = hashlib.md5(listing, usedforsecurity=False).hexdigest()
    size = sum(path.stat().st_size for _, path in files)
    return DirHash(md5=f"{digest}.dir", nfiles=len(files), size=size)
