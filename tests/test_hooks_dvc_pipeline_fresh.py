"""dvc-pipeline-fresh: dvc.lock is judged stale exactly where DVC would rerun a stage.

tests/fixtures/dvc_project holds a 3-stage pipeline with the dvc.lock that real DVC
(3.67.1) wrote for it, and the same lock in DVC 2's format (see regenerate.sh there). The
hook asks the real DVC (`dvc status`), here the kit's test dependency on PATH; what it adds
is the why (the values of changed params) and the stages downstream, which `dvc repro`
reruns too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from copier_mlops.precommit.dvc_pipeline_fresh import check_pipeline, dvc_command, main

from support import copy_project

FIXTURE = Path(__file__).parent / "fixtures" / "dvc_project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the recorded project (outputs included, as after `dvc repro`)."""
    return shutil.copytree(FIXTURE, tmp_path / "project", ignore=shutil.ignore_patterns("*.sh"))


def stale(project: Path) -> dict[str, list[str]]:
    verdicts, _ = check_pipeline(project / "dvc.yaml")
    return {verdict.name: verdict.reasons for verdict in verdicts}


def own_stale(project: Path) -> set[str]:
    """Stages stale for a reason of their own, i.e. what `dvc status` lists."""
    return {
        name
        for name, reasons in stale(project).items()
        if any(not reason.startswith("upstream stage") for reason in reasons)
    }


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as stream:
        stream.write(text)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def use_dvc2_lock(project: Path) -> None:
    shutil.copy(project / "dvc2.lock", project / "dvc.lock")


def test_the_pipeline_dvc_recorded_is_fresh(project: Path) -> None:
    assert stale(project) == {}


def test_a_lock_in_dvc2_format_is_fresh_too(project: Path) -> None:
    use_dvc2_lock(project)
    assert stale(project) == {}


def test_an_edited_code_file_makes_its_stage_and_everything_downstream_stale(
    project: Path,
) -> None:
    append(project / "src/prepare.py", "# tuned\n")
    assert stale(project) == {
        "prepare": ["dep src/prepare.py: content changed"],
        "train": ["upstream stage prepare is stale (this stage uses its out data/prepared)"],
        "evaluate": ["upstream stage train is stale (this stage uses its out models/model.txt)"],
    }


def test_a_same_size_edit_is_caught(project: Path) -> None:
    replace_in(project / "src/train.py", '"m"', '"n"')
    assert stale(project)["train"] == ["dep src/train.py: content changed"]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda p: append(p / "src/pkg/m2.py", "Z = 1\n"), id="file-edited"),
        pytest.param(lambda p: append(p / "src/pkg/sub/new.py", "N = 1\n"), id="file-added"),
        pytest.param(lambda p: (p / "src/pkg/m3.py").unlink(), id="file-deleted"),
    ],
)
def test_a_change_inside_a_dependency_directory_makes_its_stage_stale(project: Path, edit) -> None:
    edit(project)
    assert own_stale(project) == {"prepare"}
    assert stale(project)["prepare"] == ["dep src/pkg: content changed"]


def test_files_the_dvcignore_leaves_out_do_not_count(project: Path) -> None:
    (project / "src/pkg/__pycache__").mkdir()
    (project / "src/pkg/__pycache__/m1.cpython-311.pyc").write_bytes(b"\x00compiled")
    (project / "src/pkg/scratch.tmp").write_text("notes", encoding="utf-8")
    assert stale(project) == {}


def test_a_changed_param_makes_only_the_stages_tracking_it_stale(project: Path) -> None:
    replace_in(project / "params.yaml", "split: 0.2", "split: 0.3")
    assert stale(project)["prepare"] == [
        "param prepare.split changed (0.2 in dvc.lock, 0.3 in params.yaml)"
    ]
    assert own_stale(project) == {"prepare"}


