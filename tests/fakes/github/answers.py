"""GitHub's answers from its published examples (`tests/fakes/github_payloads/`): the JSON
and error replies every route uses, and the templates they fill in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from tests.fakes.serving import Reply

PAYLOADS = Path(__file__).resolve().parent.parent / "github_payloads"
DOCS = "https://docs.github.com/rest"

REASONS = {
    404: "Not Found",
    409: "Git Repository is empty.",
    410: "Gone",
    422: "Validation Failed",
    451: "Repository access blocked",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
}


@cache
def _template_text(name: str) -> str:
    return (PAYLOADS / name).read_text()


def template(name: str) -> Any:
    """A fresh copy of one published example payload."""
    return json.loads(_template_text(name))


def json_reply(status: int, data: Any) -> Reply:
    return Reply(
        status,
        json.dumps(data, separators=(",", ":")).encode(),
        {"Content-Type": "application/json; charset=utf-8"},
    )


def error_reply(status: int, message: str) -> Reply:
    return json_reply(status, {"message": message, "documentation_url": DOCS})


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def user(login: str, user_id: int, kind: str, **extra: Any) -> dict:
    """A contributor entry for `login`, from the example's octocat."""
    item = template("contributor-items-response-if-repository-contains-content.json")[0]
    text = json.dumps(item).replace("octocat", login)
    item = json.loads(text)
    item.update(id=user_id, type=kind, **extra)
    return item
