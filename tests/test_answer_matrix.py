"""Every answer a user can give, end to end: a pairwise matrix over copier.yml's questions.

The matrix is derived from copier.yml: every choice question and every bool is a factor
with all its values, so a new question or choice is in the matrix without an edit here.
The free-text questions vary together as one more factor, NAMES: copier's defaults, the
longest valid answers, and non-ASCII text with Markdown, HTML, quotes and DVC's `${}`.

- Full rows: copied by copier's CLI with the copy tasks (uv sync, `dvc add`, `nox -s
  setup`, which runs `dvc repro`, and the commits), the row's Python first on PATH and no
  git identity configured, as on a fresh machine; then `uv run nox` (its default sessions:
  lint, typecheck, tests, docs) and `dvc repro`. They are the fewest rows that, with the
  all-defaults project of test_generated.py, give every value of every factor (so every
  Python version) a full run.
- Pairwise rows: a greedy all-pairs set, seeded with the full rows and the defaults, so
  that every pair of values of two factors is rendered at least once. Each is rendered
  without tasks, locked and installed from uv's cache into one environment per Python
  version (`uv run` syncs inexactly, so rows do not uninstall each other's packages) and
  checked by the project's own `nox -s lint typecheck docs`: what answers change in
  rendered code, configuration and docs. Tests and pipeline run on the full rows.

Python versions are taken from what is installed (uv, or pyenv's versions), never
downloaded; a missing one fails the rows that need it, saying how to install it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import choice_values, copier_cli, git, python_bin_dir, questions, render, run

NAMES = "names"  # the factor of the free-text answers
# The longest answers the validators accept (the limits are in each question's help).
LONGEST_PACKAGE = "penguin_classifier_for_the_northern_team"
LONGEST_SLUG = "ueberpruefung-der-pinguin-klassifikation-forschungsteam-nord"
LONGEST = {
    "project_name": (
        "Überprüfung der Pinguin-Klassifikation für das Forschungsteam Nord, Saison 2026."
    ),
    "project_slug": LONGEST_SLUG,
    "package_name": LONGEST_PACKAGE,
    "description": (
        "Klassifiziert Pinguine anhand ihrer Körpermaße, damit das Forschungsteam Nord jede "
        "Beobachtung der Saison ohne Handarbeit einer Art zuordnen kann: reproduzierbar, "
        "geprüft, dokumentiert und mit jeder Änderung an Daten, Parametern oder Code erneut "
        "ausgewertet, bevor ein Modell in den Echtbetrieb geht."
    ),
    "author_name": (
        "Forschungsteam Nord der Pinguin-Klassifikation, Abteilung für Meeresbiologie & "
        "Ökologie, Bremerhaven"
    ),
    "author_email": "pinguin-klassifikation." + "n" * 219 + "@example.com",
}
# Markdown, HTML and `${}` in names broke `mkdocs build --strict` and DVC (issue 11); `<`
# and `>` in author_name reach git's identity; the email's name part is as odd as the build
# backend accepts (an ASCII dot-atom). project_slug and package_name derive.
MARKUP = {
    "project_name": 'Pingüine [x](missing.md) <img src="missing.png"> & `code` #1 ${HOME}',
    "description": "Uses ${HOME} and \\${x}: [docs](missing.md), <b>bold</b>, *em* # not a comment",
    "author_name": 'Zoë <zoe@example.com> O\'Brien "Q" \\',
    "author_email": "o'brien+ml#1{x}|${y}@example.com",
}
NAME_SETS: dict[str, dict[str, str]] = {"defaults": {}, "longest": LONGEST, "markup": MARKUP}
# Free text that names something only for some values of a choice: dvc_remote_url, the
# bucket of a cloud dvc_remote (refused with `local`). Each row with such a value gets one,
# so its first copy runs with the bucket configured and unreachable; the text's own rules
# are tests/test_remotes.py's.
BOUND: dict[str, tuple[str, dict[Any, str]]] = {
    "dvc_remote_url": (
        "dvc_remote",
        {
            "s3": "s3://team-data/penguins",
            "gcs": "gs://team-data/penguins",
            "azure": "azure://team-data/penguins",
        },
    )
}

Row = dict[str, Any]


def levels() -> dict[str, list[Any]]:
    """Each choice or bool question of copier.yml with its values, the default first."""
    found: dict[str, list[Any]] = {}
    for name, spec in questions().items():
        values = [True, False] if spec.get("type") == "bool" else choice_values(spec)
        if values:
            found[name] = sorted(values, key=lambda value: value != spec["default"])
    return {**found, NAMES: list(NAME_SETS)}


LEVELS = levels()
DEFAULTS: Row = {factor: values[0] for factor, values in LEVELS.items()}


def full_rows() -> list[Row]:
    """Row i takes each factor's i-th value (cycling); with the defaults (row 0), these
    give every value a full run, in as few rows as the factor with most values allows."""
    width = max(len(values) for values in LEVELS.values())
    return [
        {factor: values[i % len(values)] for factor, values in LEVELS.items()}
        for i in range(1, width)
    ]


Pair = tuple[tuple[str, Any], tuple[str, Any]]


def pairs(row: Row) -> set[Pair]:
    """The pairs of (factor, value) a row covers, factors in the order of LEVELS."""
    items = [(factor, row[factor]) for factor in LEVELS if factor in row]
    return {(a, b) for i, a in enumerate(items) for b in items[i + 1 :]}


def all_pairs() -> set[Pair]:
    """Every pair of values of two different factors."""
    factors = list(LEVELS)
    return {
        ((a, x), (b, y))
        for i, a in enumerate(factors)
        for b in factors[i + 1 :]
        for x in LEVELS[a]
        for y in LEVELS[b]
    }


def rank(pair: Pair) -> tuple[int, ...]:
    """A fixed order of pairs (factors, then values, as copier.yml lists them)."""
    (a, x), (b, y) = pair
    factors = list(LEVELS)
    return factors.index(a), LEVELS[a].index(x), factors.index(b), LEVELS[b].index(y)


def grown_row(start: Pair, missing: set[Pair]) -> Row:
    """A row grown from a pair: each other factor, those with most values first, takes the
    value that covers most missing pairs with the factors set so far (the earlier on a tie)."""
    (a, x), (b, y) = start
    row: Row = {a: x, b: y}
    for factor in sorted(LEVELS, key=lambda name: -len(LEVELS[name])):
        if factor not in row:
            values = LEVELS[factor]
            row[factor] = max(values, key=lambda v: len(pairs({**row, factor: v}) & missing))
    return {factor: row[factor] for factor in LEVELS}


def pairwise_rows(seeds: list[Row]) -> list[Row]:
    """The seeds, then rows added greedily until every pair is covered: of the rows grown
    from each missing pair, the one that covers most missing pairs (the first on a tie)."""
    rows = list(seeds)
    missing = all_pairs() - set().union(*(pairs(row) for row in rows))
    while missing:
        grown = (grown_row(start, missing) for start in sorted(missing, key=rank))
        row = max(grown, key=lambda candidate: len(pairs(candidate) & missing))
        rows.append(row)
        missing -= pairs(row)
    return rows


FULL = full_rows()
PAIRWISE = [row for row in pairwise_rows([DEFAULTS, *FULL]) if row not in [DEFAULTS, *FULL]]


def answers(row: Row) -> dict[str, Any]:
    """copier's answers for a row."""
    chosen = {factor: value for factor, value in row.items() if factor != NAMES}
    bound = {
        name: values[row[choice]]
        for name, (choice, values) in BOUND.items()
        if row.get(choice) in values
    }
    return {**chosen, **NAME_SETS[row[NAMES]], **bound}


