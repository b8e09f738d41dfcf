"""dvc_remote=s3|gcs|azure: the DVC remote on object storage, its plugin and its CI.

Fast: dvc_remote_url is refused unless it names a bucket (container) the provider allows;
what each answer renders (the remote, the DVC extra, the folder beside the project kept
until a bucket is named); the rendered CI files pass their schemas and zizmor, and skip
the pipeline job until its sign-in variable is set.

Slow: the default project after its copy task (the session's `generated_project`) is
switched by `copier update -d dvc_remote=... -d dvc_remote_url=...`, locked and synced,
then pushes its data and model to a store on loopback, drops its cache and outputs, and
pulls them back byte for byte. The stores are emulators, not the clouds: moto's S3 server
(PyPI `moto[server]`), Azurite (npm `azurite`, blob service) and gcp-storage-emulator
(PyPI). They test the rendered remote and DVC's plugin; the clouds' permissions and the
CI sign-in (OIDC, workload identity) need real accounts and are not tested here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from support import free_port, git, render, tree_bytes, update_project

BIN = Path(sys.executable).parent
MOTO = "moto[server]==5.2.5"
GCS_EMULATOR = "gcp-storage-emulator==2026.7.19"
AZURITE = "azurite@3.37.0"
BUCKET = "team-data"
URLS = {
    "s3": f"s3://{BUCKET}/penguins",
    "gcs": f"gs://{BUCKET}/penguins",
    "azure": f"azure://{BUCKET}/penguins",
}
EXTRAS = {"s3": "dvc[s3]", "gcs": "dvc[gs]", "azure": "dvc[azure]"}
# The repository variable that turns the pipeline job on (docs/ci.md), and the action that
# trades the job's OIDC token for credentials.
GITHUB_SWITCH = {"s3": "AWS_ROLE_ARN", "gcs": "GCP_WORKLOAD_IDENTITY_PROVIDER"}
GITHUB_SWITCH["azure"] = "AZURE_CLIENT_ID"
SIGN_IN = {
    "s3": "aws-actions/configure-aws-credentials",
    "gcs": "google-github-actions/auth",
    "azure": "azure/login",
}
GITLAB_SWITCH = {"s3": "AWS_ACCESS_KEY_ID", "gcs": "GOOGLE_APPLICATION_CREDENTIALS"}
GITLAB_SWITCH["azure"] = "AZURE_STORAGE_CONNECTION_STRING"
# Azurite's documented development account (public, the same in every installation).
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
# Nothing may leave the machine: no cloud metadata service, no real credentials. Any SDK
# that looks for instance credentials anyway is sent to a closed loopback port.
OFFLINE = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "emulator",
    "AWS_SECRET_ACCESS_KEY": "emulator",
    "AWS_DEFAULT_REGION": "us-east-1",
    "NO_GCE_CHECK": "True",
    "GCE_METADATA_HOST": "127.0.0.1:9",
    "GCE_METADATA_IP": "127.0.0.1:9",
    "GOOGLE_CLOUD_PROJECT": "emulator",
    # gcsfs asks Google's gRPC storage-control API for each bucket's layout (zonal or
    # hierarchical), which no emulator serves; without credentials each ask fails slowly
    # (minutes per pull). Real buckets keep the default.
    "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
    "DO_NOT_TRACK": "1",
}
DROPPED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS")
DROPPED += ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "DVC_REMOTE_URL")


def offline_env() -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if k not in DROPPED}
    return {**kept, **OFFLINE}


def project_run(project: Path, *command: str) -> str:
    """Run a command in the project, offline but for loopback; its stdout and stderr."""
    result = subprocess.run(
        command, cwd=project, env=offline_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a command-line tool installed in the kit's test environment."""
    return subprocess.run(
        [str(BIN / name), *map(str, args)], capture_output=True, text=True, check=False
    )


# ------------------------------------------------ answers (bad URLs: test_bad_answers.py)


def dvc_config(project: Path) -> str:
    return (project / ".dvc/config").read_text(encoding="utf-8")