def test_a_param_inside_a_tracked_section_counts(project: Path) -> None:
    replace_in(project / "params.yaml", "name: adam", "name: sgd")
    assert own_stale(project) == {"train"}
    assert stale(project)["train"] == [
        "param train.opt.name changed ('adam' in dvc.lock, 'sgd' in params.yaml)"
    ]


def test_a_key_added_to_a_tracked_section_is_named(project: Path) -> None:
    replace_in(project / "params.yaml", "  lr: 0.1\n", "  lr: 0.1\n  momentum: 0.9\n")
    assert stale(project)["train"] == [
        "param train.momentum changed ((absent) in dvc.lock, 0.9 in params.yaml)"
    ]


def test_an_untracked_param_does_not_make_anything_stale(project: Path) -> None:
    replace_in(project / "params.yaml", "unused: 1", "unused: 2")
    assert stale(project) == {}


def test_a_param_of_another_file_tracked_by_key_and_whole(project: Path) -> None:
    replace_in(project / "extra.yaml", "0.5", "0.6")
    changed = "param threshold changed (0.5 in dvc.lock, 0.6 in extra.yaml)"
    assert stale(project) == {"train": [changed], "evaluate": [changed]}


def test_a_new_key_in_a_wholly_tracked_params_file(project: Path) -> None:
    append(project / "extra.yaml", "other: 2\n")
    assert stale(project) == {"evaluate": ["param other is newly tracked"]}


def test_an_interpolated_param_changes_the_command_too(project: Path) -> None:
    replace_in(project / "params.yaml", "lr: 0.1", "lr: 0.01")
    assert stale(project)["train"] == [
        "param train.lr changed (0.1 in dvc.lock, 0.01 in params.yaml)",
        "cmd changed (dvc.lock has ['python src/train.py', 'echo 0.1'])",
    ]


def test_a_changed_command_makes_its_stage_stale(project: Path) -> None:
    replace_in(project / "dvc.yaml", "python src/evaluate.py", "python src/evaluate.py --fast")
    assert stale(project) == {"evaluate": ["cmd changed (dvc.lock has 'python src/evaluate.py')"]}


def test_a_dep_added_to_dvc_yaml_makes_its_stage_stale(project: Path) -> None:
    replace_in(
        project / "dvc.yaml",
        "      - src/evaluate.py\n",
        "      - src/evaluate.py\n      - src/train.py\n",
    )
    assert stale(project) == {"evaluate": ["dep src/train.py: new, not in dvc.lock"]}


def test_a_param_added_to_dvc_yaml_makes_its_stage_stale(project: Path) -> None:
    replace_in(
        project / "dvc.yaml", "      - prepare.seed\n", "      - prepare.seed\n      - unused\n"
    )
    assert stale(project)["prepare"] == ["param unused is newly tracked"]


def test_dependencies_not_pulled_are_skipped_with_a_note(project: Path) -> None:
    shutil.rmtree(project / "data")
    (project / "models/model.txt").unlink()
    verdicts, notes = check_pipeline(project / "dvc.yaml")
    assert verdicts == []
    assert "stage prepare: dep data/raw/table.csv is not on disk (not pulled?)" in notes
    assert "stage evaluate: dep models/model.txt is not on disk (not pulled?)" in notes


def test_a_stage_missing_from_the_lock_has_never_run(project: Path) -> None:
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    del lock["stages"]["evaluate"]
    (project / "dvc.lock").write_text(yaml.safe_dump(lock), encoding="utf-8")
    assert stale(project) == {"evaluate": ["not in dvc.lock: it has never run (or was renamed)"]}


def test_without_a_lock_every_stage_is_stale(project: Path) -> None:
    (project / "dvc.lock").unlink()
    assert own_stale(project) == {"prepare", "train", "evaluate"}


def test_line_endings_count_in_dvc3_and_not_in_dvc2_locks(project: Path) -> None:
    """DVC 3 hashes bytes; DVC 2 hashed text with CRLF turned into LF."""
    script = project / "src/evaluate.py"
    script.write_bytes(script.read_bytes().replace(b"\n", b"\r\n"))
    assert own_stale(project) == {"evaluate"}
    use_dvc2_lock(project)
    assert stale(project) == {}


