"""migrate.py params-0.1.0: a params.yaml from before 0.1.0 takes 0.1.0's shape in place.

params.yaml is user-owned, so `copier update` never rewrites it: this migration is the
only way an old project's params reach the shape 0.1.0's config reads. It edits the text,
so the team's values, comments and layout survive.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import jinja2
import pytest
import yaml

from copier_mlops.tasks.migrate import (
    RATIOS_COMMENT,
    RAW_COMMENT,
    TASK_COMMENT,
    main,
)

from support import KIT_ROOT, kit_config

# template/params.yaml.jinja before 0.1.0 (kit commit 3437929), rendered.
OLD_DEFAULT = """\
# Every knob of the pipeline, grouped by DVC stage. src/my_ml_project/config.py checks this
# file before a stage starts: an unknown key or a wrong type fails, naming the key.
# Try a change without editing it: `uv run dvc exp run -S train.n_estimators=50`.

prepare:
  test_fraction: 0.2 # share of rows held out for evaluation
  seed: 42 # the train/test split is reproducible for a given seed and row order
  batch_rows: 100000 # rows validated at a time: bounds memory on large files
  rows_per_file: 1000000 # rows per parquet file in data/prepared and data/features

featurize:
  numeric: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]
  categorical: [island, sex]
  add_ratios: true # derive bill length/depth and body mass/flipper length

train:
  n_estimators: 200
  max_depth: 8 # null grows trees until their leaves are pure
  min_samples_leaf: 2
  seed: 42

evaluate:
  top_features: 10 # how many features the importance figure shows
"""
# dvc.yaml's prepare stage before 0.1.0, as a team that renamed its raw file has it.
OLD_DVC_YAML = """\
stages:
  prepare:
    cmd: python -m my_ml_project.pipeline.prepare
    deps:
      - data/raw/our-penguins.csv
      - src/my_ml_project/config.py
      - src/my_ml_project/data
    params:
      - prepare
    outs:
      - data/prepared:
          persist: true
"""
COMMAND = "params-0.1.0"


def render_params(ml_task: str) -> str:
    """template/params.yaml.jinja as copier renders it for a fresh project."""
    source = (KIT_ROOT / "template/params.yaml.jinja").read_text(encoding="utf-8")
    # YAML, not HTML: nothing to escape.
    environment = jinja2.Environment(keep_trailing_newline=True)  # noqa: S701
    template = environment.from_string(source)
    return template.render(package_name="my_ml_project", ml_task=ml_task)


def migrate(project: Path, text: str | None, dvc: str | None = None) -> str:
    """Run the command in project on a params.yaml holding text; the file afterwards."""
    params = project / "params.yaml"
    if text is not None:
        params.write_bytes(text.encode("utf-8"))
    if dvc is not None:
        (project / "dvc.yaml").write_text(dvc, encoding="utf-8")
    args = [COMMAND, f"--dvc-file={project / 'dvc.yaml'}", str(params)]
    assert main(args) == 0
    return params.read_bytes().decode("utf-8") if params.exists() else ""


def train_section(text: str) -> str:
    """The lines of a params.yaml's train section, from `train:` to the blank line after."""
    start = text.index("\ntrain:\n") + 1
    return text[start : text.index("\n\n", start) + 1]


def without_section(text: str, key: str) -> str:
    """text without its `key:` section and the blank line after it."""
    start = text.index(f"\n{key}:") + 1
    return text[:start] + text[text.index("\n\n", start) + 2 :]


def without_line(text: str, start: str) -> str:
    """text without the one line that starts with start."""
    (line,) = [line for line in text.splitlines(keepends=True) if line.startswith(start)]
    return text.replace(line, "")


def with_train(text: str, train: str) -> str:
    """text with its train section replaced by train (that migration is train-0.1.0's)."""
    return text.replace(train_section(text), train)


