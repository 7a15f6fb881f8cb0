"""The shared HTTP client: what goes out, retries, rate limits, conditional requests, links.

Most tests use the scripted transport (no socket); the last ones use the fake GitHub server
for what only a real socket shows (a read timeout, a reset connection).
"""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests

from collectors.github.client import GitHubPolicy
from collectors.http import (
    HttpClient,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    StatusError,
    TransportError,
    UnsafeUrlError,
)
from tests.fakes.github import NOW, FakeClock, Fault, client_for
from tests.fakes.transport import scripted_session

pytest_plugins = ["tests.fakes.github"]

API = "https://api.example.test"
T0 = NOW.timestamp()


@pytest.fixture
def wire():
    """A client on a scripted transport, with a fake clock; returns (client, adapter, clock).

    Its rate-limit rules are GitHub's (the `x-ratelimit-*` headers) unless `policy` is given."""

    def make(**options):
        session, adapter = scripted_session()
        clock = FakeClock(NOW)
        options.setdefault("user_agent", "tests/1.0")
        options.setdefault("policy", GitHubPolicy())
        client = HttpClient(API, session=session, clock=clock, sleep=clock.sleep, **options)
        return client, adapter, clock

    return make


def test_every_request_names_itself_and_pins_the_api_version(wire):
    client, adapter, _ = wire(
        token="tok-123", policy=GitHubPolicy("2022-11-28"), accept="application/x+json"
    )
    adapter.answer(200, {"ok": True})
    assert client.get("/thing", {"a": 1}).json() == {"ok": True}
    sent = adapter.sent[0]
    assert sent.url == f"{API}/thing?a=1"
    assert sent.headers["User-Agent"] == "tests/1.0"
    assert sent.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent.headers["Accept"] == "application/x+json"
    assert sent.headers["Authorization"] == "Bearer tok-123"
    assert "tok-123" not in repr(client) and "token=<set>" in repr(client)


def test_without_a_token_no_authorization_header_is_sent(wire):
    client, adapter, _ = wire()
    adapter.answer(200, [])
    client.get("/x")
    assert "Authorization" not in adapter.sent[0].headers
    assert not client.authenticated


def test_a_token_is_never_sent_over_plain_http_to_another_machine():
    with pytest.raises(ValueError, match="plain http"):
        HttpClient("http://api.example.test", token="tok", user_agent="t")
    HttpClient("http://127.0.0.1:9", token="tok", user_agent="t")  # a local fake is fine


def test_5xx_answers_are_retried_with_growing_jittered_waits(wire):
    client, adapter, clock = wire(backoff_base=1.0)
    adapter.answer(502).answer(503).answer(200, [1])
    with client.measure() as usage:
        assert client.get("/x").json() == [1]
    assert (usage.requests, usage.retries) == (3, 2)
    first, second = clock.sleeps
    assert 0.5 <= first <= 1.5 and 1.0 <= second <= 3.0
    assert usage.wait_seconds == 0  # backoff is not rate-limit waiting


def test_a_server_that_keeps_failing_is_reported_after_a_few_tries(wire):
    client, adapter, _ = wire(max_retries=3)
    for _ in range(4):
        adapter.answer(500)
    with pytest.raises(ServerError) as caught:
        client.get("/x")
    assert caught.value.status == 500 and "4 tries" in str(caught.value)
    assert len(adapter.sent) == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422, 451])
def test_answers_that_retrying_cannot_fix_are_never_retried(wire, status):
    client, adapter, clock = wire()
    adapter.answer(status, {"message": "No."})
    with pytest.raises(StatusError) as caught:
        client.get("/x")
    assert caught.value.status == status and "No." in str(caught.value)
    assert len(adapter.sent) == 1 and clock.sleeps == []