def test_frozen_stages_are_not_judged(project: Path) -> None:
    replace_in(project / "dvc.yaml", "  evaluate:\n", "  evaluate:\n    frozen: true\n")
    append(project / "src/evaluate.py", "# edited\n")
    assert stale(project) == {}


def test_an_output_edited_by_hand_makes_its_consumers_stale(project: Path) -> None:
    (project / "models/model.txt").write_text("tuned by hand\n", encoding="utf-8")
    assert stale(project) == {"evaluate": ["dep models/model.txt: content changed"]}


def test_message_names_each_stage_its_reasons_and_the_command(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    replace_in(project / "params.yaml", "name: adam", "name: sgd")
    assert main([]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "dvc.lock is stale: 2 stage(s) changed since `dvc repro` last ran:",
        "  train:",
        "    - param train.opt.name changed ('adam' in dvc.lock, 'sgd' in params.yaml)",
        "  evaluate:",
        "    - upstream stage train is stale (this stage uses its out models/model.txt)",
        "Fix: run `dvc repro train evaluate`, then commit dvc.lock.",
    ]


def test_a_repo_without_a_pipeline_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    assert main(["--dvc-yaml", "pipelines/dvc.yaml"]) == 1


def test_a_broken_lock_is_reported_not_crashed_on(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append(project / "dvc.lock", "stages:\n  again: {}\n")
    assert main(["--dvc-yaml", str(project / "dvc.yaml")]) == 1
    assert "duplicate key 'stages'" in capsys.readouterr().out


def test_without_dvc_the_hook_says_what_to_install(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("PATH", str(project / "src"))  # no dvc, no uv
    assert main([]) == 1
    assert capsys.readouterr().out == (
        "dvc-pipeline-fresh needs DVC: add it to the project's environment (`uv add dvc`), "
        "or install it on PATH (`pipx install dvc`)\n"
    )
    (project / "uv.lock").write_text("", encoding="utf-8")
    assert main([]) == 1
    assert "uv is not on PATH: install uv, then run `uv sync`" in capsys.readouterr().out


def test_a_project_with_a_uv_lock_uses_its_own_dvc(project: Path) -> None:
    (project / "uv.lock").write_text("", encoding="utf-8")
    if shutil.which("uv") is None:
        pytest.fail("uv must be on PATH for the kit's tests (README, Developing the kit)")
    assert dvc_command(project / "sub") == ["uv", "run", "--frozen", "--quiet", "dvc"]


@pytest.mark.slow
def test_a_generated_project_is_checked_by_its_own_locked_dvc(
    generated_project: Path, tmp_path: Path
) -> None:
    """As on `git push` in a team's project: DVC comes from the project's uv.lock, and the
    check is fast enough for a pre-push hook (the time is printed, not asserted)."""
    project = copy_project(generated_project, tmp_path / "project")
    uv = Path(shutil.which("uv") or "uv").parent
    only_uv = {**os.environ, "PATH": f"{uv}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    hook = [sys.executable, "-m", "copier_mlops.precommit.dvc_pipeline_fresh"]
    started = time.perf_counter()
    fresh = subprocess.run(hook, cwd=project, env=only_uv, capture_output=True, text=True)
    print(f"dvc-pipeline-fresh on a generated project: {time.perf_counter() - started:.2f} s")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr

    replace_in(project / "params.yaml", "seed: 42", "seed: 7")
    stale_run = subprocess.run(hook, cwd=project, env=only_uv, capture_output=True, text=True)
    assert stale_run.returncode == 1
    assert "param prepare.seed changed (42 in dvc.lock, 7 in params.yaml)" in stale_run.stdout
    assert "Fix: run `dvc repro prepare featurize train evaluate promote`" in stale_run.stdout