def test_the_old_default_becomes_the_new_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The train section, the header's example, the tune and monitor sections and
    # prepare.stratify are the other 0.1.0 migrations' (test_migrate_train.py).
    kit = without_section(without_section(render_params("classification"), "tune"), "monitor")
    kit = without_line(kit, "  stratify:")
    new_default = with_train(kit, train_section(OLD_DEFAULT))
    new_default = new_default.replace("train.model=lightgbm", "train.n_estimators=50")
    assert migrate(tmp_path, OLD_DEFAULT) == new_default, (
        "migrated params.yaml differs from template/params.yaml.jinja: if a later release "
        "changed the template, that release needs a migration of its own"
    )
    said = capsys.readouterr().out
    assert said.startswith("[copier-mlops migrate] ")
    assert "raw: data/raw/penguins.csv, task: classification" in said
    assert "exclude: []" in said
    assert "bill_length_to_depth, body_mass_per_flipper_mm" in said

    again = migrate(tmp_path, None)
    assert again == new_default
    assert capsys.readouterr().out == "", "a second run must change and say nothing"


def test_a_team_edited_file_keeps_its_values_and_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = (
        OLD_DEFAULT.replace("test_fraction: 0.2", "test_fraction: 0.25")
        .replace(
            "  numeric: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]\n",
            "  # flipper length leaks the species; see the notebook\n"
            "  numeric: [bill_length_mm, bill_depth_mm, body_mass_g] # no flippers\n",
        )
        .replace("  categorical: [island, sex]\n", "  categorical: [island]\n")
        .replace(
            "  add_ratios: true # derive bill length/depth and body mass/flipper length\n",
            "  add_ratios: false\n",
        )
        .replace("train:\n", "# tuned in March\ntrain:\n")
        .replace("n_estimators: 200", "n_estimators: 500")
    ) + "# end of our params\n"

    migrated = migrate(tmp_path, edited, OLD_DVC_YAML)

    assert migrated == edited.replace(
        "\nprepare:\n",
        "\ndata:\n"
        "  raw: data/raw/our-penguins.csv # a .csv file, a .parquet file, or a folder of "
        ".parquet files\n"
        "  task: classification # or regression: the target column is TARGET in "
        "data/schema.py\n\nprepare:\n",
    ).replace(
        "  numeric: [bill_length_mm, bill_depth_mm, body_mass_g] # no flippers\n"
        "  categorical: [island]\n"
        "  add_ratios: false\n",
        "  # no flippers\n"
        "  exclude: [flipper_length_mm, sex] # features in data/schema.py the model should "
        "not see\n"
        "  ratios: {} # derived features, name: [numerator, denominator]; {} for none\n",
    )
    params = yaml.safe_load(migrated)
    assert params["data"] == {"raw": "data/raw/our-penguins.csv", "task": "classification"}
    assert params["featurize"] == {"exclude": ["flipper_length_mm", "sex"], "ratios": {}}
    assert "exclude: [flipper_length_mm, sex]" in capsys.readouterr().out
    assert migrate(tmp_path, None) == migrated


def test_block_lists_and_other_indents_are_understood(tmp_path: Path) -> None:
    old = textwrap.dedent(
        """\
        prepare:
            test_fraction: 0.2
            seed: 42
            batch_rows: 100000
            rows_per_file: 1000000
        featurize:
            numeric:
            - bill_length_mm
            - bill_depth_mm # keep
            categorical:
                - sex
            add_ratios: true
        train: {n_estimators: 200, max_depth: null, min_samples_leaf: 2, seed: 42}
        evaluate:
            top_features: 10
        """
    )
    migrated = migrate(tmp_path, old.replace("\n", "\r\n"))
    assert "\n" not in migrated.replace("\r\n", ""), "the file's line endings are kept"
    exclude_comment = "# features in data/schema.py the model should not see"
    assert migrated.replace("\r\n", "\n") == textwrap.dedent(
        f"""\
        data:
            raw: data/raw/penguins.csv {RAW_COMMENT}
            task: classification {TASK_COMMENT}

        prepare:
            test_fraction: 0.2
            seed: 42
            batch_rows: 100000
            rows_per_file: 1000000
        featurize:
            exclude: [island, flipper_length_mm, body_mass_g] {exclude_comment}
            # keep
            ratios: {RATIOS_COMMENT}
                bill_length_to_depth: [bill_length_mm, bill_depth_mm]
                body_mass_per_flipper_mm: [body_mass_g, flipper_length_mm]
        train: {{n_estimators: 200, max_depth: null, min_samples_leaf: 2, seed: 42}}
        evaluate:
            top_features: 10
        """
    )


