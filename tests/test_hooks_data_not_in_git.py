"""data-not-in-git: staged data belongs in DVC; the message says how to move it there."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from copier_mlops.precommit.data_not_in_git import DEFAULT_MAX_KB, check_file, data_suffix, main

LIMIT = DEFAULT_MAX_KB * 1024


def test_any_file_under_the_data_folder_is_refused_whatever_its_size() -> None:
    refusal = check_file("data/raw/tiny.txt", 3, ["data"], LIMIT)
    assert refusal is not None
    assert "data folder data/" in refusal.reason


@pytest.mark.parametrize(
    "name", ["data/.gitignore", "data/raw/.gitignore", "data/raw/.gitkeep", "data/raw/x.csv.dvc"]
)
def test_dvc_metafiles_and_placeholders_may_live_in_the_data_folder(name: str) -> None:
    assert check_file(name, 10, ["data"], LIMIT) is None


def test_packages_named_data_elsewhere_are_code_not_data() -> None:
    """src/<package>/data/ is the generated project's data layer: Python, not data."""
    assert check_file("src/pkg/data/io.py", 10_000, ["data"], LIMIT) is None
    assert check_file("database/schema.sql", 10, ["data"], LIMIT) is None


def test_large_data_format_outside_the_data_folder_is_refused() -> None:
    refusal = check_file("notebooks/features.parquet", LIMIT + 1, ["data"], LIMIT)
    assert refusal is not None
    assert ".parquet" in refusal.reason
    assert "500 KB" in refusal.reason


def test_small_data_format_outside_the_data_folder_is_allowed() -> None:
    """Tiny fixtures for tests are fine in git."""
    assert check_file("tests/fixtures/rows.csv", LIMIT, ["data"], LIMIT) is None


def test_large_file_of_another_kind_is_left_to_other_hooks() -> None:
    assert check_file("docs/figure.png", 10 * LIMIT, ["data"], LIMIT) is None


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("train.CSV", ".csv"),
        ("train.csv.gz", ".csv"),
        ("model.skops", ".skops"),
        ("weights.pt", ".pt"),
        ("arrays.npz", ".npz"),
        ("clf.pkl", ".pkl"),
        ("v1.2.onnx", ".onnx"),
        ("README.md", None),
        ("archive.gz", None),
    ],
)
def test_data_formats_are_recognised_through_case_and_compression(
    name: str, suffix: str | None
) -> None:
    assert data_suffix(PurePosixPath(name)) == suffix


def test_more_data_folders_can_be_configured() -> None:
    assert check_file("models/model.skops", 10, ["data", "models"], LIMIT) is not None
    assert check_file("models/model.skops", 10, ["data"], LIMIT) is None


def test_allow_patterns_let_named_files_stay_in_git() -> None:
    allowed = (".gitignore", ".gitkeep", "*.dvc", "README.md")
    assert check_file("data/README.md", 10, ["data"], LIMIT, allowed) is None


def test_message_names_file_size_reason_and_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "my rows.csv").write_bytes(b"x" * 2048)
    (tmp_path / "model.pkl").write_bytes(b"x" * 4096)

    assert main(["data/raw/my rows.csv", "model.pkl", "--max-kb", "1"]) == 1

    out = capsys.readouterr().out
    assert "data/raw/my rows.csv (2.0 KB) is under the data folder data/" in out
    assert "git rm --cached 'data/raw/my rows.csv' && dvc add 'data/raw/my rows.csv'" in out
    assert "model.pkl (4.0 KB) is a .pkl data/model file larger than 1 KB" in out
    assert "dvc add model.pkl" in out


def test_clean_commit_passes_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv.dvc").write_text("outs: []\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("print(1)\n", encoding="utf-8")

    assert main(["data/rows.csv.dvc", "app.py", "deleted.csv"]) == 0
    assert capsys.readouterr().out == ""