@pytest.mark.parametrize("status", [403, 429])
def test_primary_limit_waits_until_the_reset_when_that_is_soon(wire, status):
    client, adapter, clock = wire(max_wait_seconds=600)
    adapter.answer(
        status,
        {"message": "API rate limit exceeded"},
        x_ratelimit_remaining="0",
        x_ratelimit_reset=str(int(T0 + 30)),
    )
    adapter.answer(200, [], x_ratelimit_remaining="4999", x_ratelimit_reset=str(int(T0 + 3600)))
    with client.measure() as usage:
        client.get("/x")
    assert clock.sleeps == [31.0]  # reset + 1 s
    assert usage.wait_seconds == 31.0 and usage.rate_limit_remaining == 4999


def test_primary_limit_too_far_away_stops_with_the_reset_time(wire):
    client, adapter, clock = wire(max_wait_seconds=600)
    reset = int(T0 + 7200)
    adapter.answer(403, {"message": "API rate limit exceeded"}, x_ratelimit_remaining="0",
                   x_ratelimit_reset=str(reset), x_ratelimit_resource="core")  # fmt: skip
    with pytest.raises(RateLimitError) as caught:
        client.get("/x")
    error = caught.value
    assert error.kind == "primary" and error.resource == "core"
    assert error.reset_at == datetime.fromtimestamp(reset + 1, UTC)
    assert "2 h 0 min" in str(error) and clock.sleeps == []
    # Knowing the budget is spent, the next call stops before sending anything.
    with pytest.raises(RateLimitError):
        client.get("/y")
    assert len(adapter.sent) == 1


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), (None, 60.0), (format_datetime(datetime.fromtimestamp(T0 + 90, UTC), True), 91.0)],
    ids=["seconds", "absent", "http-date"],
)
def test_secondary_limit_honours_retry_after_or_waits_a_minute(wire, retry_after, expected):
    client, adapter, clock = wire()
    headers = {"retry_after": retry_after} if retry_after else {}
    adapter.answer(429, {"message": "You have exceeded a secondary rate limit."}, **headers)
    adapter.answer(200, [])
    with client.measure() as usage:
        client.get("/x")
    assert clock.sleeps == [expected] and usage.retries == 1


def test_repeated_secondary_limits_back_off_then_give_up(wire):
    client, adapter, clock = wire(max_retries=3, max_wait_seconds=3600)
    for _ in range(4):
        adapter.answer(403, {"message": "You have exceeded a secondary rate limit."})
    with pytest.raises(RateLimitError) as caught:
        client.get("/x")
    assert clock.sleeps == [60.0, 120.0, 240.0] and caught.value.kind == "secondary"


def test_a_reset_time_already_past_is_waited_briefly_then_reported_as_such(wire):
    """A spent budget whose reset is in the past (clocks disagree): short waits, then a
    stop that says why, not "longer than this run may wait"."""
    client, adapter, clock = wire(max_retries=2, max_wait_seconds=900)
    for _ in range(3):
        adapter.answer(403, {"message": "API rate limit exceeded"}, x_ratelimit_remaining="0",
                       x_ratelimit_reset=str(int(T0 - 3600)))  # fmt: skip
    with pytest.raises(RateLimitError, match="still limited after waiting as told 2 times"):
        client.get("/x")
    assert clock.sleeps == [1.0, 1.0]


def test_a_plain_403_is_a_refusal_not_a_rate_limit(wire):
    client, adapter, clock = wire()
    adapter.answer(403, {"message": "Must have admin rights to Repository."},
                   x_ratelimit_remaining="4000")  # fmt: skip
    with pytest.raises(StatusError, match="admin rights"):
        client.get("/x")
    assert clock.sleeps == []


def test_without_a_policy_only_retry_after_and_429_mean_slow_down(wire):
    """The default policy knows HTTP's convention, not GitHub's headers or API version."""
    client, adapter, clock = wire(policy=None, max_wait_seconds=600)
    adapter.answer(403, {"message": "API rate limit exceeded"}, x_ratelimit_remaining="0",
                   x_ratelimit_reset=str(int(T0 + 30)))  # fmt: skip
    with pytest.raises(StatusError):
        client.get("/x")
    assert clock.sleeps == [] and "X-GitHub-Api-Version" not in adapter.sent[0].headers
    adapter.answer(429, "<html>slow down</html>")
    adapter.answer(200, [])
    client.get("/y")
    assert clock.sleeps == [60.0] and client.budget("core") is None