@pytest.mark.parametrize("remote", ["s3", "gcs", "azure"])
def test_a_bucket_becomes_the_default_remote_with_its_plugin(
    kit: Path, tmp_path: Path, remote: str
) -> None:
    url = URLS[remote].replace("penguins", "team/penguins-2")
    project = render(kit, tmp_path / "project", {"dvc_remote": remote, "dvc_remote_url": url})
    config = dvc_config(project)
    assert "    remote = storage\n" in config
    assert "['remote \"storage\"']\n" in config
    assert config.endswith(f"    url = {url}\n")
    assert "-dvc-storage" not in config
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\n  "{EXTRAS[remote]}>=3.60",\n' in pyproject
    assert '"dvc>' not in pyproject


def test_without_a_bucket_the_folder_beside_the_project_stays(kit: Path, tmp_path: Path) -> None:
    project = render(kit, tmp_path / "project", {"dvc_remote": "s3"})
    local = render(kit, tmp_path / "local", {})
    config = dvc_config(project)
    assert "    remote = local\n" in config
    assert "uvx copier update\n    # --trust -d dvc_remote_url=" in config
    # The same remote as the default project's, plus the comment; the plugin installed.
    comment = [line for line in config.splitlines() if "dvc_remote" in line or "--trust" in line]
    kept = [line for line in config.splitlines() if line not in comment]
    assert kept == dvc_config(local).splitlines()
    assert '"dvc[s3]>=3.60"' in (project / "pyproject.toml").read_text(encoding="utf-8")
    docs = (project / "docs/ci.md").read_text(encoding="utf-8")
    assert "but without a bucket" in docs


# ---------------------------------------------------------------------------------- CI


