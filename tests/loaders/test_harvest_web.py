"""The shared HTTP client of the remote loaders, against a real server on 127.0.0.1:
User-Agent, retries with backoff, Retry-After, timeouts, size cap, conditional requests and
the polite interval between requests to one host."""

from __future__ import annotations

import doctest
import socket

import pytest

import loaders.web_sources
from loaders.web_sources import FetchPolicy, RemoteError, Validators, WebClient, user_agent
from tests.loaders.harvest_server import FixtureServer, Reply, conditional, sequence

AGENT = user_agent("http://testserver/")


class Waits:
    """Records the waits the client asks for; the clock moves only when it waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def waits() -> Waits:
    return Waits()


def client(waits: Waits, **policy: float) -> WebClient:
    values = {"timeout": 2.0, "retries": 2, "backoff": 0.5, "min_interval": 0.0}
    values.update(policy)
    return WebClient(AGENT, FetchPolicy(**values), sleep=waits.sleep,  # type: ignore[arg-type]
                     clock=waits.clock)


def test_doctests() -> None:
    result = doctest.testmod(loaders.web_sources)
    assert result.attempted > 0 and result.failed == 0


def test_user_agent_names_product_version_and_base(server: FixtureServer, waits: Waits) -> None:
    server.on("/data", lambda r: Reply(200, b"ok", {"Content-Type": "text/plain"}))
    with client(waits) as web:
        answer = web.get(server.url + "/data", accept="text/plain")
    assert answer.body == b"ok" and answer.status == 200
    seen = server.seen("/data")[0].headers
    assert seen["user-agent"] == AGENT
    assert AGENT.startswith("smartregion/") and AGENT.endswith("(+http://testserver/)")
    assert seen["accept"] == "text/plain"
    assert "if-none-match" not in seen and "if-modified-since" not in seen


def test_500_then_success_is_retried_with_backoff(server: FixtureServer, waits: Waits) -> None:
    server.on("/flaky", sequence(Reply(500, b"boom"), Reply(502, b"gateway"),
                                 Reply(200, b"fine", {"Content-Type": "text/plain"})))
    with client(waits, retries=3, backoff=0.5) as web:
        answer = web.get(server.url + "/flaky", accept="text/plain")
    assert answer.body == b"fine"
    assert len(server.seen("/flaky")) == 3
    assert waits.waits == [0.5, 1.0]  # exponential: backoff, then doubled


def test_retry_after_is_honoured(server: FixtureServer, waits: Waits) -> None:
    server.on("/busy", sequence(Reply(503, b"", {"Retry-After": "7"}),
                                Reply(429, b"", {"Retry-After": "3"}),
                                Reply(200, b"done", {"Content-Type": "text/plain"})))
    with client(waits, retries=3) as web:
        assert web.get(server.url + "/busy", accept="text/plain").body == b"done"
    assert waits.waits == [7.0, 3.0]


def test_retry_after_beyond_the_limit_is_not_waited_for(
    server: FixtureServer, waits: Waits
) -> None:
    server.on("/later", lambda r: Reply(429, b"slow down", {"Retry-After": "3600"}))
    with client(waits, retries=3, max_wait=60) as web, pytest.raises(RemoteError) as caught:
        web.get(server.url + "/later", accept="text/plain")
    assert caught.value.location == server.url + "/later"
    assert caught.value.rule == "retry-after"
    assert "HTTP 429" in caught.value.message and "3600" in caught.value.message
    assert len(server.seen("/later")) == 1 and waits.waits == []


def test_persistent_500_names_url_status_and_attempts(server: FixtureServer, waits: Waits) -> None:
    server.on("/down", lambda r: Reply(500, b"Internal error: database unavailable"))
    with client(waits, retries=2) as web, pytest.raises(RemoteError) as caught:
        web.get(server.url + "/down", accept="text/plain")
    error = caught.value
    assert error.exit_code == 2 and error.location == server.url + "/down"
    assert "HTTP 500" in error.message and "database unavailable" in error.message
    assert "3 attempts" in error.message
    assert len(server.seen("/down")) == 3


def test_client_errors_are_not_retried(server: FixtureServer, waits: Waits) -> None:
    with client(waits) as web, pytest.raises(RemoteError) as caught:
        web.get(server.url + "/missing", accept="text/plain")
    assert "HTTP 404" in caught.value.message
    assert len(server.seen("/missing")) == 1


def test_timeout_is_retried_then_reported(server: FixtureServer, waits: Waits) -> None:
    server.on("/slow", lambda r: Reply(200, b"late", delay=5.0))
    with client(waits, timeout=0.3, retries=1) as web, pytest.raises(RemoteError) as caught:
        web.get(server.url + "/slow", accept="text/plain")
    assert caught.value.rule == "timeout"
    assert caught.value.location == server.url + "/slow"
    assert "0.3 s" in caught.value.message and "2 attempts" in caught.value.message
    assert len(server.seen("/slow")) == 2


def test_unreachable_host_is_reported(waits: Waits) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/catalog.ttl"
    with client(waits, retries=1) as web, pytest.raises(RemoteError) as caught:
        web.get(url, accept="text/turtle")
    assert caught.value.location == url and caught.value.rule == "connection"
    assert "refused" in caught.value.message.lower()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_answers_over_the_size_cap_are_refused(
    server: FixtureServer, waits: Waits, chunked: bool
) -> None:
    server.on("/big", lambda r: Reply(200, b"x" * 20_000, {"Content-Type": "text/plain"},
                                      chunked=chunked))
    with client(waits, max_bytes=10_000) as web, pytest.raises(RemoteError) as caught:
        web.get(server.url + "/big", accept="text/plain")
    assert caught.value.rule == "too-large" and "10000" in caught.value.message
    assert len(server.seen("/big")) == 1


def test_conditional_request_and_304(server: FixtureServer, waits: Waits) -> None:
    server.on("/cat.ttl", conditional(b"<a> <b> <c> .", "text/turtle"))
    with client(waits) as web:
        first = web.get(server.url + "/cat.ttl", accept="text/turtle")
        assert first.status == 200 and first.etag and first.last_modified
        second = web.get(server.url + "/cat.ttl", accept="text/turtle",
                         validators=first.validators)
    assert second.not_modified and second.body == b""
    sent = server.seen("/cat.ttl")[1].headers
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == first.last_modified


def test_validators_headers() -> None:
    assert Validators().headers() == {} and not Validators()
    assert Validators('"x"', None).headers() == {"If-None-Match": '"x"'}


def test_requests_to_one_host_are_paced(server: FixtureServer, waits: Waits) -> None:
    server.on("/a", lambda r: Reply(200, b"a", {"Content-Type": "text/plain"}))
    other = server.url.replace("127.0.0.1", "localhost")
    with client(waits, min_interval=1.5) as web:
        web.get(server.url + "/a", accept="text/plain")
        web.get(server.url + "/a", accept="text/plain")
        web.get(other + "/a", accept="text/plain")  # another host name: no wait
        assert waits.waits == [1.5]
        waits.now += 5.0  # time passed: no wait needed
        web.get(server.url + "/a", accept="text/plain")
    assert waits.waits == [1.5]
    assert len(server.seen("/a")) == 4


def test_policy_from_config_rejects_mistakes() -> None:
    assert FetchPolicy.from_mapping({"timeout": 5, "retries": 1}, "x").timeout == 5.0
    with pytest.raises(Exception, match="unknown fetch setting 'timout'"):
        FetchPolicy.from_mapping({"timout": 5}, "harvest.toml")
    with pytest.raises(Exception, match="retries must be a non-negative int"):
        FetchPolicy.from_mapping({"retries": 1.5}, "harvest.toml")
    with pytest.raises(Exception, match="must be a number"):
        FetchPolicy.from_mapping({"timeout": "5"}, "harvest.toml")
