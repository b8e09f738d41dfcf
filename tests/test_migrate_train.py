"""migrate.py train-0.1.0: params.yaml's forest-only train section names its model.

Before 0.1.0, `train` held the random forest's hyperparameters and the seed. From 0.1.0
`train.model` chooses the model and each model's hyperparameters have their own section;
an updated project must keep training the forest it had, with the team's values.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from test_migrate import OLD_DEFAULT, render_params, train_section, with_train

from copier_mlops.tasks.migrate import NEW_TRY, STRATIFY_LINE, main

from support import KIT_ROOT, kit_config

COMMAND = "train-0.1.0"
KIT_PARAMS = KIT_ROOT / "template/params.yaml.jinja"
# What an old project's default train section becomes.
MIGRATED_TRAIN = """\
train:
  model: random_forest # the model before 0.1.0; new projects train hist_gradient_boosting
  class_weight: null # balanced: weigh each class by its rarity (classification only)
  n_jobs: -1 # cores to train on, -1 for all; the model is the same for any value
  seed: 42
  random_forest:
    n_estimators: 200
    max_depth: 8 # null grows trees until their leaves are pure
    min_samples_leaf: 2
"""


def as_migrated(kit_params: str) -> str:
    """The kit's rendered params.yaml as a project made before 0.1.0 has it once updated."""
    header = "# Try a change without editing it: "
    (stratify,) = [line for line in kit_params.splitlines() if line.startswith("  stratify:")]
    return (
        with_train(kit_params, MIGRATED_TRAIN)
        .replace(f"{header}`uv run dvc exp run -S train.model=lightgbm`", f"{header}{NEW_TRY}")
        .replace(stratify, f"  {STRATIFY_LINE}")
    )


def migrate(project: Path, text: str | None) -> str:
    """Run the 0.1.0 params commands, in copier.yml's order, on a params.yaml of text."""
    params = project / "params.yaml"
    if text is not None:
        params.write_bytes(text.encode("utf-8"))
    assert main(["params-0.1.0", f"--dvc-file={project / 'dvc.yaml'}", str(params)]) == 0
    assert main([COMMAND, str(params)]) == 0
    assert main(["tune-0.1.0", str(params), str(KIT_PARAMS)]) == 0
    assert main(["monitor-0.1.0", str(params), str(KIT_PARAMS)]) == 0
    assert main(["split-0.1.0", str(params)]) == 0
    return params.read_bytes().decode("utf-8") if params.exists() else ""


def test_the_old_default_trains_the_same_forest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated = migrate(tmp_path, OLD_DEFAULT)

    assert migrated == as_migrated(render_params("classification"))
    said = capsys.readouterr().out
    assert "train.model is random_forest" in said
    assert "added the tune section" in said
    assert "added the monitor section" in said
    assert "prepare.stratify is false" in said
    assert migrate(tmp_path, None) == migrated
    assert capsys.readouterr().out == "", "a second run must change and say nothing"


def test_new_keys_read_as_the_kits_params_yaml_does() -> None:
    # One source of truth: each key the migration adds, and the forest's section, as the
    # kit's own params.yaml writes them (only `model` differs, on purpose).
    kit = train_section(render_params("classification")).splitlines()
    migrated = MIGRATED_TRAIN.splitlines()
    for key in ("  class_weight:", "  n_jobs:", "  seed:"):
        assert [line for line in migrated if line.startswith(key)] == [
            line for line in kit if line.startswith(key)
        ]
    forest = migrated[migrated.index("  random_forest:") :][:4]
    assert forest == kit[kit.index("  random_forest:") :][:4]


def test_a_team_edited_train_section_keeps_values_and_comments(tmp_path: Path) -> None:
    edited = OLD_DEFAULT.replace(
        "  n_estimators: 200\n", "  # tuned in March\n  n_estimators: 500\n"
    )
    edited = edited.replace("  seed: 42\n", "  seed: 7 # our lucky number\n")
    migrated = migrate(tmp_path, edited)
    assert "    # tuned in March\n    n_estimators: 500\n" in migrated
    assert "  seed: 7 # our lucky number\n" in migrated
    train = yaml.safe_load(migrated)["train"]
    assert train["random_forest"] == {"n_estimators": 500, "max_depth": 8, "min_samples_leaf": 2}
    assert (train["model"], train["seed"], train["n_jobs"]) == ("random_forest", 7, -1)


