"""The alert webhook: one JSON POST of new alerts to the URL the user set
($OSSAI_ALERT_WEBHOOK), retried with backoff, within timeouts, never carrying a token.

Not the shared client (collectors/http): that one logs request paths when it retries or is
redirected, and a webhook URL's path is often its secret (Slack's and Discord's are). Here no
path is ever logged or put in a message: the URL is shown as its scheme and host only, and
redirects are not followed (a POST's body must not go where the user did not say).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from errors import SourceError

RETRIED_STATUSES = (408, 425, 429, 500, 502, 503, 504)
USER_AGENT = "oss-ai-dashboard alerts"


def shown_url(url: str) -> str:
    """The webhook as it may be shown: scheme and host, the path (often a secret) hidden."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def post_alerts(
    url: str,
    payload: Any,
    *,
    tries: int = 4,
    backoff: float = 2.0,
    timeout: tuple[float, float] = (5.0, 15.0),
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> int:
    """POST `payload` as JSON to `url`; returns the answer's status (2xx).

    A failure to connect, a timeout, a 408, 425, 429 or 5xx is tried again, `tries` times in
    all, waiting `backoff`, then twice as long each time (a 429's Retry-After, if longer,
    up to a minute). Raises SourceError('alert webhook', why) when every try failed or the
    answer is another status; the message names the host, never the path."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    where = shown_url(url)
    http = session or requests.Session()
    wait, problem = backoff, ""
    for attempt in range(1, tries + 1):
        try:
            answer = http.post(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            )
        except requests.Timeout:
            problem = f"{where} did not answer within {timeout[1]:g} s"
        except requests.RequestException as exc:
            problem = f"{where} could not be reached ({type(exc).__name__})"
        else:
            status = answer.status_code
            answer.close()
            if 200 <= status < 300:
                return status
            problem = f"{where} answered {status}"
            if status not in RETRIED_STATUSES:
                raise SourceError("alert webhook", f"{problem}; not tried again")
            retry_after = answer.headers.get("Retry-After", "")
            if retry_after.isdigit():
                wait = max(wait, min(float(retry_after), 60.0))
        if attempt < tries:
            sleep(wait)
            wait *= 2
    raise SourceError("alert webhook", f"{problem} ({tries} tries)")
