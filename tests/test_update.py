"""copier update: the team's edits survive kit releases, renames migrate, conflicts are caught.

Most tests update a generated, committed project from a "previous release" of the kit
(the work tree, tagged TEST_VERSION) to a "next release": the same kit plus a test-only
change that renames a choice value and moves a file (each with its migration) and
rewrites one line. Others update a project made before the kit's first release (a commit
in its history) to the work tree, through copier.yml's own migrations; one of them is set
up by that old kit's copy task, edited, updated and resolved as a team would, then runs
its checks and its pipeline. Slow: most tests then run the project's own checks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from support import (
    ANSWERS_FILE,
    TEST_VERSION,
    commit_all,
    git,
    kit_config,
    managed_files,
    render,
    run,
    tree_bytes,
    update_project,
)

pytestmark = pytest.mark.slow

PREVIOUS, NEXT = TEST_VERSION, "999.1.0"
QUESTION, OLD_VALUE, NEW_VALUE = "license", "proprietary", "LicenseRef-Proprietary"
MOVED_FROM, MOVED_TO = "docs/model_card.py", "docs/hooks/model_card.py"
CHANGED_FILE = "noxfile.py"
CHANGED_LINE = "Run `uv run nox` for the default checks, or `uv run nox -s NAME` for one session."
NEXT_LINE = "Run `uv run nox` for the default checks; `uv run nox -s NAME` runs one session."
TEAM_LINE = "Our team runs `uv run nox -s tests` before every push."
MIGRATE = ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/src/copier_mlops/tasks/migrate.py"]
MIGRATIONS = {
    "_migrations": [
        {
            "version": NEXT,
            "when": "{{ _stage == 'before' }}",
            "command": [
                *MIGRATE,
                "rename-answer",
                "{{ _copier_conf.answers_file }}",
                QUESTION,
                OLD_VALUE,
                NEW_VALUE,
            ],
        },
        {
            "version": NEXT,
            "when": "{{ _stage == 'before' }}",
            "command": [*MIGRATE, "move", MOVED_FROM, MOVED_TO],
        },
    ]
}
# The kit before its first release (0.1.0), which moved these modules (copier.yml
# `_migrations`); projects made from it record the commit, or a tag put on it here.
BEFORE_FIRST_RELEASE = "343792967ddd8ba9feaf56d14b2d68d31a00e52e"
BEFORE_FIRST_RELEASE_TAG = "0.0.1"
FIRST_RELEASE_MOVES = {
    "src/{package}/data/io.py": "src/{package}/data/storage.py",
    "src/{package}/data/prepare.py": "src/{package}/data/validation.py",
    "src/{package}/evaluation/regression.py": "src/{package}/evaluation/gate.py",
    "tests/unit/test_regression.py": "tests/unit/test_gate.py",
    "tests/unit/test_prepare.py": "tests/unit/test_validation.py",
}
TEAM_EDITED = ["src/{package}/data/io.py", "src/{package}/evaluation/regression.py"]
TEAM_PARAMS_COMMENT = "flipper length only adds noise for our colony"
# 0.1.0's featurize.ratios for a project that derived the ratios before (add_ratios: true).
SAMPLE_RATIOS = {
    "bill_length_to_depth": ["bill_length_mm", "bill_depth_mm"],
    "body_mass_per_flipper_mm": ["body_mass_g", "flipper_length_mm"],
}
CONFLICT_MARKERS = re.compile(r"^(<<<<<<< before updating|>>>>>>> after updating)$", re.M)


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace text in a kit file, failing loudly if the kit no longer has it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} no longer contains {old!r}: update this test's release"
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_migrations(config: Path, migrations: list[dict[str, object]]) -> None:
    """Append migrations to copier.yml's `_migrations` (its last section), or start it."""
    text = config.read_text(encoding="utf-8")
    top_level = re.findall(r"^(\w+):", text, re.M)
    if "_migrations" in top_level:
        assert top_level[-1] == "_migrations", "copier.yml: keep _migrations the last section"
        items = yaml.safe_dump(migrations, sort_keys=False, width=200)
        text = text.rstrip("\n") + "\n" + textwrap.indent(items, "  ")
    else:
        text += "\n" + yaml.safe_dump({"_migrations": migrations}, sort_keys=False, width=200)
    config.write_text(text, encoding="utf-8")
    assert yaml.safe_load(text)["_migrations"][-len(migrations) :] == migrations


