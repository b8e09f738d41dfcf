"""The generated project, end to end (slow: installs it and runs its pipeline).

One project is generated per session with the copy tasks on, exactly as a user gets it.
One teammate's clone of it is set up through its own `nox -s setup`; tests that change
files work on copies of that clone (`copy_project`), which are as good and much faster.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import ANSWERS_FILE, copy_project, git, run, tree_bytes

pytestmark = pytest.mark.slow

NOX_SESSIONS = ["lint", "typecheck", "tests", "all-tests", "docs", "pipeline"]


@pytest.fixture(scope="session")
def project(generated_project: Path) -> Path:
    """The default project, rendered with its copy tasks (they run `nox -s setup`)."""
    return generated_project


def uv_run(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the project's locked environment."""
    return run(project, "uv", "run", "--frozen", *command, check=check)


def use_remote(project: Path, storage: Path) -> None:
    """Point the project's DVC remote at storage, for this clone only (.dvc/config.local)."""
    uv_run(project, "dvc", "remote", "modify", "--local", "local", "url", str(storage))


@pytest.fixture(scope="session")
def remote(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC remote in a temp dir holding the project's data, pushed with `dvc push`."""
    storage = tmp_path_factory.mktemp("dvc-remote")
    use_remote(project, storage)
    uv_run(project, "dvc", "push")
    return storage


def clone(project: Path, remote: Path, destination: Path) -> Path:
    """A teammate's fresh clone, set up with the project's own `nox -s setup`."""
    git(project.parent, "clone", "--quiet", str(project), str(destination))
    use_remote(destination, remote)
    run(destination, "uv", "run", "nox", "-s", "setup")
    return destination


@pytest.fixture(scope="session")
def teammate(project: Path, remote: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh clone, set up once; tests copy it rather than change it."""
    return clone(project, remote, tmp_path_factory.mktemp("teammate") / "teammate")


def answers(project: Path) -> dict[str, Any]:
    """The project's copier answers (package_name, project_slug, ...)."""
    return yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))


# Every output of the pipeline: a failed `dvc repro` must leave each byte of them as it was.
OUTPUTS = ("data/prepared", "data/features", "models", "reports/evaluation")


def outputs(project: Path) -> dict[str, bytes]:
    """Every file under the pipeline's output folders, with its content."""
    return {
        f"{folder}/{name}": content
        for folder in OUTPUTS
        for name, content in tree_bytes(project / folder).items()
    }


def scratch_left(project: Path) -> list[Path]:
    """Hidden folders beside the outputs: what an interrupted atomic write would leave."""
    return [
        path
        for folder in ("data", "models", "reports", "reports/evaluation")
        for path in (project / folder).glob(".*")
        if path.is_dir()
    ]


def test_copy_tasks_commit_a_green_project(project: Path) -> None:
    assert git(project, "status", "--porcelain") == ""
    assert len(git(project, "log", "--oneline").splitlines()) == 2
    assert (project / "uv.lock").is_file()
    assert (project / "dvc.lock").is_file()
    assert (project / "models/model.skops").is_file()
    assert (project / "models/metadata.json").is_file()
    assert (project / "reports/evaluation/metrics.json").is_file()
    assert list((project / "reports/evaluation/plots/images").glob("*.png"))


def test_sample_data_is_tracked_by_dvc_not_git(project: Path) -> None:
    assert "data/raw/penguins.csv.dvc" in git(project, "ls-files")
    assert "data/raw/penguins.csv\n" not in git(project, "ls-files")
    run(project, "git", "check-ignore", "--quiet", "data/raw/penguins.csv")


@pytest.mark.parametrize("session", NOX_SESSIONS)
def test_nox_session_passes(project: Path, session: str) -> None:
    uv_run(project, "nox", "-s", session)


def test_the_docs_site_publishes_pages_not_the_hooks_code(project: Path, tmp_path: Path) -> None:
    uv_run(project, "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site"))
    assert (tmp_path / "site/model-card/index.html").is_file()
    assert sorted(tmp_path.glob("site/**/*.py")) == []
    assert sorted(tmp_path.glob("site/**/*.yml")) == []


