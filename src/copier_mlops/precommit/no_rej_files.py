"""pre-commit hook `no-rej-files`: no `*.rej` file left anywhere in the work tree.

`copier update --conflict rej` writes the template's side into the file and the team's
conflicting lines into `<file>.rej`; committing then would drop those lines without a
trace. The hook looks at the whole work tree, not only staged files, because a `.rej`
file is new and untracked, so `git commit -a` would never stage it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

# Folders that hold tools' files, never the project's: skipping them keeps the hook fast.
SKIPPED_FOLDERS = {".git", ".venv", ".nox", ".tox", "node_modules", ".dvc", "__pycache__"}


def rej_files(root: Path) -> Iterator[Path]:
    """Every `*.rej` file under root, outside tool folders, in a stable order."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED_FOLDERS)
        for name in sorted(files):
            if name.endswith(".rej"):
                yield Path(folder, name).relative_to(root)


def main(argv: Sequence[str] | None = None) -> int:
    """Print each leftover `.rej` file with what to do; exit 1 if there is any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(), help="work tree to search")
    args = parser.parse_args(argv)
    leftovers = list(rej_files(args.root))
    for path in leftovers:
        source = path.with_suffix("")
        print(
            f"{path}: copier could not apply these lines of an update to {source}. Merge "
            f"them into {source} by hand (they are your lines or the kit's), then delete {path}."
        )
    return 1 if leftovers else 0


if __name__ == "__main__":
    sys.exit(main())
