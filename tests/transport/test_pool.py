"""The default engines' connection pool (max_connections, max_keepalive, keepalive_expiry) and the SDK's User-Agent,
over a real loopback server, on asyncio (aiohttp, and httpcore when forced), trio (httpcore) and the sync client."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import anyio
import httpx
import pytest

import pandapon
from pandapon import AsyncPandaPon, ConfigurationError, PandaPon
from tests.helpers import CREDS, Recorder, envelope, ok, serve_asgi

pytestmark = pytest.mark.loopback

BODY = json.dumps(envelope(True)).encode()


class Watch:
    """An ASGI app answering every request after ``delay`` seconds; it records the client ports (one per
    connection), the most requests in flight at once, and each request's User-Agent."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.ports: list[int] = []
        self.agents: list[str] = []
        self.in_flight = 0
        self.most = 0

    def reset(self, delay: float = 0.0) -> None:
        self.delay, self.ports, self.agents, self.in_flight, self.most = delay, [], [], 0, 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.ports.append(scope["client"][1])
        headers = dict(scope["headers"])
        self.agents.append(headers.get(b"user-agent", b"").decode())
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            while (await receive()).get("more_body"):
                pass
            if self.delay:
                import asyncio

                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": BODY})


@pytest.fixture(scope="module")
def watched() -> Iterator[tuple[Watch, str]]:
    app = Watch()
    with serve_asgi(app) as url:
        yield app, url


async def concurrent_calls(client: AsyncPandaPon, n: int) -> None:
    """``n`` update_warehouse calls started at once on ``client``."""
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(client.taobao.orders.update_warehouse, "1", "w", "a")


ENGINES = [
    pytest.param("asyncio", "auto", "aiohttp", id="asyncio-aiohttp"),
    pytest.param("asyncio", "httpcore", "httpx", id="asyncio-httpcore"),
    pytest.param("trio", "auto", "httpx", id="trio-httpcore"),
]


def _engine_version(name: str) -> str:
    return aiohttp.__version__ if name == "aiohttp" else httpx.__version__


def _python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize(("backend", "choice", "engine"), ENGINES)
def test_max_connections_caps_the_connections_in_use(
    backend: str, choice: str, engine: str, watched: tuple[Watch, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = watched
    app.reset(delay=0.15)
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)

    async def main() -> None:
        async with AsyncPandaPon(**CREDS, base_url=url, max_connections=3) as client:
            await concurrent_calls(client, 12)

    anyio.run(main, backend=backend)
    assert len(app.ports) == 12
    assert app.most == 3, f"12 concurrent calls with max_connections=3 had {app.most} requests in flight at once"
    assert len(set(app.ports)) == 3, f"expected 3 connections reused, saw {len(set(app.ports))}"
    expected = f"pandapon/{pandapon.__version__} (python {_python()}; {engine}/{_engine_version(engine)})"
    assert set(app.agents) == {expected}


@pytest.mark.parametrize(("backend", "choice", "engine"), ENGINES)
def test_keepalive_reuses_one_connection_and_max_keepalive_0_turns_it_off(
    backend: str, choice: str, engine: str, watched: tuple[Watch, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = watched
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)

    async def sequential(**options: Any) -> None:
        async with AsyncPandaPon(**CREDS, base_url=url, **options) as client:
            for _ in range(5):
                assert await client.taobao.orders.update_warehouse("1", "w", "a") is True

    app.reset()
    anyio.run(sequential, backend=backend)
    assert len(set(app.ports)) == 1, "five sequential calls should share one kept-alive connection"
    app.reset()
    anyio.run(lambda: sequential(max_keepalive=0), backend=backend)
    assert len(set(app.ports)) == 5, "max_keepalive=0 should open a connection per call"


@pytest.mark.parametrize(("backend", "choice"), [("asyncio", "auto"), ("asyncio", "httpcore"), ("trio", "auto")])
def test_an_expired_idle_connection_is_not_reused(
    backend: str, choice: str, watched: tuple[Watch, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = watched
    app.reset()
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)

    async def main() -> None:
        async with AsyncPandaPon(**CREDS, base_url=url, keepalive_expiry=0.2) as client:
            await client.taobao.orders.update_warehouse("1", "w", "a")
            await client.taobao.orders.update_warehouse("1", "w", "a")
            await anyio.sleep(1.2)  # aiohttp checks expiry on a timer (up to a second late)
            await client.taobao.orders.update_warehouse("1", "w", "a")

    anyio.run(main, backend=backend)
    assert app.ports[0] == app.ports[1]
    assert app.ports[2] != app.ports[1]


def test_the_sync_client_honours_the_pool_and_sends_the_user_agent(watched: tuple[Watch, str]) -> None:
    app, url = watched
    app.reset(delay=0.15)
    with PandaPon(**CREDS, base_url=url, max_connections=2) as client:
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: client.taobao.orders.update_warehouse("1", "w", "a"), range(8)))
    assert results == [True] * 8
    assert app.most == 2
    assert len(set(app.ports)) == 2
    assert app.agents[0].startswith(f"pandapon/{pandapon.__version__} (python {_python()}; aiohttp/")


@pytest.mark.anyio
async def test_default_headers_replace_the_user_agent_and_add_headers() -> None:
    recorder = Recorder(lambda request: ok())
    async with AsyncPandaPon(
        **CREDS,
        base_url="http://pp.test",
        transport=httpx.MockTransport(recorder),
        default_headers={"User-Agent": "my-service/2.1", "X-Team": "ops"},
    ) as client:
        await client.taobao.orders.update_warehouse("1", "w", "a")
        request = recorder.requests[-1]
        assert request.headers["user-agent"] == "my-service/2.1"
        assert request.headers["x-team"] == "ops"
        assert request.headers["content-type"] == "application/json"
        plain = client.with_options(default_headers=None)
        await plain.taobao.orders.update_warehouse("1", "w", "a")
        assert recorder.requests[-1].headers["user-agent"] == (
            f"pandapon/{pandapon.__version__} (python {_python()}; httpx/{httpx.__version__})"
        )
        assert "x-team" not in recorder.requests[-1].headers


@pytest.mark.anyio
async def test_the_user_agent_goes_through_a_callers_http_client() -> None:
    recorder = Recorder(lambda request: ok())
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http,
        AsyncPandaPon(**CREDS, base_url="http://pp.test", http_client=http) as client,
    ):
        await client.taobao.orders.update_warehouse("1", "w", "a")
    assert recorder.requests[-1].headers["user-agent"].startswith(f"pandapon/{pandapon.__version__} ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_connections": 0}, "max_connections must be a positive int or None, got 0"),
        ({"max_connections": True}, "max_connections must be a positive int or None, got True"),
        ({"max_keepalive": -1}, "max_keepalive must be a non-negative int or None, got -1"),
        ({"keepalive_expiry": "5"}, "keepalive_expiry must be non-negative seconds, got '5'"),
        ({"default_headers": [("a", "b")]}, "default_headers must be a mapping of str to str, got list"),
        ({"default_headers": {"x-n": 1}}, "default_headers must map str to str, got 'x-n': 1"),
    ],
)
def test_bad_pool_and_header_options_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        AsyncPandaPon(**CREDS, **options)
    assert str(info.value) == message
    with pytest.raises(ConfigurationError):
        PandaPon(**CREDS, **options)