def test_it_stops_at_the_reserve_instead_of_spending_the_last_points(wire):
    client, adapter, _ = wire(reserve=5, max_wait_seconds=600)
    adapter.answer(200, [], x_ratelimit_remaining="5", x_ratelimit_limit="60",
                   x_ratelimit_reset=str(int(T0 + 3000)))  # fmt: skip
    client.get("/x")
    with pytest.raises(RateLimitError) as caught:
        client.get("/y")
    assert caught.value.kind == "reserve" and len(adapter.sent) == 1


def test_it_slows_down_when_the_budget_runs_low(wire):
    client, adapter, clock = wire(reserve=5, max_wait_seconds=600)
    adapter.answer(200, [], x_ratelimit_remaining="9", x_ratelimit_limit="60",
                   x_ratelimit_reset=str(int(T0 + 400)))  # fmt: skip
    adapter.answer(200, [])
    client.get("/x")
    with client.measure() as usage:
        client.get("/y")
    assert clock.sleeps == [100.0]  # 400 s to the reset, 4 requests above the reserve
    assert usage.wait_seconds == 100.0


def test_an_unchanged_resource_costs_a_304_and_returns_the_stored_body(wire, tmp_path):
    cache = tmp_path / "cache" / "validators.json"
    client, adapter, _ = wire(token="tok-secret-1", cache_path=cache)
    adapter.answer(200, {"n": 1}, ETag='W/"abc"', Last_Modified="Tue, 17 Nov 2026 00:00:00 GMT")
    adapter.answer(304, None, ETag='W/"abc"')
    first = client.get("/x")
    client.flush()
    with client.measure() as usage:
        second = client.get("/x")
    assert second.json() == first.json() == {"n": 1} and second.from_cache
    assert adapter.sent[1].headers["If-None-Match"] == 'W/"abc"'
    assert adapter.sent[1].headers["If-Modified-Since"] == "Tue, 17 Nov 2026 00:00:00 GMT"
    assert usage.not_modified == 1
    text = cache.read_text()
    assert '"body"' in text and "tok-secret-1" not in text and "Authorization" not in text
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_a_304_whose_stored_body_is_lost_is_asked_again_in_full(wire, tmp_path):
    cache = tmp_path / "validators.json"
    client, adapter, _ = wire(cache_path=cache)
    adapter.answer(200, {"n": 1}, ETag='"v1"')
    client.get("/x")
    client.flush()
    data = json.loads(cache.read_text())
    for entry in data["entries"].values():
        entry["body"] = None  # a damaged or trimmed cache
    cache.write_text(json.dumps(data))
    client2, adapter2, _ = wire(cache_path=cache)
    adapter2.answer(304, None, ETag='"v1"').answer(200, {"n": 2}, ETag='"v2"')
    assert client2.get("/x").json() == {"n": 2}
    assert "If-None-Match" in adapter2.sent[0].headers
    assert "If-None-Match" not in adapter2.sent[1].headers


def test_a_damaged_validator_cache_is_set_aside_not_fatal(wire, tmp_path, caplog):
    cache = tmp_path / "validators.json"
    cache.write_text("{not json")
    client, adapter, _ = wire(cache_path=cache)
    adapter.answer(200, [1], ETag='"e"')
    with caplog.at_level(logging.WARNING):
        assert client.get("/x").json() == [1]
    assert "could not be read" in caplog.text
    assert (tmp_path / "validators.json.damaged").exists()
    assert "If-None-Match" not in adapter.sent[0].headers


def test_pagination_follows_next_links_on_the_api_host_only(wire):
    client, adapter, _ = wire()
    adapter.answer(200, [1, 2], Link=f'<{API}/repositories/7/items?page=2>; rel="next"')
    adapter.answer(200, [3], Link='<https://elsewhere.test/items?page=3>; rel="next"')
    pager = client.pages("/items")
    pages = []
    with pytest.raises(UnsafeUrlError, match="another host"):
        for page in pager:
            pages.append(page.json_list())
    assert pages == [[1, 2], [3]]
    assert [s.url for s in adapter.sent] == [f"{API}/items", f"{API}/repositories/7/items?page=2"]


