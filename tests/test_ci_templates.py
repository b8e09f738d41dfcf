"""CI templates: rendered workflows pass their schemas and zizmor, call real nox sessions,
and the sessions they call (report, template-update, retrain) work in a real generated
project."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from support import (
    KIT_ROOT,
    choice_values,
    copy_project,
    git,
    kit_config,
    questions,
    render,
    run,
)

BIN = Path(sys.executable).parent
CI_TEMPLATES = KIT_ROOT / "ci-templates"
GITHUB_FILES = [".github/workflows/ci.yml", ".github/workflows/pipeline.yml"]
GITHUB_FILES += [".github/workflows/image.yml"]  # serving=fastapi, the default
GITHUB_FILES += [".github/workflows/template-update.yml", ".github/workflows/retrain.yml"]
GITHUB_FILES += [".github/dependabot.yml"]
GITLAB_FILES = [".gitlab-ci.yml", ".gitlab/post_report_note.py"]
GITLAB_FILES += [".gitlab/retrain_merge_request.py"]
# What CI must run: every check of `uv run nox` (its fast tests as every test: all-tests),
# and the sessions behind the PR report, the template update and the scheduled retraining.
CI_SESSIONS = {"lint", "typecheck", "all-tests", "docs", "setup", "report", "template-update"}
CI_SESSIONS |= {"retrain"}


@pytest.fixture(scope="module")
def projects(
    kit: Path, default_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One render per provider: GitHub is the default; GitLab with the oldest Python."""
    root = tmp_path_factory.mktemp("ci")
    return {
        "github": default_project,
        "gitlab": render(kit, root / "gitlab", {"ci_provider": "gitlab", "python_version": "3.10"}),
        "none": render(kit, root / "none", {"ci_provider": "none"}),
    }