def test_the_model_card_holds_every_section(project: Path, tmp_path: Path) -> None:
    team = project / "docs/model-card.yml"
    assert "TODO" in team.read_text(encoding="utf-8")
    uv_run(project, "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site"))
    card = (tmp_path / "site/model-card/index.html").read_text(encoding="utf-8")
    sections = re.findall(r'<h2 id="[^"]*">([^<]+)<a', card)
    assert sections == [
        "Owners",
        "Intended use",
        "Out of scope",
        "Provenance",
        "Training data",
        "Metrics (test split)",
        "In service",
        "Limitations",
        "Ethical considerations",
        "Figures",
    ]
    assert card.count("Unfilled") == 5  # the kit's five placeholders, each flagged
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    (raw,) = [
        dep for dep in lock["stages"]["prepare"]["deps"] if dep["path"].startswith("data/raw")
    ]
    assert f"DVC md5: <code>{raw['md5']}</code>" in card
    splits = json.loads((project / "models/metadata.json").read_text(encoding="utf-8"))["splits"]
    for label, rows in splits["test"]["classes"].items():  # per-class metrics, with support
        assert re.search(
            rf"<td>{label}</td>\s*<td>[0-9.]+</td>\s*<td>[0-9.]+</td>\s*<td>{rows}</td>", card
        )
    assert "Positive label" not in card


def test_the_tests_session_runs_only_the_file_named(project: Path) -> None:
    # As its docstring shows: a path after `--` runs instead of tests/unit.
    named = "tests/unit/test_split.py"
    listed = uv_run(project, "pytest", "--collect-only", "-q", named).stdout
    count = sum(line.startswith(f"{named}::") for line in listed.splitlines())
    ran = run(project, "uv", "run", "nox", "-s", "tests", "--", named)
    assert f" {count} passed" in ran.stdout, ran.stdout[-2000:]
    assert count > 0
    assert "deselected" not in ran.stdout


def test_pipeline_is_already_reproduced(project: Path) -> None:
    repro = uv_run(project, "dvc", "repro")
    assert "Data and pipelines are up to date." in repro.stdout
    assert "Running stage" not in repro.stdout


def test_pre_commit_leaves_the_tree_unchanged(project: Path) -> None:
    uv_run(project, "pre-commit", "run", "--all-files")
    assert git(project, "status", "--porcelain") == ""


def test_fresh_clone_pulls_data_and_reproduces_nothing(teammate: Path) -> None:
    assert (teammate / "data/raw/penguins.csv").is_file()
    assert (teammate / "models/model.skops").is_file()
    repro = uv_run(teammate, "dvc", "repro")
    assert "Running stage" not in repro.stdout
    assert git(teammate, "status", "--porcelain") == ""