def row_id(row: Row) -> str:
    """A short test id: the values, bools as question names."""
    shown = [
        str(v) if not isinstance(v, bool) else f"{'' if v else 'no-'}{f}" for f, v in row.items()
    ]
    return "-".join(shown)


# --- Fast: the matrix is what it claims ----------------------------------------------------


def test_every_question_is_in_the_matrix() -> None:
    """A choice or bool question is a factor; a free-text one is set by the NAMES sets, or
    by the row's value of the choice it is bound to (BOUND)."""
    for name, spec in questions().items():
        if name in BOUND:
            choice, values = BOUND[name]
            assert set(values) < set(LEVELS[choice]), f"{name}: not bound to {choice}'s values"
        elif name not in LEVELS:
            assert spec.get("type", "str") == "str", f"{name}: a {spec.get('type')} question"
            varied = [label for label, values in NAME_SETS.items() if name in values]
            derived = "{{" in str(spec.get("default"))
            assert varied, f"{name} is in no name set of the matrix"
            assert derived or "longest" in varied, f"{name}: no name set has its longest"


def test_the_longest_answers_are_the_longest_valid_ones() -> None:
    for name, value in LONGEST.items():
        limit = re.search(r"at most (\d+) characters", questions()[name]["help"])
        assert limit, f"{name}: its help states no length limit"
        assert len(value) == int(limit.group(1)), f"{name}: {len(value)} characters"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", LONGEST_PACKAGE)


