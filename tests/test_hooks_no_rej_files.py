"""The no-rej-files hook finds copier's reject files anywhere in the work tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from copier_mlops.precommit.no_rej_files import main, rej_files


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text("", encoding="utf-8")
    assert main(["--root", str(tmp_path)]) == 0


def test_a_rej_file_anywhere_fails_and_names_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src/pkg").mkdir(parents=True)
    (tmp_path / "src/pkg/config.py.rej").write_text("@@ -1 +1 @@\n", encoding="utf-8")
    assert main(["--root", str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert "src/pkg/config.py.rej" in printed
    assert "into src/pkg/config.py" in printed


def test_tool_folders_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".venv/lib").mkdir(parents=True)
    (tmp_path / ".venv/lib/patch.rej").write_text("", encoding="utf-8")
    (tmp_path / "README.md.rej").write_text("", encoding="utf-8")
    assert list(rej_files(tmp_path)) == [Path("README.md.rej")]
