"""Post the metrics report as one merge-request note; later pushes update that note.

GitLab CI runs this after `uv run nox -s report` in merge-request pipelines. It needs the
CI/CD variable REPORT_NOTE_TOKEN, a project access token with the `api` scope (see
docs/ci.md); without it the report stays in the job log and its artifact. It uses the
standard library only, so it runs even when the environment could not be installed.
Managed by copier-mlops (`copier update` brings its changes).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

# The first line of the note, so later runs find and update it instead of adding another.
MARKER = "<!-- metrics-report -->"
REPORT = Path("reports/metrics-diff.md")


def call(
    method: str, url: str, token: str, body: dict[str, str] | None = None
) -> tuple[Any, Message]:
    """One GitLab API request: its decoded JSON and the response headers."""
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"CI_API_V4_URL must be an http(s) URL; got {url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"PRIVATE-TOKEN": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response), response.headers


def find_note(notes_url: str, token: str) -> int | None:
    """The id of the note that already holds the report, if any, across every page."""
    page = "1"
    while page:
        notes, headers = call("GET", f"{notes_url}?per_page=100&page={page}", token)
        for note in notes:
            if str(note.get("body", "")).startswith(MARKER):
                return int(note["id"])
        page = headers.get("X-Next-Page", "")
    return None


def main() -> int:
    """Create or update the note; say why when there is nothing to post."""
    token = os.environ.get("REPORT_NOTE_TOKEN", "")
    if not token:
        print("REPORT_NOTE_TOKEN is not set: the report stays in the job log (docs/ci.md).")
        return 0
    if not REPORT.is_file():
        print(f"{REPORT} was not written: see the report step's output.")
        return 0
    notes_url = (
        f"{os.environ['CI_API_V4_URL']}/projects/{os.environ['CI_PROJECT_ID']}"
        f"/merge_requests/{os.environ['CI_MERGE_REQUEST_IID']}/notes"
    )
    body = {"body": f"{MARKER}\n{REPORT.read_text(encoding='utf-8')}"}
    note = find_note(notes_url, token)
    if note is None:
        call("POST", notes_url, token, body)
        print("Posted the metrics report to the merge request.")
    else:
        call("PUT", f"{notes_url}/{note}", token, body)
        print(f"Updated the metrics report in note {note}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