def test_the_full_rows_give_every_value_a_full_run() -> None:
    for factor, values in LEVELS.items():
        ran = {row[factor] for row in [DEFAULTS, *FULL]}
        assert ran == set(values), f"{factor}: {set(values) - ran} never runs fully"
    defaults = {name: spec["default"] for name, spec in questions().items() if name in LEVELS}
    assert {**defaults, NAMES: "defaults"} == DEFAULTS  # test_generated.py's project


def test_the_rows_cover_every_pair() -> None:
    covered = set().union(*(pairs(row) for row in [DEFAULTS, *FULL, *PAIRWISE]))
    assert covered == all_pairs()
    rows = [DEFAULTS, *FULL, *PAIRWISE]
    assert len({row_id(row) for row in rows}) == len(rows)


# --- uv, never downloading a Python ----------------------------------------------------


def uv_env(**extra: str) -> dict[str, str]:
    """This process's environment (hermetic, see conftest), never downloading a Python."""
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never", **extra}


def run_env(cwd: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """Run a command with env; on failure show its output in the assertion."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode} in {cwd}:\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        )
    return result


# --- Slow: full rows ----------------------------------------------------------------------


def git_ident(value: str) -> str:
    """What git records of a configured user.name or user.email: `<` and `>` dropped,
    and spaces and .,:;"'\\ trimmed from both ends (git's ident.c)."""
    return re.sub("[<>]", "", value).strip(" .,:;\"'\\")


class FullProject:
    """A full row's project and what its copy printed."""

    def __init__(self, row: Row, path: Path, output: str) -> None:
        self.row, self.path, self.output = row, path, output
        self.answers = yaml.safe_load((path / ".copier-answers.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=FULL, ids=row_id)
def full_project(
    request: pytest.FixtureRequest, kit: Path, tmp_path_factory: pytest.TempPathFactory
) -> FullProject:
    """A full row copied as a user copies it: copier's CLI (its API runs tasks with the
    environment of its import time), the row's Python first on PATH, no git identity."""
    row: Row = request.param
    home = tmp_path_factory.mktemp("full-row")
    data_file = home / "answers.yml"
    data_file.write_text(yaml.safe_dump(answers(row), allow_unicode=True), encoding="utf-8")
    gitconfig = home / "gitconfig"  # no [user]: the copy task names the author
    gitconfig.write_text("[commit]\n\tgpgsign = false\n", encoding="utf-8")
    python = python_bin_dir(row["python_version"])
    env = uv_env(PATH=f"{python}{os.pathsep}{os.environ['PATH']}", GIT_CONFIG_GLOBAL=str(gitconfig))
    destination = home / "project"
    copied = copier_cli(kit, destination, f"--data-file={data_file}", env=env)
    output = f"{copied.stdout}\n{copied.stderr}"
    assert copied.returncode == 0, f"copier copy failed:\n{output}"
    return FullProject(row, destination, output)


@pytest.mark.slow
def test_copy_sets_up_and_commits_a_clean_tree(full_project: FullProject) -> None:
    project, package = full_project.path, full_project.answers["package_name"]
    assert "[copier-mlops] done:" in full_project.output, full_project.output[-4000:]
    assert git(project, "status", "--porcelain") == ""
    tracked = git(project, "ls-files").splitlines()
    assert f"src/{package}/__init__.py" in tracked
    assert "dvc.lock" in tracked
    authors = git(project, "log", "--format=%an <%ae>").splitlines()
    name, email = full_project.answers["author_name"], full_project.answers["author_email"]
    assert authors == [f"{git_ident(name)} <{git_ident(email)}>"] * 2


@pytest.mark.slow
def test_the_environment_runs_the_rows_python(full_project: FullProject) -> None:
    version = "import sys; print('%d.%d' % sys.version_info[:2])"
    ran = run(full_project.path, "uv", "run", "--frozen", "python", "-c", version)
    assert ran.stdout.strip() == full_project.row["python_version"]


@pytest.mark.slow
def test_uv_run_nox_passes(full_project: FullProject) -> None:
    ran = run(full_project.path, "uv", "run", "nox")
    for session in ("lint", "typecheck", "tests", "docs"):
        assert f"nox > Session {session} was successful" in ran.stderr, ran.stderr[-3000:]
    assert git(full_project.path, "status", "--porcelain") == ""


@pytest.mark.slow
def test_every_test_passes_as_ci_runs_them(full_project: FullProject) -> None:
    ran = run(full_project.path, "uv", "run", "nox", "-s", "all-tests")  # as the README shows
    assert "Required test coverage of" in ran.stdout, ran.stdout[-3000:]
    assert git(full_project.path, "status", "--porcelain") == ""


@pytest.mark.slow
def test_dvc_repro_is_up_to_date_and_reads_the_description_back(full_project: FullProject) -> None:
    project = full_project.path
    repro = run(project, "uv", "run", "--frozen", "dvc", "repro")
    assert "Data and pipelines are up to date." in repro.stdout
    # DVC interpolates `${...}` in dvc.yaml: the description must come back as written.
    artifacts = run(
        project,
        "uv",
        "run",
        "--frozen",
        "python",
        "-c",
        "import json; from dvc.repo import Repo;"
        "print(json.dumps({n: a.desc for n, a in Repo('.').artifacts.read()['dvc.yaml'].items()}))",
    )
    slug, description = full_project.answers["project_slug"], full_project.answers["description"]
    assert json.loads(artifacts.stdout) == {slug: description}


# --- Slow: pairwise rows ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pairwise_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the pairwise rows keep one environment and one mypy cache per Python version."""
    home = tmp_path_factory.mktemp("pairwise")
    yield home
    shutil.rmtree(home, ignore_errors=True)  # environments are large; uv's cache keeps them


@pytest.mark.slow
@pytest.mark.parametrize("row", PAIRWISE, ids=row_id)
def test_pairwise_row_passes_lint_typecheck_and_docs(
    kit: Path, tmp_path: Path, pairwise_home: Path, row: Row
) -> None:
    version = row["python_version"]
    python = python_bin_dir(version) / f"python{version}"
    project = render(kit, tmp_path / "project", answers(row))
    git(project, "init", "--quiet")  # the lint session looks for copier's conflict markers
    env = uv_env(
        UV_PYTHON=str(python),
        UV_PROJECT_ENVIRONMENT=str(pairwise_home / f"env-{version}"),
        MYPY_CACHE_DIR=str(pairwise_home / f"mypy-{version}"),
    )
    # From uv's cache, which the full rows' locks just filled: the same resolution, without
    # asking the registry again. The registry only when the cache lacks something.
    offline = subprocess.run(
        ["uv", "lock", "--offline", "--quiet"],
        cwd=project,
        env=env,
        capture_output=True,
        check=False,
    )
    if offline.returncode != 0:
        run_env(project, env, "uv", "lock", "--quiet")
    ran = run_env(project, env, "uv", "run", "--frozen", "nox", "-s", "lint", "typecheck", "docs")
    for session in ("lint", "typecheck", "docs"):
        assert f"nox > Session {session} was successful" in ran.stderr, ran.stderr[-3000:]