def test_pool_options_with_a_transport_of_ones_own_are_refused() -> None:
    mock = httpx.MockTransport(Recorder(lambda request: ok()))
    with pytest.raises(
        ConfigurationError, match=r"max_connections configure the default connection pool .* transport="
    ):
        AsyncPandaPon(**CREDS, transport=mock, max_connections=10)
    client = AsyncPandaPon(**CREDS, transport=mock)
    with pytest.raises(ConfigurationError, match=r"keepalive_expiry .* transport="):
        client.with_options(keepalive_expiry=1.0)
    pooled = AsyncPandaPon(**CREDS, max_connections=10)
    with pytest.raises(ConfigurationError, match="http_client="):
        pooled.with_options(http_client=httpx.AsyncClient(), max_keepalive=1)
    assert pooled.with_options(max_connections=20).options.max_connections == 20


@pytest.mark.anyio
async def test_aiohttp_transport_is_public_and_takes_the_pool_settings(
    anyio_backend: str, watched: tuple[Watch, str]
) -> None:
    if anyio_backend == "trio":
        pytest.skip("aiohttp runs on asyncio only")
    app, url = watched
    app.reset(delay=0.1)
    transport = pandapon.AiohttpTransport(max_connections=2)
    assert "max_connections=2" in repr(transport)
    async with AsyncPandaPon(**CREDS, base_url=url, transport=transport) as client:
        await concurrent_calls(client, 6)
    assert app.most == 2


@pytest.mark.parametrize(
    ("backend", "choice", "cap"),
    [("asyncio", "auto", 20), ("asyncio", "httpcore", 16), ("trio", "auto", 16)],
    ids=["aiohttp-100", "asyncio-httpcore-16", "trio-httpcore-16"],
)
def test_the_default_pool_size_depends_on_the_engine(
    backend: str, choice: str, cap: int, watched: tuple[Watch, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's default pool (100) lets 20 calls run at once; httpcore's (16, see HTTPCORE_MAX_CONNECTIONS) does not."""
    app, url = watched
    app.reset(delay=0.2)
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)

    async def main() -> None:
        async with AsyncPandaPon(**CREDS, base_url=url) as client:
            assert client.options.max_connections is None
            await concurrent_calls(client, 20)

    anyio.run(main, backend=backend)
    assert app.most == cap


class Headers:
    """An ASGI app that records each request's headers."""

    def __init__(self) -> None:
        self.seen: list[dict[bytes, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.seen.append(dict(scope["headers"]))
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": BODY})


@pytest.mark.parametrize(
    ("headers", "content", "expected"),
    [
        ({"content-type": "application/json"}, b"{}", b"application/json"),  # the SDK's bodies: theirs, as is
        ({}, b"{}", None),  # a body without one (a custom signer dropped it): aiohttp adds none of its own
        ({}, None, None),  # no body, no Content-Type
    ],
)
def test_the_aiohttp_engine_sends_only_the_content_type_it_was_given(
    headers: dict[str, str], content: bytes | None, expected: bytes | None
) -> None:
    from pandapon import AiohttpTransport
    from pandapon._wire import Prepared

    app = Headers()

    async def main(url: str) -> None:
        transport = AiohttpTransport()
        try:
            method = "POST" if content is not None else "GET"
            answer = await transport.send(Prepared(method, httpx.URL(url + "/x"), dict(headers), content, {}))
            assert answer.status == 200
        finally:
            await transport.aclose()

    with serve_asgi(app) as url:
        anyio.run(main, url)
    assert app.seen[-1].get(b"content-type") == expected
