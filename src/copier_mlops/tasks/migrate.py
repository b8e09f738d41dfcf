"""Copier migrations: the moves a kit release makes, replayed in each project it updates.

copier.yml's `_migrations` call this script (before-stage, with a `version`) when a
release renames a choice value, moves a file or reshapes a user-owned file, so the
user's answers and edits follow:

    rename-answer ANSWERS_FILE QUESTION OLD NEW   an answer recorded as OLD becomes NEW
    keep-without ANSWERS_FILE QUESTION VALUE       a new question's answer, for projects
                                                   made before it: VALUE, not its default
    move [--answers-file FILE] OLD NEW             the project's file moves (git mv)
    params-0.1.0 [--dvc-file FILE] PARAMS          a pre-0.1.0 params.yaml gets 0.1.0's shape
    train-0.1.0 PARAMS                             its train section chooses the forest it had
    tune-0.1.0 PARAMS KIT_PARAMS                   it gains the kit's tune section
    monitor-0.1.0 PARAMS KIT_PARAMS                and the kit's monitor section
    split-0.1.0 PARAMS                             it keeps the split it had (not stratified)

`params-0.1.0` edits the user-owned params.yaml (copier never rewrites it on update) in
place, line by line, so the team's values, comments and layout stay as they were. A file
in a shape it does not know is left as it was, with what to change by hand: the update
goes on.

In `move`, `{question}` in OLD and NEW stands for the project's recorded answer, read
from --answers-file: `src/{package_name}/data/io.py`. copier renders a before-stage
migration's command without the project's answers (`{{ package_name }}` is empty there),
so a path that depends on an answer must be filled in here.

It runs under copier's Python, so it uses the standard library and PyYAML only (copier
depends on PyYAML). Each command is idempotent: running it twice changes nothing more.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml


def say(message: str) -> None:
    """Report what the migration did, visibly the kit's and not copier's."""
    print(f"[copier-mlops migrate] {message}", flush=True)


def rename_answer(answers_file: Path, question: str, old: str, new: str) -> bool:
    """Rewrite an answer recorded as `old` to `new`; True if the file changed."""
    text = answers_file.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    if answers.get(question) != old:
        return False
    answers[question] = new
    write_answers(answers_file, text, answers)
    return True


def keep_without(answers_file: Path, question: str, value: str) -> bool:
    """Record `value` (YAML) for a question the project was made before; True if written.

    A release's new question takes its default on update; when that default adds a
    feature (a service, a container), projects that existed before it keep going without
    it unless the team asks for it with `copier update -d question=...`.
    """
    text = answers_file.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    if question in answers:
        return False
    answers[question] = yaml.safe_load(value)
    write_answers(answers_file, text, answers)
    return True


def write_answers(answers_file: Path, old_text: str, answers: dict[str, object]) -> None:
    """Write answers back under the file's comment header (copier's "do not edit" note)."""
    header = "".join(line + "\n" for line in old_text.splitlines() if line.startswith("#"))
    answers_file.write_text(
        header + yaml.safe_dump(answers, default_flow_style=False, allow_unicode=True),
        encoding="utf-8",
    )


def fill_answers(path: str, answers_file: Path | None) -> Path:
    """`path` with each `{question}` replaced by the answer recorded in answers_file."""
    if "{" not in path:
        return Path(path)
    if answers_file is None:
        raise SystemExit(f"{path}: pass --answers-file to fill in its {{question}} parts")
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    try:
        filled = path.format_map({k: v for k, v in answers.items() if isinstance(v, str)})
    except (KeyError, ValueError) as error:
        raise SystemExit(f"{path}: {answers_file} records no answer {error}") from None
    return Path(filled)


def _tracked(path: Path) -> bool:
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "--", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def move(old: Path, new: Path) -> bool:
    """Move old to new, with `git mv` when git tracks it; True if anything moved.

    Moving first, before copier replays the user's diff, keeps the user's edits in the
    file's new place; without it copier deletes the edited file at the old path.
    """
    if not old.exists():
        return False
    if new.exists():
        raise SystemExit(
            f"cannot move {old} to {new}: both exist. Merge your changes from {old} into "
            f"{new}, delete {old}, commit, then run the update again."
        )
    new.parent.mkdir(parents=True, exist_ok=True)
    if _tracked(old):
        subprocess.run(["git", "mv", "--", str(old), str(new)], check=True)
    else:
        old.rename(new)
    return True


# params.yaml before 0.1.0: `featurize: {numeric, categorical, add_ratios}` chose the
# model's inputs among the penguin sample's columns, and the task was always
# classification. From 0.1.0 the features are data/schema.py's, less `featurize.exclude`,
# the ratios are named in `featurize.ratios`, and `data: {raw, task}` says what to learn.
OLD_FEATURIZE_KEYS = ("numeric", "categorical", "add_ratios")
NEW_FEATURIZE_KEYS = ("exclude", "ratios")
SAMPLE_FEATURES = (
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
)
SAMPLE_RATIOS = {
    "bill_length_to_depth": ["bill_length_mm", "bill_depth_mm"],
    "body_mass_per_flipper_mm": ["body_mass_g", "flipper_length_mm"],
}
DEFAULT_RAW = "data/raw/penguins.csv"
# The kit's own comments: the old one goes with its key, the new ones come with theirs.
OLD_KIT_COMMENTS = {"# derive bill length/depth and body mass/flipper length"}
RAW_COMMENT = "# a .csv file, a .parquet file, or a folder of .parquet files"
TASK_COMMENT = "# or regression: the target column is TARGET in data/schema.py"
EXCLUDE_COMMENT = "# features in data/schema.py the model should not see"
RATIOS_COMMENT = "# derived features, name: [numerator, denominator]; {} for none"
TOP_LEVEL_KEY = re.compile(r"""^(["']?)([A-Za-z_][\w-]*)\1\s*:(?:\s|$)""")
PARAMS_BY_HAND = """\
Change it by hand to 0.1.0's shape (the kit's params.yaml shows it):
  data:
    raw: data/raw/penguins.csv  # your raw data: a .csv, a .parquet, or a folder of them
    task: classification
  featurize:
    exclude: []  # features of data/schema.py's Features the model should not see
    ratios: {}  # derived features, name: [numerator, denominator]
Before any stage runs, `uv run dvc repro` names each key still wrong."""


class Unrecognised(Exception):
    """params.yaml is not in a shape the migration knows; the message says why."""


def _is_names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _old_featurize(featurize: object) -> tuple[list[str], dict[str, list[str]]]:
    """featurize.exclude and featurize.ratios equivalent to an old featurize section."""
    if not isinstance(featurize, dict) or set(featurize) != set(OLD_FEATURIZE_KEYS):
        keys = sorted(featurize) if isinstance(featurize, dict) else type(featurize).__name__
        raise Unrecognised(
            f"its featurize section has the keys {keys}, neither the old "
            f"{list(OLD_FEATURIZE_KEYS)} nor the new {list(NEW_FEATURIZE_KEYS)}"
        )
    numeric, categorical = featurize["numeric"], featurize["categorical"]
    if not (_is_names(numeric) and _is_names(categorical)):
        raise Unrecognised("featurize.numeric and featurize.categorical must be lists of names")
    if not isinstance(featurize["add_ratios"], bool):
        raise Unrecognised("featurize.add_ratios must be true or false")
    if unknown := [name for name in [*numeric, *categorical] if name not in SAMPLE_FEATURES]:
        raise Unrecognised(
            f"featurize lists {unknown}, which are not features of the sample data "
            f"({', '.join(SAMPLE_FEATURES)}); 0.1.0 takes the features from data/schema.py"
        )
    chosen = {*numeric, *categorical}
    exclude = [name for name in SAMPLE_FEATURES if name not in chosen]
    return exclude, dict(SAMPLE_RATIOS) if featurize["add_ratios"] else {}


def _is_new_featurize(featurize: object) -> bool:
    return isinstance(featurize, dict) and set(featurize) == set(NEW_FEATURIZE_KEYS)


def raw_data_path(dvc_file: Path) -> str:
    """The raw data an old dvc.yaml's prepare stage depends on (its one dep outside src/)."""
    try:
        pipeline = yaml.safe_load(dvc_file.read_text(encoding="utf-8"))
        deps = pipeline["stages"]["prepare"]["deps"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return DEFAULT_RAW
    found = [
        dep
        for dep in deps
        if isinstance(dep, str) and dep.strip() and not dep.startswith("src/") and "${" not in dep
    ]
    return found[0] if len(found) == 1 else DEFAULT_RAW


def _scalar(value: str) -> str:
    """value as a YAML scalar: plain when that reads back as the same string."""
    try:
        plain = yaml.safe_load(value) == value and "#" not in value and ": " not in value
    except yaml.YAMLError:
        plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)


def _flow(names: list[str]) -> str:
    return "[" + ", ".join(_scalar(name) for name in names) + "]"


def _trailing_comment(line: str) -> str:
    """The `# ...` that ends a line of plain names, or ''."""
    found = re.search(r"(?:^|\s)(#.*)$", line.rstrip("\r\n"))
    return found.group(1).rstrip() if found else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_note(line: str) -> bool:
    """A blank or comment-only line: kept where it is."""
    return not line.strip() or line.lstrip().startswith("#")


def _featurize_lines(
    body: list[str], exclude: list[str], ratios: dict[str, list[str]], nl: str
) -> tuple[list[str], int]:
    """The featurize section's body rewritten to exclude + ratios, and its indent.

    Each old key's lines (the key and its continuation) give way to the new key in the
    same place: exclude where numeric was, ratios where add_ratios was. Comment-only lines
    stay where they are; a team's comment at the end of an old key's line is kept on a line
    of its own.
    """
    entries = [line for line in body if not _is_note(line)]
    if not entries:
        raise Unrecognised("its featurize section is not a block of one key per line")
    indent = _indent(entries[0])
    pad = " " * indent
    child = " " * (indent * 2)
    ratio_lines = [f"{pad}ratios: {{}} {RATIOS_COMMENT}{nl}"]
    if ratios:
        ratio_lines = [f"{pad}ratios: {RATIOS_COMMENT}{nl}"] + [
            f"{child}{name}: {_flow(pair)}{nl}" for name, pair in ratios.items()
        ]
    replacement = {
        "numeric": [f"{pad}exclude: {_flow(exclude)} {EXCLUDE_COMMENT}{nl}"],
        "categorical": [],
        "add_ratios": ratio_lines,
    }
    out: list[str] = []
    seen: list[str] = []
    for line in body:
        if _is_note(line):
            out.append(line)
            continue
        key_line = _indent(line) == indent and not line.lstrip().startswith("- ")
        if key_line:
            key = TOP_LEVEL_KEY.match(line.lstrip())
            if key is None or key.group(2) not in replacement or key.group(2) in seen:
                raise Unrecognised(f"unexpected line in its featurize section: {line.strip()}")
            seen.append(key.group(2))
        elif not seen or _indent(line) < indent:
            raise Unrecognised(f"unexpected line in its featurize section: {line.strip()}")
        comment = _trailing_comment(line)
        if comment and comment not in OLD_KIT_COMMENTS:
            out.append(f"{pad}{comment}{nl}")
        if key_line:
            out.extend(replacement[seen[-1]])
    if sorted(seen) != sorted(OLD_FEATURIZE_KEYS):
        raise Unrecognised("its featurize section is not a block of one key per line")
    return out, indent


def _top_level(lines: list[str]) -> dict[str, int]:
    """Line index of each top-level key."""
    found: dict[str, int] = {}
    for number, line in enumerate(lines):
        key = TOP_LEVEL_KEY.match(line)
        if key:
            found.setdefault(key.group(2), number)
    return found


def upgrade_params_text(text: str, raw: str) -> str:
    """A pre-0.1.0 params.yaml's text in 0.1.0's shape; unchanged if already there.

    Raises Unrecognised when the file is in neither shape, or when the edit would change
    anything but data and featurize.
    """
    try:
        params = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise Unrecognised(f"it is not valid YAML ({error})") from None
    if not isinstance(params, dict) or "featurize" not in params:
        raise Unrecognised("it has no featurize section")
    featurize = params["featurize"]
    if _is_new_featurize(featurize) and "data" in params:
        return text
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += nl
    keys = _top_level(lines)
    if "featurize" not in keys:
        raise Unrecognised("its featurize key is not on a line of its own")
    expected = dict(params)
    indented = [_indent(line) for line in lines if not _is_note(line) and _indent(line)]
    indent = indented[0] if indented else 2
    if not _is_new_featurize(featurize):
        exclude, ratios = _old_featurize(featurize)
        start = keys["featurize"]
        end = min([n for n in keys.values() if n > start], default=len(lines))
        # Comment-only lines at column 0 just above the next key belong to that key.
        while end - 1 > start and lines[end - 1].startswith("#"):
            end -= 1
        head = lines[start]
        if not re.fullmatch(r"""(["']?)featurize\1\s*:\s*(#.*)?""", head.rstrip("\r\n")):
            raise Unrecognised("its featurize section is written inline, not one key per line")
        body, indent = _featurize_lines(lines[start + 1 : end], exclude, ratios, nl)
        lines[start + 1 : end] = body
        expected["featurize"] = {"exclude": exclude, "ratios": ratios}
    if "data" not in params:
        pad = " " * indent
        section = [
            f"data:{nl}",
            f"{pad}raw: {_scalar(raw)} {RAW_COMMENT}{nl}",
            f"{pad}task: classification {TASK_COMMENT}{nl}",
            nl,
        ]
        at = min(_top_level(lines).values())
        # Comments right above the first key belong to it, unless they open the file.
        above = at
        while above > 0 and lines[above - 1].startswith("#"):
            above -= 1
        lines[above if above > 0 else at : above if above > 0 else at] = section
        expected = {"data": {"raw": raw, "task": "classification"}, **expected}
    upgraded = "".join(lines)
    if yaml.safe_load(upgraded) != expected:
        raise Unrecognised("rewriting it line by line would change more than data and featurize")
    return upgraded


def upgrade_params(params_file: Path, dvc_file: Path) -> str | None:
    """Bring a pre-0.1.0 params.yaml to 0.1.0's shape in place; what changed, or None.

    A file already in the new shape, or missing (copier then writes the new one), is left
    alone. A file in a shape this does not know is left alone too, with a message saying
    what to change by hand: the update goes on either way.
    """
    if not params_file.is_file():
        return None
    try:
        text = params_file.read_bytes().decode("utf-8")
        upgraded = upgrade_params_text(text, raw_data_path(dvc_file))
    except UnicodeDecodeError:
        say(f"{params_file} left as it was: it is not UTF-8.\n{PARAMS_BY_HAND}")
        return None
    except Unrecognised as reason:
        say(f"{params_file} left as it was: {reason}.\n{PARAMS_BY_HAND}")
        return None
    if upgraded == text:
        return None
    params_file.write_bytes(upgraded.encode("utf-8"))
    old, new = yaml.safe_load(text), yaml.safe_load(upgraded)
    done = []
    if "data" not in old:
        done.append(f"added data (raw: {new['data']['raw']}, task: {new['data']['task']})")
    if old["featurize"] != new["featurize"]:
        ratios = ", ".join(new["featurize"]["ratios"]) or "none"
        done.append(
            "featurize now names the features to leave out (exclude: "
            f"{_flow(new['featurize']['exclude'])}) and the ratios to derive ({ratios})"
        )
    return f"{params_file}: {'; '.join(done)}. Review it with `git diff`"


# params.yaml's train section before 0.1.0 held the random forest's hyperparameters and
# the seed. From 0.1.0 it names the model (`model`), the class weights and the cores, and
# each model's hyperparameters sit in a section of their own: an updated project keeps
# training the forest it had, with its values, until the team chooses another model.
FOREST_KEYS = ("n_estimators", "max_depth", "min_samples_leaf")
TRAIN_KEYS = ("model", "class_weight", "n_jobs", "seed")
MODEL_COMMENT = "# the model before 0.1.0; new projects train hist_gradient_boosting"
CLASS_WEIGHT_COMMENT = "# balanced: weigh each class by its rarity (classification only)"
N_JOBS_COMMENT = "# cores to train on, -1 for all; the model is the same for any value"
# The kit's example in params.yaml's header, for a project that trains the forest.
OLD_TRY = "`uv run dvc exp run -S train.n_estimators=50`"
NEW_TRY = "`uv run dvc exp run -S train.random_forest.n_estimators=50`"
TRAIN_BY_HAND = """\
Change it by hand to 0.1.0's shape (the kit's params.yaml shows it):
  train:
    model: random_forest
    class_weight: null
    n_jobs: -1
    seed: 42
    random_forest:
      n_estimators: 200  # and max_depth, min_samples_leaf: your values
Before any stage runs, `uv run dvc repro` names each key still wrong."""


def upgrade_train_text(text: str) -> str:
    """params.yaml's text with a pre-0.1.0 train section in 0.1.0's shape; else unchanged.

    The seed stays where it was; the forest's keys (with their comments) move, in their
    order, under `random_forest:`; model, class_weight and n_jobs come first.
    """
    try:
        params = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise Unrecognised(f"it is not valid YAML ({error})") from None
    train = params.get("train") if isinstance(params, dict) else None
    if not isinstance(train, dict):
        raise Unrecognised("it has no train section")
    if "model" in train:
        return text
    if set(train) != {*FOREST_KEYS, "seed"}:
        raise Unrecognised(
            f"its train section has the keys {sorted(train)}, not the forest's "
            f"{[*FOREST_KEYS, 'seed']}"
        )
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += nl
    keys = _top_level(lines)
    start = keys["train"]
    end = min([n for n in keys.values() if n > start], default=len(lines))
    while end - 1 > start and (lines[end - 1].startswith("#") or not lines[end - 1].strip()):
        end -= 1
    if lines[start].rstrip("\r\n").split("#")[0].strip() != "train:":
        raise Unrecognised("its train section is written inline, not one key per line")
    body = lines[start + 1 : end]
    entries = [line for line in body if not _is_note(line)]
    pad = " " * _indent(entries[0])
    if any(_indent(line) != len(pad) for line in entries):
        raise Unrecognised("its train section is not a block of one key per line")
    seed = [line for line in entries if line.lstrip().startswith("seed:")]
    forest = [line for line in body if line not in seed]
    lines[start + 1 : end] = [
        f"{pad}model: random_forest {MODEL_COMMENT}{nl}",
        f"{pad}class_weight: null {CLASS_WEIGHT_COMMENT}{nl}",
        f"{pad}n_jobs: -1 {N_JOBS_COMMENT}{nl}",
        *seed,
        f"{pad}random_forest:{nl}",
        *(pad + line if line.strip() else line for line in forest),
    ]
    upgraded = "".join(lines).replace(OLD_TRY, NEW_TRY)
    expected = {
        **params,
        "train": {
            "model": "random_forest",
            "class_weight": None,
            "n_jobs": -1,
            "seed": train["seed"],
            "random_forest": {key: train[key] for key in FOREST_KEYS},
        },
    }
    if yaml.safe_load(upgraded) != expected:
        raise Unrecognised("rewriting it line by line would change more than train")
    return upgraded


def upgrade_train(params_file: Path) -> str | None:
    """Bring params.yaml's pre-0.1.0 train section to 0.1.0's shape; what changed, or None.

    Like upgrade_params: a missing file, or one already in shape, is left alone; one in
    a shape this does not know is left alone with what to change by hand.
    """
    if not params_file.is_file():
        return None
    try:
        text = params_file.read_bytes().decode("utf-8")
        upgraded = upgrade_train_text(text)
    except UnicodeDecodeError:
        say(f"{params_file} left as it was: it is not UTF-8.\n{TRAIN_BY_HAND}")
        return None
    except Unrecognised as reason:
        say(f"{params_file} left as it was: {reason}.\n{TRAIN_BY_HAND}")
        return None
    if upgraded == text:
        return None
    params_file.write_bytes(upgraded.encode("utf-8"))
    return (
        f"{params_file}: train.model is random_forest, the model this project trained, "
        "with your values under train.random_forest (docs/modelling.md lists the other "
        "models). Review it with `git diff`"
    )


def kit_section(kit_params: Path, key: str) -> str:
    """The kit's params.yaml's `key:` block, as its template writes it (no Jinja in it)."""
    lines = kit_params.read_text(encoding="utf-8").splitlines(keepends=True)
    keys = _top_level(lines)
    start = keys[key]
    end = min([n for n in keys.values() if n > start], default=len(lines))
    block = "".join(lines[start:end]).rstrip("\n") + "\n"
    if "{{" in block or "{%" in block:
        raise SystemExit(f"{kit_params}: its {key} section holds Jinja; the migration copies it")
    return block


def add_section(params_file: Path, kit_params: Path, key: str) -> bool:
    """Add the kit's `key` section to a params.yaml without one, before `evaluate`.

    The team's file is otherwise untouched; a file that already has one is left alone.
    True if the section was added.
    """
    if not params_file.is_file():
        return False
    text = params_file.read_bytes().decode("utf-8")
    params = yaml.safe_load(text)
    if not isinstance(params, dict) or key in params:
        return False
    nl = "\r\n" if "\r\n" in text else "\n"
    block = kit_section(kit_params, key).replace("\n", nl)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += nl
    at = _top_level(lines).get("evaluate", len(lines))
    # Comments right above `evaluate` belong to it: the section goes above them.
    while at > 0 and lines[at - 1].startswith("#"):
        at -= 1
    lines[at:at] = [block, nl] if at < len(lines) else [nl, block]
    upgraded = "".join(lines)
    if yaml.safe_load(upgraded) != {**params, key: yaml.safe_load(block)[key]}:
        say(f"{params_file} left as it was: adding the {key} section would change more.")
        return False
    params_file.write_bytes(upgraded.encode("utf-8"))
    return True


# What each section a 0.1.0 migration adds is for.
ADDED_SECTIONS = {
    "tune": "`uv run nox -s tune`, docs/modelling.md",
    "monitor": "`uv run nox -s monitor -- BATCH`, docs/monitoring.md",
}


# From 0.1.0 `prepare.stratify: true` holds out test_fraction of each class. A project
# made before keeps the split it had (`false`): the same rows train the same model.
STRATIFY_LINE = "stratify: false # the split before 0.1.0; new projects split each class alike"


def keep_split(params_file: Path) -> str | None:
    """Add `stratify: false` under prepare's seed, unless prepare already says stratify."""
    if not params_file.is_file():
        return None
    try:
        text = params_file.read_bytes().decode("utf-8")
        params = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError):
        params = None  # the stages name what is wrong with it
    prepare = params.get("prepare") if isinstance(params, dict) else None
    if not isinstance(prepare, dict) or "stratify" in prepare:
        return None
    lines = text.splitlines(keepends=True)
    keys = _top_level(lines)
    start = keys.get("prepare", len(lines))
    end = min([n for n in keys.values() if n > start], default=len(lines))
    seed = next((n for n in range(start + 1, end) if lines[n].lstrip().startswith("seed:")), None)
    if seed is not None:
        nl = "\r\n" if "\r\n" in text else "\n"
        lines[seed] = lines[seed].rstrip("\r\n") + nl
        lines.insert(seed + 1, " " * _indent(lines[seed]) + STRATIFY_LINE + nl)
        upgraded = "".join(lines)
        if yaml.safe_load(upgraded) == {**params, "prepare": {**prepare, "stratify": False}}:
            params_file.write_bytes(upgraded.encode("utf-8"))
            return (
                f"{params_file}: prepare.stratify is false, the split this project had "
                "(true holds out test_fraction of each class: docs/pipeline.md)"
            )
    say(
        f"{params_file} left as it was: add `stratify: false` to its prepare section by "
        "hand (the split it had; true holds out test_fraction of each class)."
    )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for copier's `_migrations` commands."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rename = commands.add_parser("rename-answer", help="rename a recorded choice value")
    rename.add_argument("answers_file", type=Path)
    rename.add_argument("question")
    rename.add_argument("old")
    rename.add_argument("new")
    keep = commands.add_parser("keep-without", help="an answer for a question added later")
    keep.add_argument("answers_file", type=Path)
    keep.add_argument("question")
    keep.add_argument("value", help="the answer to record, as YAML (none, false)")
    moving = commands.add_parser("move", help="move a file the kit renamed")
    moving.add_argument("--answers-file", type=Path, help="fills `{question}` in the paths")
    moving.add_argument("old")
    moving.add_argument("new")
    params = commands.add_parser("params-0.1.0", help="params.yaml from before 0.1.0 to 0.1.0")
    params.add_argument(
        "--dvc-file",
        type=Path,
        default=Path("dvc.yaml"),
        help="the old pipeline, whose prepare stage names the raw data",
    )
    params.add_argument("params_file", type=Path)
    train = commands.add_parser("train-0.1.0", help="params.yaml's train section to 0.1.0")
    train.add_argument("params_file", type=Path)
    for key in ADDED_SECTIONS:
        adding = commands.add_parser(f"{key}-0.1.0", help=f"params.yaml gains the kit's {key}")
        adding.add_argument("params_file", type=Path)
        adding.add_argument("kit_params", type=Path, help="the kit's template/params.yaml.jinja")
    split = commands.add_parser("split-0.1.0", help="params.yaml keeps its unstratified split")
    split.add_argument("params_file", type=Path)
    args = parser.parse_args(argv)

    if args.command == "rename-answer":
        if rename_answer(args.answers_file, args.question, args.old, args.new):
            say(f"{args.question}: {args.old!r} is now called {args.new!r}")
    elif args.command == "keep-without":
        if keep_without(args.answers_file, args.question, args.value):
            say(
                f"{args.question}: {args.value} (this project predates the question; "
                f"`copier update --trust -d {args.question}=...` changes it)"
            )
    elif args.command == "params-0.1.0":
        if done := upgrade_params(args.params_file, args.dvc_file):
            say(done)
    elif args.command == "train-0.1.0":
        if done := upgrade_train(args.params_file):
            say(done)
    elif (key := args.command.removesuffix("-0.1.0")) in ADDED_SECTIONS:
        if add_section(args.params_file, args.kit_params, key):
            say(f"{args.params_file}: added the {key} section ({ADDED_SECTIONS[key]})")
    elif args.command == "split-0.1.0":
        if done := keep_split(args.params_file):
            say(done)
    else:
        old = fill_answers(args.old, args.answers_file)
        new = fill_answers(args.new, args.answers_file)
        if move(old, new):
            say(f"moved {old} to {new}, with your edits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