def tool(name: str, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command-line tool installed in the kit's test environment."""
    return subprocess.run(
        [str(BIN / name), *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_each_provider_renders_only_its_own_ci_files(projects: dict[str, Path]) -> None:
    for provider, expected in (("github", GITHUB_FILES), ("gitlab", GITLAB_FILES)):
        project = projects[provider]
        assert all((project / name).is_file() for name in expected), provider
        others = GITLAB_FILES if provider == "github" else GITHUB_FILES
        assert not any((project / name).exists() for name in others), provider
    assert not (projects["none"] / ".github").exists()
    assert not (projects["none"] / ".gitlab-ci.yml").exists()
    assert not (projects["none"] / ".gitlab").exists()


def test_github_workflows_and_dependabot_match_their_schemas(projects: dict[str, Path]) -> None:
    github = projects["github"] / ".github"
    workflows = sorted((github / "workflows").glob("*.yml"))
    assert len(workflows) == 5
    for schema, files in (
        ("vendor.github-workflows", workflows),
        ("vendor.dependabot", [github / "dependabot.yml"]),
    ):
        checked = tool("check-jsonschema", "--builtin-schema", schema, *files)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_gitlab_ci_matches_its_schema(projects: dict[str, Path]) -> None:
    checked = tool(
        "check-jsonschema",
        *("--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"),
        *("--regex-variant", "nonunicode", projects["gitlab"] / ".gitlab-ci.yml"),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_zizmor_finds_nothing_in_the_github_workflows(projects: dict[str, Path]) -> None:
    audited = tool("zizmor", "--offline", "--no-progress", projects["github"] / ".github")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "No findings to report" in audited.stdout
    for name in GITHUB_FILES:  # every file was audited, dependabot.yml included
        assert f"completed {projects['github'] / name}" in audited.stderr, name


def nox_sessions(noxfile: Path) -> set[str]:
    """The sessions a noxfile defines: `@nox.session` functions, under their `name=`."""
    sessions = set()
    for node in ast.parse(noxfile.read_text(encoding="utf-8")).body:
        for decorator in getattr(node, "decorator_list", []):
            call = decorator if isinstance(decorator, ast.Call) else None
            if ast.unparse(call.func if call else decorator) == "nox.session":
                named = [k.value for k in (call.keywords if call else []) if k.arg == "name"]
                sessions.add(ast.literal_eval(named[0]) if named else node.name)
    return sessions


def sessions_called(text: str) -> set[str]:
    """Every session named after `nox -s` / `--session(s)` in CI files, up to an option."""
    called = set()
    for match in re.finditer(r"\bnox\s+(?:-s|--sessions?)\s+([^\n]*)", text):
        for token in match.group(1).split():
            if not re.fullmatch(r"[\w-]+", token) or token.startswith("-"):
                break
            called.add(token)
    return called


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_ci_calls_only_sessions_the_noxfile_defines(
    projects: dict[str, Path], provider: str
) -> None:
    project = projects[provider]
    files = GITHUB_FILES if provider == "github" else GITLAB_FILES
    called = set().union(*(sessions_called((project / f).read_text("utf-8")) for f in files))
    assert called == CI_SESSIONS
    assert called <= nox_sessions(project / "noxfile.py")


def test_test_matrix_is_python_version_and_every_newer_choice(projects: dict[str, Path]) -> None:
    workflow = yaml.safe_load((projects["github"] / ".github/workflows/ci.yml").read_text())
    assert workflow["jobs"]["tests"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    gitlab = yaml.safe_load((projects["gitlab"] / ".gitlab-ci.yml").read_text())
    assert gitlab["tests"]["parallel"]["matrix"] == [{"PYTHON": ["3.10", "3.11", "3.12", "3.13"]}]
    assert gitlab[".uv"]["image"].endswith("-python3.10-bookworm")


def test_ci_python_list_is_the_python_version_choices() -> None:
    source = (KIT_ROOT / "includes" / "python_versions.jinja").read_text(encoding="utf-8")
    listed = re.search(r"set supported = (\[[^\]]*\])", source)
    assert listed, "includes/python_versions.jinja: no `set supported = [...]`"
    assert json.loads(listed.group(1)) == choice_values(questions()["python_version"])


def test_ci_templates_are_valid_yaml_on_their_own() -> None:
    sources = sorted(CI_TEMPLATES.rglob("*.yml"))
    assert len(sources) == 7
    for source in sources:
        assert yaml.safe_load(source.read_text(encoding="utf-8")), source


USES = re.compile(r"uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?:\s+#\s*(?P<version>\S+))?")


def test_every_action_is_pinned_to_one_sha_with_its_version_everywhere() -> None:
    files = [
        *(KIT_ROOT / ".github/workflows").glob("*.yml"),
        *CI_TEMPLATES.rglob("*.yml"),
        *(KIT_ROOT / "includes").glob("*.jinja"),  # steps shared by workflows
    ]
    pins: dict[str, set[tuple[str, str | None]]] = {}
    for path in files:
        for use in USES.finditer(path.read_text(encoding="utf-8")):
            assert re.fullmatch(r"[0-9a-f]{40}", use["ref"]), f"{path}: {use[0]}: not a full SHA"
            assert use["version"], f"{path}: {use[0]}: say the version in a comment"
            pins.setdefault(use["action"], set()).add((use["ref"], use["version"]))
    assert len(pins) >= 5
    for action, refs in pins.items():
        assert len(refs) == 1, f"{action} is pinned differently across files: {sorted(refs)}"


def test_template_update_copier_floor_is_the_kits_min_copier_version() -> None:
    noxfile = (KIT_ROOT / "template/noxfile.py").read_text(encoding="utf-8")
    assert f'COPIER = "copier>={kit_config()["_min_copier_version"]}"' in noxfile


def test_gitlab_note_script_passes_the_projects_ruff_rules(projects: dict[str, Path]) -> None:
    project = projects["gitlab"]
    config = ("--config", project / "ruff.toml")
    for command in (("check", "--no-cache"), ("format", "--check", "--no-cache")):
        checked = tool("ruff", *command, *config, project / ".gitlab", cwd=project)
        assert checked.returncode == 0, checked.stdout + checked.stderr


class FakeGitLab(BaseHTTPRequestHandler):
    """The merge-request notes API, in memory; 100 notes per page, like GitLab's maximum."""

    notes: list[dict[str, Any]]
    tokens: list[str]

    def _reply(self, payload: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> str:
        self.tokens.append(self.headers["PRIVATE-TOKEN"])
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))["body"]

    def do_GET(self) -> None:
        self.tokens.append(self.headers["PRIVATE-TOKEN"])
        query = parse_qs(urlparse(self.path).query)
        page, size = int(query["page"][0]), int(query["per_page"][0])
        more = page * size < len(self.notes)
        headers = {"X-Next-Page": str(page + 1) if more else ""}
        self._reply(self.notes[(page - 1) * size : page * size], headers)

    def do_POST(self) -> None:
        self.notes.append({"id": len(self.notes) + 1, "body": self._body()})
        self._reply(self.notes[-1])

    def do_PUT(self) -> None:
        note = next(n for n in self.notes if self.path.endswith(f"/notes/{n['id']}"))
        note["body"] = self._body()
        self._reply(note)

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def gitlab_api() -> Iterator[tuple[str, type[FakeGitLab]]]:
    """A fake GitLab on loopback with 120 unrelated notes, so the search spans two pages."""
    handler = type("Handler", (FakeGitLab,), {"tokens": []})
    handler.notes = [{"id": i, "body": f"review comment {i}"} for i in range(1, 121)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v4", handler
    server.shutdown()
    server.server_close()
    thread.join()


def post_note(project: Path, workdir: Path, api: str, token: str) -> str:
    """Run the rendered note script as GitLab CI would, in workdir; return its output."""
    env = {
        **os.environ,
        "CI_API_V4_URL": api,
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_IID": "3",
        "REPORT_NOTE_TOKEN": token,
    }
    script = project / ".gitlab/post_report_note.py"
    done = subprocess.run(
        [sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_gitlab_report_note_is_posted_once_then_updated(
    projects: dict[str, Path], gitlab_api: tuple[str, type[FakeGitLab]], tmp_path: Path
) -> None:
    api, handler = gitlab_api
    report = tmp_path / "reports/metrics-diff.md"
    report.parent.mkdir()
    report.write_text("first report\n", encoding="utf-8")
    assert "Posted" in post_note(projects["gitlab"], tmp_path, api, "secret")
    report.write_text("second report\n", encoding="utf-8")
    assert "Updated" in post_note(projects["gitlab"], tmp_path, api, "secret")

    reports = [note for note in handler.notes if note["body"].startswith("<!-- metrics-report")]
    assert [note["body"] for note in reports] == ["<!-- metrics-report -->\nsecond report\n"]
    assert len(handler.notes) == 121
    assert set(handler.tokens) == {"secret"}


def test_gitlab_report_note_without_a_token_says_so_and_calls_nothing(
    projects: dict[str, Path], gitlab_api: tuple[str, type[FakeGitLab]], tmp_path: Path
) -> None:
    api, handler = gitlab_api
    output = post_note(projects["gitlab"], tmp_path, api, "")
    assert "REPORT_NOTE_TOKEN is not set" in output
    assert handler.tokens == []


# Scheduled retraining: `nox -s retrain` in a job that waits for the data as the pipeline
# job does; what changed goes to one pull/merge request.


def workflow(project: Path, name: str) -> dict[Any, Any]:
    """A rendered GitHub workflow, parsed."""
    return yaml.safe_load((project / ".github/workflows" / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def s3_project(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GitHub project whose DVC remote is S3: its jobs sign in with an OIDC token."""
    answers = {"dvc_remote": "s3", "dvc_remote_url": "s3://team-data/penguins"}
    return render(kit, tmp_path_factory.mktemp("s3") / "project", answers)


@pytest.mark.parametrize("remote", ["local", "s3"])
def test_retrain_waits_for_the_data_and_signs_in_as_the_pipeline_job_does(
    projects: dict[str, Path], s3_project: Path, remote: str
) -> None:
    project = projects["github"] if remote == "local" else s3_project
    retrain = workflow(project, "retrain.yml")
    assert set(retrain[True]) == {"schedule", "workflow_dispatch"}  # YAML 1.1 reads `on` so
    [schedule] = retrain[True]["schedule"]
    assert re.fullmatch(r"\d+ \d+ \* \* 1", schedule["cron"]), "weekly, on Mondays"
    job, report = retrain["jobs"]["retrain"], workflow(project, "pipeline.yml")["jobs"]["report"]
    for key in ("if", "permissions", "env"):
        assert job[key] == report[key], key
    assert job["permissions"]["contents"] == "read"
    assert ("id-token" in job["permissions"]) == (remote == "s3")

    def until(steps: list[dict[str, Any]], session: str) -> list[dict[str, Any]]:
        return steps[: next(i for i, s in enumerate(steps) if session in s.get("run", ""))]

    # The report job's steps up to its `nox -s setup`, the sign-in included, then retrain.
    mine, theirs = until(job["steps"], "nox -s retrain"), until(report["steps"], "nox -s setup")
    assert [s.get("uses", s.get("run")) for s in mine] == [
        s.get("uses", s.get("run")) for s in theirs
    ]
    assert mine[2:] == theirs[2:]  # `uv sync`, then the sign-in step as it is
    signs_in = [s for s in mine if "aws-actions/configure-aws-credentials@" in s.get("uses", "")]
    assert len(signs_in) == (remote == "s3")
    runs = [step.get("run", "") for step in job["steps"][len(mine) :]]
    assert runs[0].startswith("uv run --frozen nox -s retrain -- ")
    assert "git diff --cached --binary" in runs[1]


def test_retrain_opens_the_pull_request_from_a_job_that_runs_no_project_code(
    projects: dict[str, Path],
) -> None:
    jobs = workflow(projects["github"], "retrain.yml")["jobs"]
    assert set(jobs) == {"retrain", "pull-request"}
    opener = jobs["pull-request"]
    assert opener["needs"] == "retrain"
    assert opener["if"] == "needs.retrain.outputs.changed == 'true'"
    assert opener["permissions"] == {
        "actions": "read",
        "contents": "write",
        "pull-requests": "write",
    }
    assert "write" not in jobs["retrain"]["permissions"].values()
    assert "env" not in opener, "no storage credentials"
    runs = "\n".join(step.get("run", "") for step in opener["steps"])
    assert "nox" not in runs
    assert "uv " not in runs
    assert "git apply --index" in runs
    [create] = [s for s in opener["steps"] if "create-pull-request@" in s.get("uses", "")]
    expression = create["with"]["token"].split()
    assert expression == ["${{", "secrets.RETRAIN_TOKEN", "||", "github.token", "}}"]
    assert create["with"]["branch"] == "retrain/scheduled"
    for job in jobs.values():  # no job keeps git credentials
        [checkout] = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
        assert checkout["with"]["persist-credentials"] is False


def test_gitlab_retrain_runs_in_scheduled_pipelines_once_it_has_the_data_and_a_token(
    projects: dict[str, Path],
) -> None:
    jobs = yaml.safe_load((projects["gitlab"] / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    job = jobs["retrain"]
    assert jobs["metrics-report"]["rules"][0]["if"].endswith("&& $DVC_REMOTE_URL")
    assert job["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "schedule" && $DVC_REMOTE_URL && $RETRAIN_TOKEN'}
    ]
    first, *_, last = job["script"]
    summary = first.removeprefix("uv run --frozen nox -s retrain -- ").split()[0]
    assert first.startswith("uv run --frozen nox -s retrain -- ")
    assert last == f"python3 .gitlab/retrain_merge_request.py {summary}"
    assert job["artifacts"] == {
        "when": "always",
        "name": "drift-report",
        "paths": ["reports/monitoring/"],
    }


def staging(lines: list[str]) -> list[str]:
    """The `git add` lines of a retraining job's commands, quoted alike."""
    return [line.strip().replace('"', "'") for line in lines if "git add" in line]


def github_staging(project: Path) -> list[str]:
    """How the GitHub retrain job stages what it changed, as shell commands."""
    steps = workflow(project, "retrain.yml")["jobs"]["retrain"]["steps"]
    return staging("\n".join(step.get("run", "") for step in steps).splitlines())


def test_retrain_commits_only_what_the_pipeline_writes(
    projects: dict[str, Path], tmp_path: Path
) -> None:
    commands = github_staging(projects["github"])
    gitlab = yaml.safe_load((projects["gitlab"] / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert commands == staging(gitlab["retrain"]["script"])
    repo = tmp_path / "repo"
    for name in ("dvc.lock", "models/metadata.json", "src/pkg/stage.py", "README.md"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("before\n", encoding="utf-8")
    git(tmp_path, "init", "--quiet", str(repo))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "before")
    written = ["dvc.lock", "models/metadata.json", "src/pkg/stage.py"]  # tracked, changed
    written += ["models/champion.json", "reports/promotion.json"]  # new pipeline outputs
    left = ["gha-creds-0123.json", "reports/monitoring/penguins/drift.json", "notes/todo.md"]
    for name in written + left:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("after\n", encoding="utf-8")

    for command in commands:
        subprocess.run(["bash", "-c", command], cwd=repo, check=True)

    staged = git(repo, "diff", "--cached", "--name-only").split()
    assert sorted(staged) == sorted(written)


class FakeMergeRequests(BaseHTTPRequestHandler):
    """GitLab's merge-request API, in memory: list (filtered), create, update."""

    merge_requests: list[dict[str, Any]]
    tokens: list[str]

    def _reply(self, payload: object) -> None:
        self.tokens.append(self.headers["PRIVATE-TOKEN"])
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self) -> None:
        query = {key: values[0] for key, values in parse_qs(urlparse(self.path).query).items()}
        found = [mr for mr in self.merge_requests if all(mr[k] == v for k, v in query.items())]
        self._reply(found)

    def do_POST(self) -> None:
        created = {"iid": len(self.merge_requests) + 1, "state": "opened", **self._body()}
        self.merge_requests.append(created)
        self._reply(created)

    def do_PUT(self) -> None:
        [updated] = [mr for mr in self.merge_requests if self.path.endswith(f"/{mr['iid']}")]
        updated.update(self._body())
        self._reply(updated)

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def merge_request_api() -> Iterator[tuple[str, type[FakeMergeRequests]]]:
    """A fake GitLab on loopback with one open merge request from another branch."""
    handler = type("Handler", (FakeMergeRequests,), {"tokens": []})
    other = {"source_branch": "feature", "target_branch": "main", "title": "Feature"}
    handler.merge_requests = [{"iid": 1, "state": "opened", **other}]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v4", handler
    server.shutdown()
    server.server_close()
    thread.join()


def open_merge_request(
    project: Path, summary: Path, api: str, token: str
) -> subprocess.CompletedProcess[str]:
    """Run the rendered merge-request script as the GitLab retrain job would."""
    env = {
        **os.environ,
        "CI_API_V4_URL": api,
        "CI_PROJECT_ID": "7",
        "CI_DEFAULT_BRANCH": "main",
        "CI_JOB_URL": "https://gitlab.invalid/team/project/-/jobs/42",
        "BRANCH": "retrain/scheduled",
        "TITLE": "Retrain on the latest data",
        "RETRAIN_TOKEN": token,
    }
    script = project / ".gitlab/retrain_merge_request.py"
    return subprocess.run(
        [sys.executable, str(script), str(summary)], env=env, capture_output=True, text=True
    )


def test_gitlab_retrain_opens_one_merge_request_then_updates_it(
    projects: dict[str, Path],
    merge_request_api: tuple[str, type[FakeMergeRequests]],
    tmp_path: Path,
) -> None:
    api, handler = merge_request_api
    summary = tmp_path / "retrain.md"
    summary.write_text("- **Promoted**\n\n## Drift\n", encoding="utf-8")
    opened = open_merge_request(projects["gitlab"], summary, api, "secret")
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "Opened merge request !2" in opened.stdout
    summary.write_text("- **Kept**\n", encoding="utf-8")
    updated = open_merge_request(projects["gitlab"], summary, api, "secret")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "Updated merge request !2" in updated.stdout

    other, retrain = handler.merge_requests
    assert other["title"] == "Feature"
    assert retrain["source_branch"] == "retrain/scheduled"
    assert retrain["target_branch"] == "main"
    assert retrain["remove_source_branch"] is True
    assert retrain["title"] == "Retrain on the latest data"
    assert retrain["description"].startswith("- **Kept**\n\nThe drift report")
    assert "(https://gitlab.invalid/team/project/-/jobs/42)" in retrain["description"]
    assert set(handler.tokens) == {"secret"}


def test_gitlab_retrain_without_a_token_fails_and_calls_nothing(
    projects: dict[str, Path],
    merge_request_api: tuple[str, type[FakeMergeRequests]],
    tmp_path: Path,
) -> None:
    api, handler = merge_request_api
    summary = tmp_path / "retrain.md"
    summary.write_text("summary\n", encoding="utf-8")
    done = open_merge_request(projects["gitlab"], summary, api, "")
    assert done.returncode != 0
    assert "RETRAIN_TOKEN is not set" in done.stderr
    assert handler.tokens == []


# The slow part: the sessions CI calls, in a real generated project with real git history.


def uv_run(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the project's locked environment."""
    return run(project, "uv", "run", "--frozen", *command, check=check)


@pytest.fixture(scope="module")
def regressed(generated_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone set up as CI sets it up, with one more commit: a param that hurts accuracy."""
    clone = tmp_path_factory.mktemp("report") / "project"
    git(generated_project.parent, "clone", "--quiet", str(generated_project), str(clone))
    with pytest.MonkeyPatch.context() as patch:
        # CI's remote: the project's own cache has the layout of a DVC remote.
        patch.setenv("DVC_REMOTE_URL", str(generated_project / ".dvc/cache"))
        uv_run(clone, "nox", "-s", "setup")
    git(clone, "switch", "--quiet", "-c", "one-round")
    params = clone / "params.yaml"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 1"))
    uv_run(clone, "dvc", "repro")
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "--no-verify", "-m", "One boosting round")
    return clone


def metrics_file(project: Path) -> str:
    """The metrics file the project's dvc.yaml declares (evaluate's first metric)."""
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    [declared] = pipeline["stages"]["evaluate"]["metrics"][0]
    paths = {name: value for entry in pipeline["vars"] for name, value in entry["paths"].items()}
    return declared.replace("${paths.evaluation}", paths["evaluation"])


def base_branch(clone: Path) -> str:
    """The branch the clone started from (main or master, as the user's git makes it)."""
    return git(clone, "rev-parse", "--abbrev-ref", "origin/HEAD").strip().removeprefix("origin/")


@pytest.mark.slow
def test_report_fails_on_a_regression_beyond_tolerance(regressed: Path) -> None:
    base = base_branch(regressed)
    result = uv_run(regressed, "nox", "-s", "report", "--", base, check=False)

    assert result.returncode != 0
    markdown = (regressed / "reports/metrics-diff.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"## Metrics and params against `{base}`")
    assert "**Fail**" in markdown
    metrics = metrics_file(regressed)
    assert f"`accuracy` ({metrics}) dropped from" in markdown
    assert re.search(rf"\| {re.escape(metrics)} \| accuracy +\| [\d.]+ +\|", markdown)
    assert re.search(
        r"\| params\.yaml +\| train\.hist_gradient_boosting\.max_iter +\| 200 +\| 1 +\|", markdown
    )
    assert markdown.strip() in result.stdout


@pytest.mark.slow
def test_report_passes_a_change_within_tolerance(regressed: Path, tmp_path: Path) -> None:
    base = f"origin/{base_branch(regressed)}"  # as CI passes it
    loose = tmp_path / "loose.yaml"
    metrics = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr")
    loose.write_text("".join(f"{name}: {{max_drop: 0.5}}\n" for name in metrics))
    output = tmp_path / "report.md"

    uv_run(
        regressed, "nox", "-s", "report", "--", base, f"--tolerances={loose}", f"--output={output}"
    )

    markdown = output.read_text(encoding="utf-8")
    assert markdown.startswith(f"## Metrics and params against `{base}`")
    assert "**Pass**: no metric got worse than its tolerance (4 gated" in markdown
    assert re.search(
        r"\| params\.yaml +\| train\.hist_gradient_boosting\.max_iter +\| 200 +\| 1 +\|", markdown
    )


@pytest.mark.slow
def test_template_update_takes_the_newer_kit_and_lists_conflicts(
    kit: Path, generated_project: Path, tmp_path: Path
) -> None:
    newer = tmp_path / "kit-newer"
    git(tmp_path, "clone", "--quiet", str(kit), str(newer))
    kit_readme = newer / "template/README.md.jinja"
    kit_readme.write_text(kit_readme.read_text().replace("## Everyday commands", "## Commands"))
    git(newer, "commit", "--quiet", "-am", "README: shorter heading")
    git(newer, "tag", "999.0.1")
    project = tmp_path / "project"
    git(tmp_path, "clone", "--quiet", str(generated_project), str(project))
    for name in (".copier-answers.yml", ".pre-commit-config.yaml"):  # as if made from `newer`
        path = project / name
        path.write_text(path.read_text().replace(str(kit), str(newer)))
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("## Everyday commands", "## Daily commands"))
    git(project, "commit", "--quiet", "--no-verify", "-am", "Our README heading")
    body = tmp_path / "body.md"

    uv_run(project, "nox", "-s", "template-update", "--", str(body))

    summary = body.read_text(encoding="utf-8")
    assert "from copier-mlops 999.0.0 to 999.0.1" in summary
    assert "**1 file(s) with conflicts.**" in summary
    assert "- `README.md`" in summary
    status = git(project, "status", "--porcelain").splitlines()
    assert [line for line in status if "U" in line[:2]] == ["UU README.md"]
    assert "_commit: 999.0.1" in (project / ".copier-answers.yml").read_text()


# Run in the project's environment: 2,000 rows drawn from the raw data, bill length +6 mm,
# appended to it, as a new batch of data might arrive.
ADD_MOVED_ROWS = """
import polars as pl
path = "data/raw/penguins.csv"
raw = pl.read_csv(path, null_values="NA", infer_schema=False)
batch = raw.sample(2_000, with_replacement=True, seed=1).with_columns(
    (pl.col("bill_length_mm").cast(pl.Float64) + 6).round(1).cast(pl.String)
)
pl.concat([raw, batch]).write_csv(path, null_value="NA")
"""


@pytest.mark.slow
def test_retrain_checks_drift_reproduces_pushes_and_summarises(
    generated_project: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    # A teammate adds rows to the raw data and pushes them, without reproducing.
    teammate = copy_project(generated_project, tmp_path / "teammate")
    default = uv_run(teammate, "dvc", "remote", "default").stdout.strip()
    uv_run(teammate, "dvc", "remote", "modify", "--local", default, "url", str(remote))
    uv_run(teammate, "python", "-c", ADD_MOVED_ROWS)
    uv_run(teammate, "dvc", "add", "data/raw/penguins.csv")
    uv_run(teammate, "dvc", "push")
    git(teammate, "commit", "--quiet", "--no-verify", "-am", "2,000 more penguins")
    # CI: a fresh clone, its environment, and the remote's URL.
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "--quiet", str(teammate), str(ci))
    run(ci, "uv", "sync", "--frozen", "--quiet")
    summary = tmp_path / "out/retrain.md"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DVC_REMOTE_URL", str(remote))
        done = uv_run(ci, "nox", "-s", "retrain", "--", str(summary))  # drift is no failure

        # Everything the pipeline made is in the remote: the PR's checks can pull it.
        assert "in sync" in uv_run(ci, "dvc", "status", "--cloud").stdout
    drift = json.loads((ci / "reports/monitoring/penguins/drift.json").read_text("utf-8"))
    assert drift["drift"] is True
    assert "bill_length_mm" in drift["drifted_features"]
    assert drift["rows"]["batch"] == 2_344
    changed = git(ci, "diff", "HEAD", "--name-only").split()
    assert {"dvc.lock", "reports/evaluation/metrics.json", "reports/promotion.json"} <= {*changed}
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("Retrained by `uv run nox -s retrain` on the data in the DVC remote")
    assert "from `main`." in text
    assert "- **Drift** in `bill_length_mm`" in text
    assert "| `bill_length_mm` | wasserstein |" in text
    assert "## Metrics and params against `main`" in text
    promotion = json.loads((ci / "reports/promotion.json").read_text(encoding="utf-8"))
    verdict = {"promoted": "- **Promoted**: ", "kept": "- **Kept**: "}[promotion["decision"]]
    assert f"{verdict}" in text
    assert f"{promotion['reason']}." in text
    assert "| metric (test split) | champion | retrained |" in text
    assert text.strip() in done.stdout + done.stderr

    # The GitHub workflow's second job: the first job's patch, applied to a fresh checkout.
    for command in github_staging(ci):
        subprocess.run(["bash", "-c", command], cwd=ci, check=True)
    staged = git(ci, "diff", "--cached", "--name-only").split()
    assert {*changed} <= {*staged}
    assert not [name for name in staged if name.startswith("reports/monitoring/")]
    patch = tmp_path / "changes.patch"
    patch.write_text(git(ci, "diff", "--cached", "--binary"), encoding="utf-8")
    opener = tmp_path / "pull-request"
    git(tmp_path, "clone", "--quiet", str(teammate), str(opener))
    git(opener, "apply", "--index", str(patch))
    assert git(opener, "diff", "--cached", "--name-only").split() == staged
    assert all((opener / name).read_bytes() == (ci / name).read_bytes() for name in staged)

    # Merged, the next retraining has nothing to do: no change, so no pull request.
    git(opener, "commit", "--quiet", "--no-verify", "-m", "Retrain on the latest data")
    run(opener, "uv", "sync", "--frozen", "--quiet")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DVC_REMOTE_URL", str(remote))
        uv_run(opener, "nox", "-s", "retrain", "--", str(summary))
    for command in github_staging(opener):
        subprocess.run(["bash", "-c", command], cwd=opener, check=True)
    assert git(opener, "diff", "--cached", "--name-only") == ""
    again = summary.read_text(encoding="utf-8")
    assert "- **No new decision**: `promote` did not run again" in again