def test_a_copied_clone_is_a_working_checkout(teammate: Path, tmp_path: Path) -> None:
    copy = copy_project(teammate, tmp_path / "copy")
    package = answers(copy)["package_name"]
    where = uv_run(copy, "python", "-c", f"import {package}; print({package}.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(copy / "src")
    assert "Data and pipelines are up to date." in uv_run(copy, "dvc", "status").stdout
    assert git(copy, "status", "--porcelain") == ""


RAW = "data/raw/penguins.csv"


def error_message(output: str) -> str:
    """A stage's error: its `error: ` line and the indented lines that detail it."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error: ")), None)
    assert start is not None, output
    message = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        message.append(line)
    return "\n".join(message)


def repro_fails_keeping_outputs(copy: Path, expected: list[str]) -> str:
    """Run `dvc repro` in a copy whose input was just broken; return the error message.

    It must exit non-zero with a message holding every expected phrase (no traceback),
    and leave every output byte for byte as it was, with no scratch files beside them.
    """
    before = outputs(copy)
    assert any(name.endswith(".parquet") for name in before)
    assert {"models/model.skops", "reports/evaluation/metrics.json"} <= before.keys()

    repro = uv_run(copy, "dvc", "repro", check=False)

    output = repro.stderr + repro.stdout
    assert repro.returncode != 0, output
    assert "Traceback" not in output, output
    message = error_message(output)
    for words in expected:
        assert words in message, (words, message)
    assert outputs(copy) == before
    assert scratch_left(copy) == []
    return message


BAD_ROWS = {
    "missing column": (
        lambda header, row: (header.replace(",year", ""), row.rsplit(",", 1)[0]),
        ["column 'year'", "missing column"],
    ),
    "wrong type": (
        lambda header, row: (header, row.replace(",181,", ",long,")),
        ["column 'flipper_length_mm'", "not a valid Float64", "'long'"],
    ),
    "out of range": (
        lambda header, row: (header, row.replace(",3750,", ",90000,")),
        ["column 'body_mass_g'", "less_than_or_equal_to(7000)", "line 2"],
    ),
    "unknown category": (
        lambda header, row: (header, row.replace("Torgersen", "Atlantis")),
        ["column 'island'", "isin", "'Atlantis'"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_bad_raw_data_fails_repro_and_keeps_last_good_output(
    teammate: Path, tmp_path: Path, case: str
) -> None:
    copy = copy_project(teammate, tmp_path / "teammate")
    raw = copy / RAW
    header, first, *rest = raw.read_text(encoding="utf-8").splitlines()
    change, expected = BAD_ROWS[case]
    new_header, new_first = change(header, first)
    if new_header != header:  # a dropped column goes from every row
        rest = [line.rsplit(",", 1)[0] for line in rest]
    raw.write_text("\n".join([new_header, new_first, *rest]) + "\n", encoding="utf-8")

    repro_fails_keeping_outputs(copy, [f"{RAW} failed validation", *expected])


def test_params_typo_fails_before_any_work(teammate: Path, tmp_path: Path) -> None:
    copy = copy_project(teammate, tmp_path / "teammate")
    params = copy / "params.yaml"
    params.write_text(
        params.read_text(encoding="utf-8").replace("test_fraction:", "test_fractoin:")
    )

    repro_fails_keeping_outputs(
        copy,
        [
            "params.yaml is invalid",
            "prepare.test_fractoin: unknown key",
            "prepare.test_fraction: missing",
        ],
    )


# Each case breaks a copy's input and returns the phrases its error message must hold.
BadInput = Callable[[Path], list[str]]


def _raw_lines(project: Path) -> list[bytes]:
    return (project / RAW).read_bytes().splitlines(keepends=True)


def _fields(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8")]))


def header_only(project: Path) -> list[str]:
    (project / RAW).write_bytes(_raw_lines(project)[0])
    return [f"{RAW} has a header but no rows"]


def empty_file(project: Path) -> list[str]:
    (project / RAW).write_bytes(b"")
    return [f"{RAW} is empty"]


def no_measurements(project: Path) -> list[str]:
    """Every numeric feature missing in every row (the sample's NA marker)."""
    header, *rows = _raw_lines(project)
    names = _fields(header)
    numeric = [n for n in names if n.endswith(("_mm", "_g"))]
    blanked = io.StringIO()
    writer = csv.writer(blanked, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        fields = _fields(row)
        writer.writerow(["NA" if n in numeric else v for n, v in zip(names, fields, strict=True)])
    (project / RAW).write_text(blanked.getvalue(), encoding="utf-8")
    return [f"{RAW} has no usable rows", f"each of its {len(rows)} row(s)", ", ".join(numeric)]


def too_many_fields(project: Path) -> list[str]:
    lines = _raw_lines(project)
    lines[3] = lines[3].rstrip(b"\n") + b",surplus\n"
    (project / RAW).write_bytes(b"".join(lines))
    header_fields = len(_fields(lines[0]))
    return [f"{RAW}: line 4 has {header_fields + 1} fields, the header has {header_fields}"]


def not_utf8(project: Path) -> list[str]:
    lines = _raw_lines(project)
    assert b"Torgersen" in lines[3]
    lines[3] = lines[3].replace(b"Torgersen", "Torgérsen".encode("latin-1"))
    (project / RAW).write_bytes(b"".join(lines))
    byte = lines[3].index(b"\xe9") + 1
    return [f"{RAW} is not UTF-8 text: byte 0xE9 at line 4 (its byte {byte})"]


def too_few_fields(project: Path) -> list[str]:
    """A row short of its nullable last columns: Polars alone would read them as nulls."""
    lines = _raw_lines(project)
    assert _fields(lines[0])[-2:] == ["sex", "year"]
    lines[3] = lines[3].rsplit(b",", 2)[0] + b"\n"
    (project / RAW).write_bytes(b"".join(lines))
    header_fields = len(_fields(lines[0]))
    return [f"{RAW}: line 4 has {header_fields - 2} fields, the header has {header_fields}"]


def escapes_in_a_column_name(project: Path) -> list[str]:
    """Terminal escapes (a window title, a clear screen) in the header: shown escaped."""
    lines = _raw_lines(project)
    lines[0] = lines[0].replace(b"island", b"\x1b]0;pwned\x07\x1b[2Jisland")
    (project / RAW).write_bytes(b"".join(lines))
    return [f"{RAW}: line 1 names a column '\\x1b]0;pwned\\x07\\x1b[2Jisland'"]


def excel_workbook(project: Path) -> list[str]:
    """An XLSX file (a zip archive) saved under the CSV's name."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as workbook:
        workbook.writestr("xl/worksheets/sheet1.xml", (project / RAW).read_bytes())
    (project / RAW).write_bytes(archive.getvalue())
    return [f"{RAW} is not a CSV file: it looks like an Excel workbook (XLSX)", "export it as CSV"]


def utf16(project: Path) -> list[str]:
    (project / RAW).write_bytes((project / RAW).read_text(encoding="utf-8").encode("utf-16"))
    return [f"{RAW} is UTF-16 text, not UTF-8; re-save it as UTF-8"]


def single_row(project: Path) -> list[str]:
    (project / RAW).write_bytes(b"".join(_raw_lines(project)[:2]))
    return [f"{RAW}: the ", " split is empty (1 usable row(s) in all)", "prepare.test_fraction"]


def empty_test_split(project: Path) -> list[str]:
    """A test fraction so small that no row of the sample falls in it."""
    params = project / "params.yaml"
    text = params.read_text(encoding="utf-8")
    assert "test_fraction: 0.2" in text
    params.write_text(text.replace("test_fraction: 0.2", "test_fraction: 0.000000001"))
    return [f"{RAW}: the test split is empty", "prepare.test_fraction"]


def one_class(project: Path) -> list[str]:
    """Only the rows of the first row's class."""
    header, *rows = _raw_lines(project)
    target = _fields(header).index("species")
    kept = _fields(rows[0])[target]
    same = [row for row in rows if _fields(row)[target] == kept]
    assert 1 < len(same) < len(rows)
    (project / RAW).write_bytes(b"".join([header, *same]))
    return [f"{RAW}: the target 'species' has one class in the train split ('{kept}')"]


def regression_on_a_string_target(project: Path) -> list[str]:
    params = project / "params.yaml"
    text = params.read_text(encoding="utf-8")
    assert "task: classification" in text
    params.write_text(text.replace("task: classification", "task: regression"))
    return ["asks for regression, but the target 'species' holds String, not numbers"]


BAD_INPUTS: dict[str, BadInput] = {
    "header-only CSV": header_only,
    "empty CSV": empty_file,
    "no row has a measurement": no_measurements,
    "too many fields": too_many_fields,
    "not UTF-8": not_utf8,
    "too few fields": too_few_fields,
    "escapes in a column name": escapes_in_a_column_name,
    "an Excel workbook": excel_workbook,
    "UTF-16": utf16,
    "a single row": single_row,
    "empty test split": empty_test_split,
    "one class": one_class,
    "regression on a string target": regression_on_a_string_target,
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_clearly_and_keeps_every_output(
    teammate: Path, tmp_path: Path, case: str
) -> None:
    copy = copy_project(teammate, tmp_path / "teammate")
    expected = BAD_INPUTS[case](copy)

    message = repro_fails_keeping_outputs(copy, expected)

    # No control character of the file's reaches the terminal: it is shown escaped.
    assert all(line.isprintable() for line in message.splitlines()), message
    print(f"{case}: {message}")  # shown with -rP: the messages users see


# The model file is self-sufficient: scoring needs neither params.yaml nor a checkout.


def rows_to_score(project: Path, destination: Path) -> Path:
    """Raw rows without the target: a few of each class, and one with no measurement."""
    with (project / RAW).open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    measured = [name for name in rows[0] if name.endswith(("_mm", "_g"))]
    unmeasured = [row for row in rows if all(row[name] == "NA" for name in measured)]
    chosen: list[dict[str, str]] = []
    for label in dict.fromkeys(row["species"] for row in rows):
        chosen += [row for row in rows if row["species"] == label and row not in unmeasured][:4]
    chosen += unmeasured[:1]
    assert len(chosen) == 13
    with destination.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(
            file, [name for name in rows[0] if name != "species"], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(chosen)
    return destination


def predict_in_repo(project: Path, source: Path, output: Path) -> bytes:
    """Score source with the project's model through `python -m <package>.pipeline.predict`."""
    package = answers(project)["package_name"]
    command = ["python", "-m", f"{package}.pipeline.predict", str(source), str(output)]
    uv_run(project, *command, "--model=models/model.skops")
    predictions = output.read_bytes()
    header, *lines = predictions.decode("utf-8").splitlines()
    assert "predicted_species" in header.split(",")
    assert len(lines) == 13
    assert sum(line.endswith(",,,,") for line in lines) == 1  # the row with no measurement
    return predictions


def test_predictions_do_not_depend_on_params(teammate: Path, tmp_path: Path) -> None:
    copy = copy_project(teammate, tmp_path / "teammate")
    rows = rows_to_score(copy, tmp_path / "rows.csv")
    before = predict_in_repo(copy, rows, tmp_path / "before.csv")
    params = copy / "params.yaml"
    text = params.read_text(encoding="utf-8")
    changed = (
        text.replace("exclude: []", "exclude: [sex]")
        .replace("    bill_length_to_depth: [bill_length_mm, bill_depth_mm]\n", "")
        .replace("max_iter: 200", "max_iter: 5")
    )
    assert "exclude: [sex]" in changed
    assert "max_iter: 5" in changed
    assert changed.count("\n") == text.count("\n") - 1  # one ratio fewer
    params.write_text(changed, encoding="utf-8")
    stale = json.loads(uv_run(copy, "dvc", "status", "--json").stdout)
    assert {"featurize", "train"} <= stale.keys()  # changes dvc would act on; it did not run

    assert predict_in_repo(copy, rows, tmp_path / "after.csv") == before


def test_installed_wheel_predicts_without_params_or_checkout(
    teammate: Path, tmp_path: Path
) -> None:
    copy = copy_project(teammate, tmp_path / "teammate")
    rows = rows_to_score(copy, tmp_path / "rows.csv")
    in_repo = predict_in_repo(copy, rows, tmp_path / "in-repo.csv")
    model = tmp_path / "model.skops"
    shutil.copy2(copy / "models/model.skops", model)
    dist, venv = tmp_path / "dist", tmp_path / "venv"
    run(copy, "uv", "build", "--wheel", "--quiet", "--out-dir", str(dist))
    (wheel,) = dist.glob("*.whl")
    # The locked versions, so the installed model code is the one that trained the model.
    locked = tmp_path / "locked.txt"
    export = ["export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "-q"]
    run(copy, "uv", *export, "--output-file", str(locked))
    # The interpreter that made the in-repo predictions, in a venv of its own.
    run(tmp_path, "uv", "venv", "--quiet", "--python", str(copy / ".venv/bin/python"), str(venv))
    python = str(venv / "bin/python")
    run(tmp_path, "uv", "pip", "install", "-q", "--python", python, "-c", str(locked), str(wheel))
    slug, package = answers(copy)["project_slug"], answers(copy)["package_name"]
    shutil.rmtree(copy)  # no checkout, no params.yaml, no source tree left to fall back on
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(elsewhere, python, "-c", f"import {package}; print({package}.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(venv)

    predict = str(venv / f"bin/{slug}-predict")
    run(elsewhere, predict, str(rows), "predictions.csv", f"--model={model}")

    assert (elsewhere / "predictions.csv").read_bytes() == in_repo


def test_editing_model_code_makes_the_stages_that_use_it_stale(
    teammate: Path, tmp_path: Path
) -> None:
    copy = copy_project(teammate, tmp_path / "teammate")
    module = copy / "src" / answers(copy)["package_name"] / "models/predict.py"
    module.write_text(module.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")

    stale = json.loads(uv_run(copy, "dvc", "status", "--json").stdout)

    assert set(stale) == {"train", "evaluate", "promote"}