@pytest.mark.parametrize("ml_task", ["classification", "regression"])
def test_a_file_in_the_new_shape_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ml_task: str
) -> None:
    new = render_params(ml_task).replace("exclude: []", "exclude: [sex]") + "# ours\n"
    assert migrate(tmp_path, new, OLD_DVC_YAML) == new
    assert capsys.readouterr().out == ""


def test_a_missing_file_stays_missing(tmp_path: Path) -> None:
    # copier writes 0.1.0's params.yaml itself when the project has none.
    assert migrate(tmp_path, None) == ""
    assert not (tmp_path / "params.yaml").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("  add_ratios: true", "  add_ratios: true\n  scale: true"), "neither the old"),
        (("[island, sex]", "[island, sex, year]"), "['year'], which are not features"),
        (("add_ratios: true", "add_ratios: sometimes"), "add_ratios must be true or false"),
        (("[island, sex]", "island"), "must be lists of names"),
        (
            (
                "featurize:\n  numeric: [bill_length_mm, bill_depth_mm, flipper_length_mm, "
                "body_mass_g]\n  categorical: [island, sex]\n",
                "featurize: {numeric: [bill_length_mm], categorical: [island],\n",
            ),
            "written inline",
        ),
    ],
)
def test_an_unknown_shape_is_left_alone_with_what_to_do(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    reason: str,
) -> None:
    old, new = change
    assert old in OLD_DEFAULT
    unknown = OLD_DEFAULT.replace(old, new)
    if "written inline" in reason:
        unknown = unknown.replace("  add_ratios: true #", "  add_ratios: true} #")
    assert isinstance(yaml.safe_load(unknown), dict)

    assert migrate(tmp_path, unknown) == unknown, "the update must leave the file as it was"
    said = capsys.readouterr().out
    assert "params.yaml left as it was" in said
    assert reason in said
    assert "Change it by hand" in said
    assert "exclude:" in said
    assert "data:" in said


def test_copier_runs_it_before_the_merge_on_params_yaml() -> None:
    entries = [
        migration for migration in kit_config()["_migrations"] if COMMAND in migration["command"]
    ]
    assert len(entries) == 1
    (entry,) = entries
    assert entry["version"] == "0.1.0"
    # Before: dvc.yaml is still the project's old one, naming the raw data's path.
    assert entry["when"] == "{{ _stage == 'before' }}"
    assert entry["command"][2:] == [COMMAND, "--dvc-file=dvc.yaml", "params.yaml"]


def test_keep_without_records_an_answer_only_for_a_question_the_project_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(
        "# Changes here will be overwritten by Copier\n_commit: 0.0.1\nserving: fastapi\n",
        encoding="utf-8",
    )
    keep = ["keep-without", str(answers)]
    assert main([*keep, "serving", "none"]) == 0
    assert main([*keep, "devcontainer", "false"]) == 0
    assert answers.read_text(encoding="utf-8") == (
        "# Changes here will be overwritten by Copier\n"
        "_commit: 0.0.1\ndevcontainer: false\nserving: fastapi\n"
    )
    assert "devcontainer: false (this project predates the question" in capsys.readouterr().out
    assert main([*keep, "devcontainer", "true"]) == 0  # a second run changes nothing
    assert "devcontainer: false" in answers.read_text(encoding="utf-8")