def test_other_indents_and_line_endings_are_kept(tmp_path: Path) -> None:
    old = textwrap.dedent(
        """\
        train:
            n_estimators: 100
            seed: 1
            max_depth: null
            min_samples_leaf: 3
        evaluate:
            top_features: 10
        """
    ).replace("\n", "\r\n")
    params = tmp_path / "params.yaml"
    params.write_bytes(old.encode())
    assert main([COMMAND, str(params)]) == 0
    migrated = params.read_bytes().decode()
    assert "\n" not in migrated.replace("\r\n", "")
    train = yaml.safe_load(migrated)["train"]
    assert train["random_forest"] == {"n_estimators": 100, "max_depth": None, "min_samples_leaf": 3}
    assert "        n_estimators: 100\r\n" in migrated


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "  min_samples_leaf: 2\n",
            "  min_samples_leaf: 2\n  criterion: gini\n",
            "not the forest's",
        ),
        (
            "train:\n  n_estimators: 200\n  max_depth: 8 # null grows trees until their leaves"
            " are pure\n  min_samples_leaf: 2\n  seed: 42\n",
            "train: {n_estimators: 200, max_depth: 8, min_samples_leaf: 2, seed: 42}\n",
            "written inline",
        ),
    ],
)
def test_an_unknown_shape_is_left_alone_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, reason: str
) -> None:
    assert old in OLD_DEFAULT
    unknown = OLD_DEFAULT.replace(old, new)
    params = tmp_path / "params.yaml"
    params.write_text(unknown, encoding="utf-8")
    assert main([COMMAND, str(params)]) == 0
    assert params.read_text(encoding="utf-8") == unknown, "the update must leave it as it was"
    said = capsys.readouterr().out
    assert reason in said
    assert "Change it by hand" in said
    assert "random_forest:" in said


def test_a_file_in_the_new_shape_is_left_alone(tmp_path: Path) -> None:
    new = render_params("regression").replace("model: hist_gradient_boosting", "model: lightgbm")
    params = tmp_path / "params.yaml"
    params.write_text(new, encoding="utf-8")
    assert main([COMMAND, str(params)]) == 0
    assert params.read_text(encoding="utf-8") == new


def test_copier_runs_it_after_params_0_1_0() -> None:
    commands = [m["command"] for m in kit_config()["_migrations"]]
    names = [command[2] for command in commands]
    assert names.index(COMMAND) == names.index("params-0.1.0") + 1
    (entry,) = [m for m in kit_config()["_migrations"] if COMMAND in m["command"]]
    assert entry["version"] == "0.1.0"
    assert entry["when"] == "{{ _stage == 'before' }}"


@pytest.mark.parametrize("key", ["tune", "monitor"])
def test_a_section_is_added_once_before_evaluate(tmp_path: Path, key: str) -> None:
    params = tmp_path / "params.yaml"
    old = "train:\n  seed: 1\n\n# how much to report\nevaluate:\n  top_features: 3\n"
    params.write_bytes(old.replace("\n", "\r\n").encode())
    assert main([f"{key}-0.1.0", str(params), str(KIT_PARAMS)]) == 0
    text = params.read_bytes().decode()
    assert "\n" not in text.replace("\r\n", "")
    assert text.index(f"{key}:") < text.index("# how much to report") < text.index("evaluate:")
    kit = yaml.safe_load(render_params("classification"))
    assert yaml.safe_load(text) == {
        "train": {"seed": 1},
        key: kit[key],
        "evaluate": {"top_features": 3},
    }
    assert main([f"{key}-0.1.0", str(params), str(KIT_PARAMS)]) == 0
    assert params.read_bytes().decode() == text, "a second run must change nothing"


def test_a_teams_own_tune_section_is_kept(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    own = "tune:\n  trials: 5\nevaluate:\n  top_features: 3\n"
    params.write_text(own, encoding="utf-8")
    assert main(["tune-0.1.0", str(params), str(KIT_PARAMS)]) == 0
    assert params.read_text(encoding="utf-8") == own


def test_an_updated_project_keeps_its_split(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    old = "prepare:\n    test_fraction: 0.3\n    seed: 1 # ours\nevaluate:\n    top_features: 3"
    params.write_bytes(old.replace("\n", "\r\n").encode())
    assert main(["split-0.1.0", str(params)]) == 0
    text = params.read_bytes().decode()
    assert "\n" not in text.replace("\r\n", "")
    assert f"    seed: 1 # ours\r\n    {STRATIFY_LINE}\r\n" in text
    assert yaml.safe_load(text)["prepare"] == {"test_fraction": 0.3, "seed": 1, "stratify": False}
    assert main(["split-0.1.0", str(params)]) == 0
    assert params.read_bytes().decode() == text, "a second run must change nothing"


@pytest.mark.parametrize(
    "own",
    [
        "prepare:\n  seed: 1\n  stratify: true\n",  # already chosen
        "prepare: {seed: 1}\n",  # written inline: no line of its own to follow
        "prepare:\n  test_fraction: 0.2\n",  # no seed to follow
    ],
)
def test_a_prepare_section_it_cannot_follow_is_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], own: str
) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(own, encoding="utf-8")
    assert main(["split-0.1.0", str(params)]) == 0
    assert params.read_text(encoding="utf-8") == own
    said = capsys.readouterr().out
    assert ("stratify: false` to its prepare section by hand" in said) == ("stratify" not in own)
