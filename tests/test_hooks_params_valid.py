"""params-valid: params.yaml parses, repeats no key anywhere, and passes the project's schema."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from copier_mlops.precommit.params_valid import (
    main,
    schema_command,
    schema_problems,
    structure_problems,
)

PYTHON = shlex.quote(sys.executable)
# A stand-in for a project's schema: `train.lr` must be positive.
SCHEMA = (
    "import sys, yaml; lr = yaml.safe_load(open(sys.argv[1]))['train']['lr']; "
    "sys.exit(0 if lr > 0 else f'params.yaml: train.lr must be > 0 (got {lr})')"
)


def write(tmp_path: Path, text: str, name: str = "params.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_well_formed_params_pass(tmp_path: Path) -> None:
    assert structure_problems(write(tmp_path, "train:\n  lr: 0.1\n  layers: [1, 2]\n")) == []


def test_an_empty_params_file_is_allowed(tmp_path: Path) -> None:
    assert structure_problems(write(tmp_path, "# nothing tuned yet\n")) == []


def test_a_duplicate_top_level_key_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "train:\n  lr: 0.1\nevaluate:\n  k: 1\ntrain:\n  lr: 0.2\n")
    assert structure_problems(path) == [
        f"{path}: duplicate key 'train' on lines 1 and 5; YAML keeps only the last one, so "
        "the first is silently ignored. Fix: delete or merge one of them."
    ]


def test_a_duplicate_nested_key_names_its_full_path(tmp_path: Path) -> None:
    path = write(tmp_path, "train:\n  model:\n    lr: 0.1\n    depth: 3\n    lr: 0.2\n")
    (problem,) = structure_problems(path)
    assert "duplicate key 'train.model.lr' on lines 3 and 5" in problem


def test_a_duplicate_key_inside_a_list_item_is_found(tmp_path: Path) -> None:
    path = write(tmp_path, "grid:\n  - {lr: 0.1, lr: 0.2}\n")
    (problem,) = structure_problems(path)
    assert "duplicate key 'grid[0].lr' on lines 2 and 2" in problem


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = "base: &base\n  lr: 0.1\ntrain:\n  <<: *base\n  depth: 3\n"
    assert structure_problems(write(tmp_path, text)) == []


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    (problem,) = structure_problems(write(tmp_path, "train:\n  lr: [0.1\n  depth: 3\n"))
    assert "is not valid YAML" in problem
    assert "line" in problem


def test_params_must_be_a_mapping(tmp_path: Path) -> None:
    (problem,) = structure_problems(write(tmp_path, "- 0.1\n- 0.2\n"))
    assert "must be a mapping of parameter groups" in problem


def test_the_schema_command_gets_the_params_file(tmp_path: Path) -> None:
    command = schema_command(f"{PYTHON} -c {shlex.quote(SCHEMA)} {{params_file}}", tmp_path)
    assert command[-1] == str(tmp_path)


def test_a_failing_schema_command_reports_its_output(tmp_path: Path) -> None:
    path = write(tmp_path, "train:\n  lr: -1\n")
    command = [sys.executable, "-c", SCHEMA, str(path)]
    (problem,) = schema_problems(command, timeout=30)
    assert "failed (exit 1)" in problem
    assert "params.yaml: train.lr must be > 0 (got -1)" in problem


def test_a_schema_command_the_hook_env_cannot_import_gets_a_hint() -> None:
    (problem,) = schema_problems([sys.executable, "-m", "no_such_package.config"], timeout=30)
    assert "uv run python -m <package>.config" in problem


def test_a_slow_schema_command_is_stopped(tmp_path: Path) -> None:
    (problem,) = schema_problems([sys.executable, "-c", "import time; time.sleep(5)"], 0.2)
    assert "took longer than 0.2s; raise --timeout" in problem


def test_a_missing_schema_program_is_named() -> None:
    (problem,) = schema_problems(["no-such-program-xyz"], timeout=5)
    assert "no-such-program-xyz not found; fix --schema-command" in problem


def test_main_runs_the_schema_only_on_parsed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "train:\n  lr: 0.1\n")
    schema = f"--schema-command={PYTHON} -c {shlex.quote(SCHEMA)} {{params_file}}"
    assert main([schema]) == 0

    write(tmp_path, "train:\n  lr: -0.5\n")
    assert main([schema]) == 1
    assert "train.lr must be > 0 (got -0.5)" in capsys.readouterr().out

    write(tmp_path, "train:\n  lr: 0.1\ntrain:\n  lr: 0.1\n")
    assert main([schema]) == 1
    out = capsys.readouterr().out
    assert "duplicate key 'train'" in out
    assert "schema command" not in out


def test_main_checks_each_params_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a: 1\n")
    write(tmp_path, "b: 1\nb: 2\n", name="extra.yaml")
    assert main(["--params-file", "params.yaml", "--params-file", "extra.yaml"]) == 1
    assert capsys.readouterr().out.startswith("extra.yaml: duplicate key 'b'")
    assert main(["--params-file", "missing.yaml"]) == 1
