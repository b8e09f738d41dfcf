"""What HTTP costs: the generated service against the same model called in-process.

Generates a project from this checkout (serving=fastapi; or takes one with --project),
trains its model on the sample data by running the pipeline's stages, then, in one run:
scores single rows and 1,000-row batches in-process (models.predict.score on a ready
frame: the limit), and the same rows as JSON through a real uvicorn on loopback (one
kept-alive connection). Prints p50/p99 latency and rows/s for each, and the overhead of
HTTP over in-process. Target: p50 single-row overhead at most 5 ms. With
--prediction-log, measures the service a second time with its prediction log on, and
prints what the log adds at the median (target: at most 1 ms).

    uv run nox -s benchmark-serving -- --requests 300 --prediction-log
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from generated_project import project_environment, render_and_sync

PACKAGE = "my_ml_project"
STAGES = (
    ("prepare", "data/raw/penguins.csv", "data/prepared"),
    ("featurize", "data/prepared", "data/features"),
    ("train", "data/features", "models/model.skops"),
    (
        "evaluate",
        "data/features",
        "models/model.skops",
        "reports/evaluation",
        "models/metadata.json",
    ),
)

# Runs with the project's python: measures in-process scoring, then the same rows over
# HTTP to `python -m <package>.serving`, and prints one line of figures per case.
MEASURE = r"""
import http.client, json, socket, statistics, subprocess, sys, time
from pathlib import Path
import polars as pl
from {package}.data import schema, storage
from {package}.data.validation import ROW, RowValidator
from {package}.models.persistence import load_model
from {package}.models.predict import score

requests, batch_rows, max_batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
model = load_model(Path("models/model.skops"))
features = schema.Features.to_schema()
raw = pl.concat(list(storage.iter_batches(Path("data/raw/penguins.csv"), 100_000)))
typed = RowValidator(features).validate(raw.select(list(features.columns))).drop(ROW)
typed = typed.filter(pl.any_horizontal(pl.col(model.features.numeric).is_not_null()))
batch = pl.concat([typed] * (batch_rows // typed.height + 1)).head(batch_rows)
cases = {{"1 row": typed.head(1), f"{{batch_rows:,}} rows": batch}}

def percentiles(seconds):
    ordered = sorted(seconds)
    return (statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000)

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
env = {{"SERVING_MAX_BATCH_ROWS": str(max_batch)}}
if len(sys.argv) > 4:
    env["SERVING_PREDICTION_LOG"] = sys.argv[4]
import os; env = {{**os.environ, **env}}
server = subprocess.Popen(
    [sys.executable, "-m", "{package}.serving", "--port", str(port)],
    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
try:
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/health")
            connection.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("the service did not start")
    for name, rows in cases.items():
        runs = requests if rows.height == 1 else max(10, requests // 10)
        body = json.dumps(json.loads(rows.write_json())).encode()
        headers = {{"content-type": "application/json"}}
        local, remote = [], []
        for _ in range(max(3, runs // 10)):  # warm up both paths
            score(model, rows)
            connection.request("POST", "/predict", body, headers)
            connection.getresponse().read()
        for _ in range(runs):
            started = time.perf_counter()
            expected = score(model, rows)
            local.append(time.perf_counter() - started)
            started = time.perf_counter()
            connection.request("POST", "/predict", body, headers)
            response = connection.getresponse()
            answer = response.read()
            remote.append(time.perf_counter() - started)
            if response.status != 200:
                sys.exit(f"{{name}}: HTTP {{response.status}}: {{answer[:300]!r}}")
        predicted = [p["prediction"] for p in json.loads(answer)["predictions"]]
        if predicted != expected[model.prediction_column].to_list():
            sys.exit(f"{{name}}: the service and score() disagree")
        (l50, l99), (r50, r99) = percentiles(local), percentiles(remote)
        print("result", name, runs, l50, l99, rows.height / statistics.median(local),
              r50, r99, rows.height / statistics.median(remote), flush=True)
finally:
    server.terminate()
    server.wait(timeout=30)
"""


def generate(workdir: Path, env: dict[str, str]) -> Path:
    """A default project (serving=fastapi), its environment synced and its model trained."""
    project = workdir / "my-ml-project"
    print(f"Generating a project in {project}", flush=True)
    render_and_sync(project, {"serving": "fastapi"}, env)
    python = str(project / ".venv/bin/python")
    for stage, *arguments in STAGES:  # the stages as dvc.yaml runs them, without DVC
        print(f"  {stage}", flush=True)
        command = [python, "-m", f"{PACKAGE}.pipeline.{stage}", *arguments]
        subprocess.run(command, cwd=project, check=True, env=env, capture_output=True)
    return project


def print_results(output: str, label: str) -> dict[str, float]:
    """Print the measurement's table; each case's HTTP p50 in ms."""
    print(f"\n{label}: latency in ms; rows/s at the median; overhead = HTTP - in-process (p50)")
    line = "{:<12} {:>5} {:>9} {:>9} {:>10} {:>9} {:>9} {:>10} {:>9} {:>7}"
    heading = ("case", "runs", "in p50", "in p99", "in rows/s")
    print(line.format(*heading, "http p50", "http p99", "http rows/s", "overhead", "ratio"))
    medians = {}
    for found in output.splitlines():
        if not found.startswith("result "):
            continue
        *words, runs, l50, l99, lrate, r50, r99, rrate = found.split()[1:]
        l50f, l99f, lratef, r50f, r99f, rratef = (
            float(x) for x in (l50, l99, lrate, r50, r99, rrate)
        )
        case = " ".join(words)
        medians[case] = r50f
        print(
            line.format(
                case,
                runs,
                f"{l50f:.2f}",
                f"{l99f:.2f}",
                f"{lratef:,.0f}",
                f"{r50f:.2f}",
                f"{r99f:.2f}",
                f"{rratef:,.0f}",
                f"{r50f - l50f:.2f}",
                f"{r50f / l50f:.2f}",
            )
        )
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="single-row requests")
    parser.add_argument("--batch-rows", type=int, default=1000, help="rows in a batch request")
    parser.add_argument(
        "--project", type=Path, help="a generated project with a trained model (default: new)"
    )
    parser.add_argument(
        "--prediction-log", action="store_true", help="measure again with the prediction log on"
    )
    args = parser.parse_args()
    env = project_environment()
    workdir = None
    if args.project:
        project = args.project.resolve()
    else:
        workdir = Path(tempfile.mkdtemp(prefix="serving-benchmark-"))
        project = generate(workdir, env)
    package = next(path.parent.name for path in (project / "src").glob("*/__init__.py"))
    python = str(project / ".venv/bin/python")
    script = MEASURE.format(package=package)
    arguments = [str(args.requests), str(args.batch_rows), str(args.batch_rows)]
    runs = {"log off": arguments}
    if args.prediction_log:
        log = Path(tempfile.mkdtemp(prefix="prediction-log-"))
        runs["log on"] = [*arguments, str(log)]
    medians: dict[str, dict[str, float]] = {}
    for label, given in runs.items():
        print(f"Measuring in {project} ({label})", flush=True)
        result = subprocess.run(
            [python, "-c", script, *given],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if result.returncode != 0:
            raise SystemExit(f"the measurement failed:\n{result.stdout}\n{result.stderr}")
        medians[label] = print_results(result.stdout, label)
    if args.prediction_log:
        shutil.rmtree(log)
        for case, http_p50 in medians["log on"].items():
            added = http_p50 - medians["log off"][case]
            print(f"the prediction log adds {added:.2f} ms at the median ({case})")
    if workdir is not None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    sys.exit(main())