@pytest.fixture(scope="module")
def cloud_projects(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A GitHub project per cloud remote, and one GitLab project with S3."""
    root = tmp_path_factory.mktemp("cloud-ci")
    projects = {
        remote: render(kit, root / remote, {"dvc_remote": remote, "dvc_remote_url": url})
        for remote, url in URLS.items()
    }
    projects["gitlab"] = render(kit, root / "gitlab", {"ci_provider": "gitlab", "dvc_remote": "s3"})
    return projects


@pytest.mark.parametrize("remote", ["s3", "gcs", "azure"])
def test_the_pipeline_job_signs_in_with_oidc_and_waits_for_its_variable(
    cloud_projects: dict[str, Path], remote: str
) -> None:
    workflows = cloud_projects[remote] / ".github/workflows"
    pipeline = yaml.safe_load((workflows / "pipeline.yml").read_text(encoding="utf-8"))
    job = pipeline["jobs"]["report"]
    assert job["if"] == f"vars.{GITHUB_SWITCH[remote]} != ''"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert not [name for name in job["env"] if name.startswith("AWS_")], "no stored keys"
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    sign_in = [use for use in uses if use.startswith(f"{SIGN_IN[remote]}@")]
    assert len(sign_in) == 1
    assert re.fullmatch(r"[^@]+@[0-9a-f]{40}", sign_in[0])
    others = [action for name, action in SIGN_IN.items() if name != remote]
    assert not [use for use in uses if use.split("@")[0] in others]
    # Signed in before the data is pulled.
    names = [step.get("uses", step.get("run", "")) for step in job["steps"]]
    setup = next(i for i, step in enumerate(names) if "nox -s setup" in step)
    assert names.index(sign_in[0]) < setup


@pytest.mark.parametrize("remote", ["s3", "gcs", "azure"])
def test_the_image_job_signs_in_as_the_pipeline_job_does_to_pull_the_model(
    cloud_projects: dict[str, Path], remote: str
) -> None:
    workflows = cloud_projects[remote] / ".github/workflows"
    job = yaml.safe_load((workflows / "image.yml").read_text(encoding="utf-8"))["jobs"]["image"]
    report = yaml.safe_load((workflows / "pipeline.yml").read_text(encoding="utf-8"))
    report_job = report["jobs"]["report"]
    assert job["permissions"] == report_job["permissions"]
    ready = f"vars.{GITHUB_SWITCH[remote]} != ''"
    steps = job["steps"]

    def signing_in(step: dict[str, str]) -> bool:
        return step.get("uses", "").startswith(f"{SIGN_IN[remote]}@")

    [sign_in] = [step for step in steps if signing_in(step)]
    [report_sign_in] = [step for step in report_job["steps"] if signing_in(step)]
    assert {key: value for key, value in sign_in.items() if key != "if"} == report_sign_in
    pull = next(step for step in steps if "nox -s setup" in step.get("run", ""))
    health = next(step for step in steps if "/health" in step.get("run", ""))
    assert sign_in["if"] == pull["if"] == health["if"] == ready
    assert steps.index(sign_in) < steps.index(pull)
    stored = [name for step in steps for name in step.get("env", {}) if name.startswith("AWS_")]
    assert not stored, "no stored keys"


def test_cloud_workflows_pass_their_schema_and_zizmor(cloud_projects: dict[str, Path]) -> None:
    for remote in URLS:
        github = cloud_projects[remote] / ".github"
        workflows = sorted((github / "workflows").glob("*.yml"))
        checked = tool(
            "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows
        )
        assert checked.returncode == 0, remote + checked.stdout + checked.stderr
        audited = tool("zizmor", "--offline", "--no-progress", github)
        assert audited.returncode == 0, remote + audited.stdout + audited.stderr
        assert "No findings to report" in audited.stdout, remote


def test_gitlab_waits_for_the_storage_credentials(cloud_projects: dict[str, Path]) -> None:
    gitlab_ci = cloud_projects["gitlab"] / ".gitlab-ci.yml"
    checked = tool(
        "check-jsonschema",
        *("--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"),
        *("--regex-variant", "nonunicode", gitlab_ci),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    jobs = yaml.safe_load(gitlab_ci.read_text(encoding="utf-8"))
    ready = f"&& ${GITLAB_SWITCH['s3']}"
    assert jobs["metrics-report"]["rules"] == [
        {"if": f'$CI_PIPELINE_SOURCE == "merge_request_event" {ready}'}
    ]
    # The image job pulls the model with the same credentials, once they are there.
    image_rules = [rule["if"] for rule in jobs["image-model"]["rules"]]
    assert len(image_rules) == 2
    assert all(rule.endswith(ready) for rule in image_rules)


# ------------------------------------------------------------------- push and pull (slow)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def azurite_blob(scratch: Path) -> Path:
    """Azurite's blob server, npm-installed once per machine into the user's cache folder
    (like uv's tools), through a scratch prefix renamed into place when complete."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = cache / "copier-mlops-tests" / AZURITE.replace("@", "-")
    server = home / "node_modules/.bin/azurite-blob"
    if not server.exists():
        prefix = scratch / "npm"
        command = ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", AZURITE]
        subprocess.run(command, check=True, capture_output=True, env=offline_env())
        home.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(home, ignore_errors=True)
        shutil.move(prefix, home)
    return server


@pytest.fixture(scope="module")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """The three emulators on free loopback ports, each with the bucket BUCKET; stopped after.

    moto and gcp-storage-emulator run from uv's tool cache (`uv tool run`), Azurite from
    an npm install in the user's cache folder: the kit's own environment stays as it is.
    """
    root = tmp_path_factory.mktemp("emulators")
    azurite = azurite_blob(root)
    ports = {"s3": free_port(), "gcs": free_port(), "azure": free_port()}
    commands = {
        "s3": [
            *("uv", "tool", "run", "--from", MOTO, "moto_server"),
            *("-H", "127.0.0.1", "-p", str(ports["s3"])),
        ],
        "gcs": [
            *("uv", "tool", "run", "--from", GCS_EMULATOR, "gcp-storage-emulator", "start"),
            *("--host", "127.0.0.1", "--port", str(ports["gcs"]), "--in-memory"),
        ],
        "azure": [
            str(azurite),
            *("--blobHost", "127.0.0.1", "--blobPort", str(ports["azure"])),
            *("--inMemoryPersistence", "--skipApiVersionCheck", "--silent"),
        ],
    }
    servers, logs = {}, []
    try:
        for name, command in commands.items():
            log = (root / f"{name}.log").open("w")
            logs.append(log)
            servers[name] = subprocess.Popen(
                command,
                cwd=root,
                env=offline_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        for name, port in ports.items():
            while not listening(port):
                if servers[name].poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"{name} emulator did not start:\n{(root / f'{name}.log').read_text()}"
                    )
                time.sleep(0.3)
        # The buckets, as a team's platform would have made them: DVC makes none.
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{ports['s3']}/{BUCKET}", method="PUT")
        )
        urllib.request.urlopen(
            urllib.request.Request(
                f"http://127.0.0.1:{ports['gcs']}/storage/v1/b?project=emulator",
                data=json.dumps({"name": BUCKET}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
        )
        yield ports
    finally:
        # In-memory stores with nothing to save; Azurite waits out SIGTERM for minutes.
        for server in servers.values():
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        for log in logs:
            log.close()


def azurite_connection_string(port: int) -> str:
    return (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )


def cached_outputs(project: Path) -> list[str]:
    """What DVC keeps in its cache (and remote): the raw data and the stages' outs, less
    those kept in git (`cache: false`: the metrics, figures and model metadata)."""
    raw = yaml.safe_load((project / "data/raw/penguins.csv.dvc").read_text(encoding="utf-8"))
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    outs = [f"data/raw/{out['path']}" for out in raw["outs"]]
    outs += [out["path"] for stage in lock["stages"].values() for out in stage.get("outs", [])]
    return sorted(name for name in set(outs) if not git(project, "ls-files", "--", name))


def output_bytes(project: Path, outputs: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for name in outputs:
        path = project / name
        if path.is_dir():
            found |= {f"{name}/{key}": value for key, value in tree_bytes(path).items()}
        else:
            found[name] = path.read_bytes()
    return found


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the per-remote copies of the set-up default project go."""
    return tmp_path_factory.mktemp("switched")


@pytest.mark.slow
@pytest.mark.parametrize("remote", ["s3", "azure", "gcs"])
def test_data_and_model_round_trip_through_the_emulated_store(
    generated_project: Path, switched: Path, emulators: dict[str, int], remote: str
) -> None:
    # A team's project, set up and committed, switches its remote with copier update.
    project = switched / remote
    shutil.copytree(
        generated_project, project, symlinks=True, ignore=shutil.ignore_patterns(".venv")
    )
    update_project(project, {"dvc_remote": remote, "dvc_remote_url": URLS[remote]})
    status = git(project, "status", "--porcelain")
    assert "UU" not in status, status
    assert not list(project.rglob("*.rej"))
    assert dvc_config(project).endswith(f"    url = {URLS[remote]}\n")
    project_run(project, "uv", "sync", "--quiet")  # locks DVC's plugin, then installs it

    # This clone talks to the emulator (git-ignored .dvc/config.local), as docs/ci.md says
    # for an S3-compatible store; Azurite through a connection string.
    dvc = ["uv", "run", "--frozen", "dvc"]
    local = [*dvc, "remote", "modify", "--local", "storage"]
    if remote == "azure":
        project_run(
            project, *local, "connection_string", azurite_connection_string(emulators[remote])
        )
        create = (
            "import sys; from azure.storage.blob import BlobServiceClient as S; "
            "S.from_connection_string(sys.argv[1]).create_container(sys.argv[2])"
        )
        connection = azurite_connection_string(emulators[remote])
        project_run(project, "uv", "run", "--frozen", "python", "-c", create, connection, BUCKET)
    else:
        project_run(project, *local, "endpointurl", f"http://127.0.0.1:{emulators[remote]}")
    assert "config.local" in (project / ".dvc/.gitignore").read_text(encoding="utf-8")

    outputs = cached_outputs(project)
    assert "models/model.skops" in outputs
    assert "data/raw/penguins.csv" in outputs
    before = output_bytes(project, outputs)
    pushed = project_run(project, *dvc, "push")
    assert re.search(r"\b\d+ files? pushed", pushed), pushed

    # Nothing left on this machine but the code: the cache and every output are gone.
    shutil.rmtree(project / ".dvc/cache")
    for name in outputs:
        path = project / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    project_run(project, *dvc, "pull")
    assert output_bytes(project, outputs) == before
    assert "Data and pipelines are up to date" in project_run(project, *dvc, "status")
