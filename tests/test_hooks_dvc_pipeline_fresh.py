"""dvc-pipeline-fresh: dvc.lock is judged stale exactly where DVC would rerun a stage.

tests/fixtures/dvc_project holds a 3-stage pipeline with the dvc.lock that real DVC
(3.67.1) wrote for it, and the same lock in DVC 2's format (see regenerate.sh there). DVC
is not needed here. Every expected verdict below was also checked against `dvc status` on
the same edit (own changes; downstream stages are this hook's addition, as `dvc repro`
would rerun them), except for missing deps: DVC reports them, this hook skips them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from copier_mlops.dvc_hashes import dir_md5, file_md5
from copier_mlops.dvc_pipeline_fresh import check_pipeline, main
from copier_mlops.dvcignore import DvcIgnore, parse_rule

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


def test_file_and_directory_hashes_equal_what_dvc_recorded() -> None:
    lock = yaml.safe_load((FIXTURE / "dvc.lock").read_text(encoding="utf-8"))
    deps = {dep["path"]: dep for dep in lock["stages"]["prepare"]["deps"]}
    assert file_md5(FIXTURE / "data/raw/table.csv") == deps["data/raw/table.csv"]["md5"]
    images = dir_md5(FIXTURE / "data/raw/images")  # nested folder and a non-ASCII name
    assert (images.md5, images.nfiles, images.size) == (
        deps["data/raw/images"]["md5"],
        deps["data/raw/images"]["nfiles"],
        deps["data/raw/images"]["size"],
    )


def test_an_edited_code_file_makes_its_stage_and_everything_downstream_stale(
    project: Path,
) -> None:
    append(project / "src/prepare.py", "# tuned\n")
    assert stale(project) == {
        "prepare": ["dep src/prepare.py: content changed (size differs)"],
        "train": ["upstream stage prepare is stale (this stage uses its out data/prepared)"],
        "evaluate": ["upstream stage train is stale (this stage uses its out models/model.txt)"],
    }


def test_a_same_size_edit_is_caught_by_the_md5(project: Path) -> None:
    replace_in(project / "src/train.py", '"m"', '"n"')
    assert stale(project)["train"] == ["dep src/train.py: content changed (md5 differs)"]


@pytest.mark.parametrize(
    ("edit", "detail"),
    [
        pytest.param(
            lambda p: append(p / "src/pkg/m2.py", "Z = 1\n"),
            "a file in it was edited or renamed",
            id="file-edited",
        ),
        pytest.param(
            lambda p: append(p / "src/pkg/sub/new.py", "N = 1\n"),
            "5 files in dvc.lock, 6 now",
            id="file-added",
        ),
        pytest.param(
            lambda p: (p / "src/pkg/m3.py").unlink(),
            "5 files in dvc.lock, 4 now",
            id="file-deleted",
        ),
    ],
)
def test_a_change_inside_a_dependency_directory_makes_its_stage_stale(
    project: Path, edit, detail: str
) -> None:
    edit(project)
    assert own_stale(project) == {"prepare"}
    assert stale(project)["prepare"] == [f"dep src/pkg: directory content changed ({detail})"]


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
    assert own_stale(project) == {"train", "evaluate"}


def test_a_new_key_in_a_wholly_tracked_params_file(project: Path) -> None:
    append(project / "extra.yaml", "other: 2\n")
    assert stale(project) == {"evaluate": ["param other is newly tracked"]}


def test_an_interpolated_param_changes_the_command_too(project: Path) -> None:
    replace_in(project / "params.yaml", "lr: 0.1", "lr: 0.01")
    assert stale(project)["train"][0] == (
        "cmd changed (['python src/train.py', 'echo 0.1'] in dvc.lock, "
        "['python src/train.py', 'echo 0.01'] now)"
    )


def test_a_changed_command_makes_its_stage_stale(project: Path) -> None:
    replace_in(project / "dvc.yaml", "python src/evaluate.py", "python src/evaluate.py --fast")
    assert stale(project) == {
        "evaluate": [
            "cmd changed ('python src/evaluate.py' in dvc.lock, "
            "'python src/evaluate.py --fast' now)"
        ]
    }


def test_a_dep_added_to_dvc_yaml_makes_its_stage_stale(project: Path) -> None:
    replace_in(
        project / "dvc.yaml",
        "      - src/evaluate.py\n",
        "      - src/evaluate.py\n      - src/train.py\n",
    )
    assert stale(project) == {"evaluate": ["dep src/train.py is new"]}


def test_a_param_added_to_dvc_yaml_makes_its_stage_stale(project: Path) -> None:
    replace_in(
        project / "dvc.yaml", "      - prepare.seed\n", "      - prepare.seed\n      - unused\n"
    )
    assert stale(project)["prepare"] == ["param unused is newly tracked"]


def test_dependencies_not_pulled_are_skipped(project: Path) -> None:
    shutil.rmtree(project / "data")
    (project / "models/model.txt").unlink()
    assert stale(project) == {}


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
    verdicts, notes = check_pipeline(project / "dvc.yaml")
    assert verdicts == []
    assert notes == ["stage evaluate not checked: frozen: dvc repro never reruns it"]


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


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("__pycache__/", "src/pkg/__pycache__", True, True),
        ("__pycache__/", "src/pkg/__pycache__", False, False),
        ("*.pyc", "a/b/c.pyc", False, True),
        ("/build", "build", True, True),
        ("/build", "src/build", True, False),
        ("data/*.tmp", "data/x.tmp", False, True),
        ("data/*.tmp", "data/sub/x.tmp", False, False),
        ("**/cache", "a/b/cache", True, True),
        ("logs/**", "logs/a/b.txt", False, True),
        ("file[0-9].txt", "d/file3.txt", False, True),
    ],
)
def test_dvcignore_patterns_follow_gitignore_rules(
    tmp_path: Path, pattern: str, path: str, is_dir: bool, ignored: bool
) -> None:
    rule = parse_rule(pattern)
    assert rule is not None
    assert DvcIgnore(tmp_path, [rule]).ignores(tmp_path / path, is_dir) is ignored


def test_a_negated_dvcignore_pattern_takes_a_file_back(tmp_path: Path) -> None:
    rules = [parse_rule("*.log"), parse_rule("!keep.log")]
    ignore = DvcIgnore(tmp_path, [rule for rule in rules if rule])
    assert ignore.ignores(tmp_path / "x.log", False)
    assert not ignore.ignores(tmp_path / "keep.log", False)