def test_pagination_stops_at_max_pages_and_says_it_was_cut(wire):
    client, adapter, _ = wire()
    adapter.answer(200, [1], Link=f'<{API}/items?page=2>; rel="next"')
    pager = client.pages("/items", max_pages=1)
    assert [p.json_list() for p in pager] == [[1]]
    assert pager.truncated


def test_a_permanent_redirect_on_the_api_host_is_followed_and_recorded(wire):
    client, adapter, _ = wire()
    adapter.answer(301, {"message": "Moved Permanently"}, Location=f"{API}/repositories/9")
    adapter.answer(200, {"full_name": "new/name"})
    with client.measure() as usage:
        response = client.get("/repos/old/name")
    assert response.json() == {"full_name": "new/name"}
    assert [(r.status, r.to_url) for r in response.redirects] == [(301, f"{API}/repositories/9")]
    assert len(usage.redirects) == 1


def test_a_redirect_to_another_host_is_refused(wire):
    client, adapter, _ = wire(token="tok-xyz")
    adapter.answer(302, None, Location="https://collector.evil.test/steal")
    with pytest.raises(UnsafeUrlError) as caught:
        client.get("/x")
    assert len(adapter.sent) == 1 and "tok-xyz" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "headers", "method", "words"),
    [
        (b"<html>Sign in</html>", {"Content-Type": "text/html"}, "json", "HTML page"),
        (b'[{"a": 1}, {"a" 2}]', {"Content-Type": "application/json"}, "json", "broken"),
        (b'{"message": "Oops"}', {"Content-Type": "application/json"}, "json_list", "'Oops'"),
    ],
    ids=["html", "broken", "object-for-list"],
)
def test_answers_that_are_not_the_json_asked_for_are_named(wire, body, headers, method, words):
    client, adapter, _ = wire()
    adapter.answer(200, body, **headers)
    with pytest.raises(ResponseFormatError, match=words):
        getattr(client.get("/x"), method)()


def test_connection_errors_are_retried_then_reported_in_plain_words(wire):
    client, adapter, _ = wire(max_retries=2)
    adapter.fail(requests.ConnectionError("Connection reset by peer"))
    adapter.answer(200, [1])
    assert client.get("/x").json() == [1]
    for _ in range(3):
        adapter.fail(requests.ReadTimeout("read timed out"))
    with pytest.raises(TransportError, match="timed out"):
        client.get("/y")


def test_202_means_ask_again_later_until_it_is_ready(wire):
    client, adapter, clock = wire()
    adapter.answer(202, {}).answer(202, {}).answer(200, [5])
    assert client.get_when_ready("/stats", attempts=4, first_delay=2.0).json_list() == [5]
    assert clock.sleeps == [2.0, 4.0]
    for _ in range(3):
        adapter.answer(202, {})
    assert client.get_when_ready("/stats", attempts=3).status == 202


def test_a_slow_answer_times_out_and_the_retry_succeeds(github_server, fake_clock, cache_file):
    github_server.fail(r"^/repos/octo-org/alpha$", Fault.slow(0.6))
    client = client_for(github_server, fake_clock, cache_file, read_timeout=0.2)
    with client.measure() as usage:
        data = client.get("/repos/octo-org/alpha").json_object()
    assert data["full_name"] == "octo-org/alpha" and usage.retries == 1
    client.close()


def test_a_reset_connection_is_retried_on_a_real_socket(github_server, fake_clock, cache_file):
    github_server.fail(r"^/repos/octo-org/beta$", Fault.connection_reset(), times=2)
    client = client_for(github_server, fake_clock, cache_file)
    with client.measure() as usage:
        assert client.get("/repos/octo-org/beta").json_object()["full_name"] == "octo-org/beta"
    assert usage.retries == 2 and usage.requests == 3
    client.close()