def make_next_release(kit: Path) -> None:
    """The test-only kit change: a renamed choice value, a moved file, a changed line."""
    replace_in(kit / "copier.yml", f": {OLD_VALUE}\n", f": {NEW_VALUE}\n")
    for template in (kit / "template").rglob("*.jinja"):
        text = template.read_text(encoding="utf-8")
        if f"'{OLD_VALUE}'" in text:
            template.write_text(text.replace(f"'{OLD_VALUE}'", f"'{NEW_VALUE}'"), "utf-8")
    (kit / "template" / MOVED_TO).parent.mkdir(parents=True, exist_ok=True)
    git(kit, "mv", f"template/{MOVED_FROM}", f"template/{MOVED_TO}")
    replace_in(kit / "template/mkdocs.yml.jinja", MOVED_FROM, MOVED_TO)
    replace_in(kit / "template" / CHANGED_FILE, CHANGED_LINE, NEXT_LINE)
    add_migrations(kit / "copier.yml", MIGRATIONS["_migrations"])


@pytest.fixture(scope="session")
def releases(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit's git repo with both releases: PREVIOUS (the work tree) and NEXT."""
    repo = tmp_path_factory.mktemp("releases") / "copier-mlops"
    git(kit.parent, "clone", "--quiet", "--no-local", str(kit), str(repo))
    make_next_release(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "next release: rename, move, change")
    git(repo, "tag", NEXT)
    return repo


def generate(releases: Path, destination: Path, version: str, **answers: str) -> Path:
    """A project generated at version and committed, as a team starts from."""
    project = render(releases, destination, answers, version=version)
    commit_all(project)
    return project


def mark(project: Path, relative: str, marker: str) -> None:
    """Append the team's marker line to a file, as a comment its format allows."""
    path = project / relative
    # Python: two blank lines before a trailing comment, as the formatter wants.
    line = {".md": f"<!-- {marker} -->", ".py": f"\n\n# {marker}"}.get(path.suffix, f"# {marker}")
    if path.name == "LICENSE":
        line = marker
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def traces(project: Path, text: str) -> list[str]:
    """Files (conflicted or .rej included) in which text survives."""
    return [name for name, content in tree_bytes(project).items() if text.encode() in content]


def conflicted(project: Path) -> list[str]:
    """Files holding copier's conflict markers, or left unmerged in git's index."""
    unmerged = [
        line[3:]
        for line in git(project, "status", "--porcelain").splitlines()
        if line.startswith("UU")
    ]
    marked = [
        name
        for name, content in tree_bytes(project).items()
        if CONFLICT_MARKERS.search(content.decode("utf-8", errors="replace"))
    ]
    return sorted({*unmerged, *marked})


def resolve_keeping_both_sides(path: Path) -> None:
    """Resolve a conflict as a reviewer who keeps both sides would: drop the markers."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    markers = re.compile(r"^(<<<<<<< before updating|=======|>>>>>>> after updating)$")
    path.write_text("".join(line for line in lines if not markers.match(line.rstrip("\n"))))


def answers_of(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))


def assert_checks_pass(project: Path) -> None:
    """The updated project's own checks: lint, types, tests, docs."""
    run(project, "uv", "run", "nox", "-s", "lint", "typecheck", "tests", "docs")


def test_team_edits_in_every_managed_file_survive(releases: Path, tmp_path: Path) -> None:
    project = generate(releases, tmp_path / "project", PREVIOUS)
    edited = managed_files(project)
    for relative in edited:
        mark(project, relative, f"team edit in {relative}")
    commit_all(project, "the team's edits")

    update_project(project, version=NEXT)

    lost = [name for name in edited if not traces(project, f"team edit in {name}")]
    assert not lost, f"team edits lost without a trace: {lost}"
    # The moved file the team edited is the one conflict: their lines, in its new place.
    assert conflicted(project) == [MOVED_TO]
    assert f"team edit in {MOVED_FROM}" in (project / MOVED_TO).read_text(encoding="utf-8")
    assert NEXT_LINE in (project / CHANGED_FILE).read_text(encoding="utf-8")
    resolve_keeping_both_sides(project / MOVED_TO)
    assert_checks_pass(project)


def test_unedited_project_updated_equals_a_fresh_copy(releases: Path, tmp_path: Path) -> None:
    project = generate(releases, tmp_path / "updated", PREVIOUS, **{QUESTION: OLD_VALUE})
    update_project(project, version=NEXT)
    fresh = render(releases, tmp_path / "fresh", {QUESTION: NEW_VALUE}, version=NEXT)
    # Byte for byte a fresh copy: its checks are a fresh NEXT project's, which the other
    # updates to NEXT run (test_team_edits_in_every_managed_file_survive).
    assert tree_bytes(project) == tree_bytes(fresh)


def test_changing_an_answer_equals_a_fresh_copy_with_it(releases: Path, tmp_path: Path) -> None:
    project = generate(releases, tmp_path / "updated", NEXT)
    update_project(project, {"license": "Apache-2.0", "python_version": "3.10"})
    fresh = render(
        releases,
        tmp_path / "fresh",
        {"license": "Apache-2.0", "python_version": "3.10"},
        version=NEXT,
    )
    # Byte for byte a fresh copy with those answers, whose checks the answer matrix runs.
    assert tree_bytes(project) == tree_bytes(fresh)


def test_an_older_project_moves_to_dask_and_s3_with_copier_update(
    releases: Path, tmp_path: Path
) -> None:
    # A project of the previous release, on Polars and the folder beside it, with the
    # team's edit. One update switches both (one run of the checks for the two answers).
    project = generate(releases, tmp_path / "updated", PREVIOUS)
    assert answers_of(project)["compute"] == "polars"
    assert answers_of(project)["dvc_remote"] == "local"
    mark(project, "README.md", TEAM_LINE)
    commit_all(project, "the team's edits")
    switched = {"compute": "dask", "dvc_remote": "s3", "dvc_remote_url": "s3://team-data/penguins"}

    update_project(project, switched, version=NEXT)

    assert conflicted(project) == []
    assert {key: answers_of(project)[key] for key in switched} == switched
    config = (project / ".dvc/config").read_text(encoding="utf-8")
    assert "remote = storage\n" in config
    assert config.endswith("url = s3://team-data/penguins\n")
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert '"dvc[s3]>=3.60"' in pyproject
    assert '"dask[dataframe]>=' in pyproject
    assert '"distributed>=' in pyproject
    package = str(answers_of(project)["package_name"])
    assert (project / "src" / package / "compute/on_dask.py").is_file()
    fresh = tree_bytes(render(releases, tmp_path / "fresh", switched, version=NEXT))
    fresh["README.md"] += f"<!-- {TEAM_LINE} -->\n".encode()
    # params.yaml is the team's: a new copy has a compute section; theirs, untouched, works
    # without it (the engine defaults to auto).
    assert b"\ncompute:\n" in fresh.pop("params.yaml")
    updated = tree_bytes(project)
    assert b"\ncompute:\n" not in updated.pop("params.yaml")
    assert updated == fresh
    assert_checks_pass(project)  # `uv run` locks the new dependencies and installs them
    # params.yaml (the team's) has no compute section: `auto`, the project's new default, Dask.
    result = run(project, "uv", "run", "--frozen", "dvc", "repro", "featurize")
    said = result.stdout + result.stderr
    assert said.count("(Dask, a local cluster of 2 workers in this process)") == 4, said


def test_migrations_keep_the_answer_and_the_moved_files_edits(
    releases: Path, tmp_path: Path
) -> None:
    project = generate(releases, tmp_path / "project", PREVIOUS, **{QUESTION: OLD_VALUE})
    mark(project, MOVED_FROM, "our own model card tweak")
    commit_all(project, "the team's edit")

    update_project(project, version=NEXT)

    assert answers_of(project)[QUESTION] == NEW_VALUE
    assert "Proprietary" in (project / "README.md").read_text(encoding="utf-8")
    assert not (project / MOVED_FROM).exists()
    # copier sees the moved, edited file as a conflict to review, holding the team's lines.
    assert conflicted(project) == [MOVED_TO]
    assert "our own model card tweak" in (project / MOVED_TO).read_text(encoding="utf-8")
    resolve_keeping_both_sides(project / MOVED_TO)
    assert_checks_pass(project)


def test_migrations_are_idempotent(releases: Path, tmp_path: Path) -> None:
    project = generate(releases, tmp_path / "project", PREVIOUS, **{QUESTION: OLD_VALUE})
    update_project(project, version=NEXT)
    commit_all(project, "update")
    script = releases / "src/copier_mlops/tasks/migrate.py"
    for migration in MIGRATIONS["_migrations"]:
        arguments = [
            a.replace("{{ _copier_conf.answers_file }}", ANSWERS_FILE).replace(
                "{{ _copier_conf.src_path }}", str(releases)
            )
            for a in migration["command"][2:]
        ]
        run(project, sys.executable, str(script), *arguments)
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.parametrize("mode", ["inline", "rej"])
def test_a_conflict_keeps_the_team_line_and_the_hooks_block_the_commit(
    releases: Path, tmp_path: Path, mode: str
) -> None:
    project = generate(releases, tmp_path / "project", PREVIOUS)
    changed = project / CHANGED_FILE
    changed.write_text(changed.read_text(encoding="utf-8").replace(CHANGED_LINE, TEAM_LINE))
    commit_all(project, "the team's wording")

    update_project(project, version=NEXT, conflict=mode)  # type: ignore[arg-type]

    assert traces(project, TEAM_LINE), f"{mode}: the team's line disappeared without a trace"
    if mode == "inline":
        assert conflicted(project) == [CHANGED_FILE]
    else:
        assert (project / f"{CHANGED_FILE}.rej").is_file()
    run(project, "uv", "run", "pre-commit", "install")
    git(project, "add", "-A")
    commit = subprocess.run(
        ["git", "commit", "-m", "take the kit update"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode != 0, "the hooks let a conflicted update be committed"
    hook = "no copier conflict markers" if mode == "inline" else "no .rej files left"
    output = commit.stdout + commit.stderr  # git runs the hooks; their report lands on either
    assert re.search(rf"{re.escape(hook)}[^\n]*\.Failed", output), output


@pytest.fixture(scope="session")
def first_release_base(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit's repo with its last commit before the first release tagged, as a release."""
    repo = tmp_path_factory.mktemp("before-first-release") / "copier-mlops"
    git(releases.parent, "clone", "--quiet", "--no-local", str(releases), str(repo))
    known = subprocess.run(
        ["git", "cat-file", "-e", f"{BEFORE_FIRST_RELEASE}^{{commit}}"], cwd=repo, check=False
    )
    assert known.returncode == 0, (
        f"the kit's history lacks {BEFORE_FIRST_RELEASE} (the kit before 0.1.0): run the "
        "tests from a git clone of the kit with its history"
    )
    git(repo, "tag", BEFORE_FIRST_RELEASE_TAG, BEFORE_FIRST_RELEASE)
    return repo


def kit_migrations_rerun(kit: Path, project: Path) -> None:
    """Run copier.yml's own migration commands again, as copier would render them."""
    script = kit / "src/copier_mlops/tasks/migrate.py"
    for migration in kit_config()["_migrations"]:
        arguments = [
            a.replace("{{ _copier_conf.answers_file }}", ANSWERS_FILE).replace(
                "{{ _copier_conf.src_path }}", str(kit)
            )
            for a in migration["command"][2:]
        ]
        assert not any("{{" in a for a in arguments), f"unrendered Jinja: {arguments}"
        run(project, sys.executable, str(script), *arguments)


@pytest.mark.parametrize("recorded", ["tag", "commit"])
def test_a_project_from_before_the_first_release_keeps_edits_in_moved_modules(
    releases: Path, first_release_base: Path, tmp_path: Path, recorded: str
) -> None:
    # A project made from the untagged kit records the commit (copier reads its version as
    # 0.0.0.postN); one made from a tag records the tag. Both must run 0.1.0's migrations.
    kit = first_release_base if recorded == "tag" else releases
    version = BEFORE_FIRST_RELEASE_TAG if recorded == "tag" else BEFORE_FIRST_RELEASE
    project = generate(kit, tmp_path / "project", version)
    package = str(answers_of(project)["package_name"])
    moves = {
        old.format(package=package): new.format(package=package)
        for old, new in FIRST_RELEASE_MOVES.items()
    }
    edited = [name.format(package=package) for name in TEAM_EDITED]
    assert all((project / old).is_file() for old in moves), "the old kit lacks a moved file"
    if recorded == "commit":
        assert BEFORE_FIRST_RELEASE.startswith(str(answers_of(project)["_commit"]))
    for name in edited:
        mark(project, name, f"team edit in {name}")
    commit_all(project, "the team's edits")

    update_project(project, version=PREVIOUS)

    assert answers_of(project)["_commit"] == PREVIOUS
    assert not [old for old in moves if (project / old).exists()], "an old path is left"
    unexpected = [name for name in conflicted(project) if name not in moves.values()]
    assert not unexpected, f"conflicts outside the moved files: {unexpected}"
    for name in edited:
        assert moves[name] in conflicted(project), f"{moves[name]}: no conflict to review"
        text = (project / moves[name]).read_text(encoding="utf-8")
        assert f"team edit in {name}" in text, f"the team's edit of {name} is lost"

    # params.yaml (user-owned, never re-rendered) is migrated to 0.1.0's shape.
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    assert params["data"] == {"raw": "data/raw/penguins.csv", "task": "classification"}
    assert params["featurize"] == {"exclude": [], "ratios": SAMPLE_RATIOS}

    before = tree_bytes(project)
    kit_migrations_rerun(kit, project)
    assert tree_bytes(project) == before, "copier.yml's migrations are not idempotent"


def commit_without_hooks(project: Path, message: str) -> None:
    """Commit everything; the hooks the copy task installed would fetch the kit's."""
    git(project, "add", "-A")
    git(project, "-c", f"core.hooksPath={os.devnull}", "commit", "--quiet", "-m", message)


def team_edits_params(project: Path) -> None:
    """The team drops a feature, with their reason, and tunes the forest (params.yaml)."""
    edits = {
        "  numeric: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]\n": (
            f"  # {TEAM_PARAMS_COMMENT}\n  numeric: [bill_length_mm, bill_depth_mm, body_mass_g]\n"
        ),
        "  add_ratios: true # derive bill length/depth and body mass/flipper length\n": (
            "  add_ratios: false\n"
        ),
        "  n_estimators: 200\n": "  n_estimators: 150\n",
    }
    for old, new in edits.items():
        replace_in(project / "params.yaml", old, new)


def resolve_as_the_team(project: Path, edited: dict[str, str]) -> list[str]:
    """Resolve the update's conflicts as a team would; the files that had conflicts.

    Each conflicted file takes the kit's side (copier records it as "theirs" in git's
    index); where the team had edited the file (edited: new path -> their marker), they
    put their edit back on top of it.
    """
    files = conflicted(project)
    for name in files:
        git(project, "-c", f"core.hooksPath={os.devnull}", "checkout", "--theirs", "--", name)
        if name in edited:
            mark(project, name, edited[name])
    git(project, "add", "-A")
    return files


def test_a_project_from_before_the_first_release_runs_after_the_update(
    releases: Path, tmp_path: Path
) -> None:
    # Set up by the old kit's copy task (environment, DVC, pipeline run, commits), as a team
    # has it, then edited: two modules that 0.1.0 moves, and params.yaml's features.
    project = render(releases, tmp_path / "project", version=BEFORE_FIRST_RELEASE, tasks=True)
    assert git(project, "status", "--porcelain") == "", "the old kit's copy task did not finish"
    package = str(answers_of(project)["package_name"])
    moves = {
        old.format(package=package): new.format(package=package)
        for old, new in FIRST_RELEASE_MOVES.items()
    }
    edited = {moves[name.format(package=package)]: f"team edit in {name}" for name in TEAM_EDITED}
    for name in TEAM_EDITED:
        mark(project, name.format(package=package), f"team edit in {name}")
    team_edits_params(project)
    commit_without_hooks(project, "the team's edits")

    update_project(project, version=PREVIOUS)

    params_text = (project / "params.yaml").read_text(encoding="utf-8")
    assert TEAM_PARAMS_COMMENT in params_text, "the team's comment in params.yaml is lost"
    params = yaml.safe_load(params_text)
    assert params["data"] == {"raw": "data/raw/penguins.csv", "task": "classification"}
    assert params["featurize"] == {"exclude": ["flipper_length_mm"], "ratios": {}}
    assert params["train"]["model"] == "random_forest"  # the model it had, with its values
    assert params["train"]["random_forest"]["n_estimators"] == 150
    resolved = resolve_as_the_team(project, edited)
    assert set(resolved) <= set(moves.values()), f"conflicts outside the moved files: {resolved}"
    for name, marker in edited.items():
        assert marker in (project / name).read_text(encoding="utf-8")

    run(project, "uv", "sync", "--quiet")
    assert_checks_pass(project)
    run(project, "uv", "run", "--frozen", "dvc", "repro")
    # The pipeline ran with the team's migrated params, end to end.
    metadata = json.loads((project / "models/metadata.json").read_text(encoding="utf-8"))
    assert metadata["params"]["featurize"] == params["featurize"]
    assert metadata["params"]["train"]["random_forest"]["n_estimators"] == 150
    metrics = json.loads((project / "reports/evaluation/metrics.json").read_text("utf-8"))
    assert metrics["accuracy"] > 0.9
    # It gained the production loop: its first `promote` made the model the champion.
    promotion = json.loads((project / "reports/promotion.json").read_text("utf-8"))
    assert promotion["decision"] == "promoted", promotion
    champion = (project / "models/champion.skops").read_bytes()
    assert champion == (project / "models/model.skops").read_bytes()
