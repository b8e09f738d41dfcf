"""Open the scheduled retraining's merge request, or update the one already open.

GitLab CI runs this in the `retrain` job, after it pushed the branch BRANCH: the merge
request into the default branch gets the title TITLE and, as its description, the summary
`uv run nox -s retrain` wrote (the file named by the first argument) with a link to the
job, whose artifacts hold the drift report. It needs the CI/CD variable RETRAIN_TOKEN, a
project access token with the `api` and `write_repository` scopes (see docs/ci.md). It
uses the standard library only, like post_report_note.py.
Managed by copier-mlops (`copier update` brings its changes).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


def call(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    """One GitLab API request: its decoded JSON."""
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"CI_API_V4_URL must be an http(s) URL; got {url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"PRIVATE-TOKEN": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)


def description(summary: Path) -> str:
    """The summary, then where the drift report is: this job's artifacts."""
    text = summary.read_text(encoding="utf-8").rstrip()
    if job := os.environ.get("CI_JOB_URL"):
        text += (
            "\n\nThe drift report, with each feature's distribution, is in the artifacts of "
            f"[the retraining job]({job})."
        )
    return text


def main() -> int:
    """Create the merge request, or update the open one from the same branch."""
    if len(sys.argv) != 2:
        raise SystemExit("usage: retrain_merge_request.py SUMMARY.md")
    token = os.environ.get("RETRAIN_TOKEN", "")
    if not token:
        raise SystemExit("RETRAIN_TOKEN is not set: no merge request (docs/ci.md).")
    branch, target = os.environ["BRANCH"], os.environ["CI_DEFAULT_BRANCH"]
    requests = (
        f"{os.environ['CI_API_V4_URL']}/projects/{os.environ['CI_PROJECT_ID']}/merge_requests"
    )
    body = {"title": os.environ["TITLE"], "description": description(Path(sys.argv[1]))}
    branches = {"source_branch": branch, "target_branch": target}
    query = urllib.parse.urlencode({"state": "opened", **branches})
    found = call("GET", f"{requests}?{query}", token)
    if found:
        iid = found[0]["iid"]
        call("PUT", f"{requests}/{iid}", token, body)
        print(f"Updated merge request !{iid} from {branch}.")
    else:
        created = call("POST", requests, token, {**body, **branches, "remove_source_branch": True})
        print(f"Opened merge request !{created['iid']} from {branch}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
