"""Per-call options (issue 15, item 7): ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
``deadline`` and ``max_retries`` on every generated method and ``client.request``, async and sync, asyncio and trio.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

import pandapon._pipeline._pipeline as pipeline_module
from pandapon import (
    APIResponseError,
    APITimeoutError,
    AsyncPandaPon,
    ConfigurationError,
    InvalidInputError,
    PandaPon,
    RetryPolicy,
)
from tests.helpers import CREDS, Recorder, envelope, ok, serve_asgi

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(base=0.001, cap=0.002, max_retry_after=5.0)
ORDER = "1024285237573584051"


@pytest.fixture(params=["async", "sync"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def run(mode: str, backend: str, fn: Callable[[Any], Any], **kw: Any) -> Any:
    """``fn(client)`` on an ``AsyncPandaPon`` (awaited) or a ``PandaPon`` on ``backend`` (in a worker thread)."""
    kw = {**CREDS, "base_url": "http://pp.test", **kw}
    if mode == "async":
        async with AsyncPandaPon(**kw) as client:
            return await fn(client)

    def work() -> Any:
        with PandaPon(**kw, backend=backend) as client:  # type: ignore[arg-type]
            return fn(client)

    return await anyio.to_thread.run_sync(work)


# ------------------------------------------------------------------ the extra_* values on the wire


async def test_extra_values_are_merged_over_the_typed_fields_on_the_wire(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok(True))
    result = await run(
        mode,
        anyio_backend,
        lambda c: c.taobao.orders.update_warehouse(
            ORDER,
            "一号仓库",
            "广西省",
            extra_headers={"X-Trace": "t-1", "User-Agent": "mine/1", "X-Team": "call"},
            extra_query={"debug": True, "dropped": None},
            extra_body={"warehouseName": "二号仓库", "priority": 1},  # a wire name: it replaces name="一号仓库"
        ),
        transport=rec.transport(),
        default_headers={"X-Team": "client", "X-Env": "test"},
    )
    assert result is True
    [request] = rec.requests
    body = json.loads(request.content)
    assert body == {"orderId": ORDER, "warehouseName": "二号仓库", "warehouseAddress": "广西省", "priority": 1}
    assert dict(request.url.params) == {"debug": "true"}  # a None value is left out
    headers = request.headers
    assert (headers["x-trace"], headers["user-agent"], headers["x-env"]) == ("t-1", "mine/1", "test")
    assert headers["x-team"] == "call"  # extra_headers win over default_headers
    assert headers["content-type"] == "application/json"
    assert headers["access-key"] == CREDS["access_key"] and len(headers["signature"]) == 32  # still signed


async def test_extra_query_goes_after_the_typed_query_and_wins(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok({"itemId": 1}))
    await run(
        mode,
        anyio_backend,
        lambda c: c.taobao.products.get("672991141190", extra_query={"itemId": "1", "lang": "vi"}),
        transport=rec.transport(),
    )
    assert dict(rec.requests[0].url.params) == {"itemId": "1", "lang": "vi"}


async def test_client_request_takes_the_same_options(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok(True))
    await run(
        mode,
        anyio_backend,
        lambda c: c.request(
            "POST", "/open/x", params={"a": 1}, extra_query={"b": 2}, extra_body={"k": "v"}, extra_headers={"X-A": "1"}
        ),
        transport=rec.transport(),
    )
    request = rec.requests[0]
    assert json.loads(request.content) == {"k": "v"}  # no json=: extra_body is the body
    assert request.headers["content-type"] == "application/json"
    assert dict(request.url.params) == {"a": "1", "b": "2"}
    assert request.headers["x-a"] == "1"


async def test_a_call_without_options_takes_none_of_their_code(mode: str, anyio_backend: str) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("per_call ran for a call without per-call options")

    rec = Recorder(ok(True))
    original = pipeline_module.per_call
    pipeline_module.per_call = refuse  # type: ignore[assignment]
    try:
        assert await run(
            mode, anyio_backend, lambda c: c.taobao.orders.update_warehouse(ORDER, "w", "a"), transport=rec.transport()
        )
        with pytest.raises(AssertionError, match="per_call ran"):
            await run(
                mode,
                anyio_backend,
                lambda c: c.taobao.orders.update_warehouse(ORDER, "w", "a", max_retries=0),
                transport=rec.transport(),
            )
    finally:
        pipeline_module.per_call = original


# ------------------------------------------------------------------ what may not be set


@pytest.mark.parametrize(
    "name", ["access-key", "Signature", "TIMESTAMP", "nonce-str", "user-id", "Host", "content-length"]
)
async def test_the_signature_and_transport_headers_cannot_be_set(mode: str, anyio_backend: str, name: str) -> None:
    rec = Recorder(ok(True))
    with pytest.raises(InvalidInputError, match=f"extra_headers may not set {name!r}") as info:
        await run(
            mode,
            anyio_backend,
            lambda c: c.taobao.orders.update_warehouse(ORDER, "w", "a", extra_headers={name: "x"}),
            transport=rec.transport(),
        )
    assert info.value.parameter == "extra_headers"
    assert rec.requests == []


def test_default_headers_cannot_set_a_signature_header_either() -> None:
    with pytest.raises(ConfigurationError, match="default_headers may not set 'Signature'"):
        AsyncPandaPon(**CREDS, default_headers={"Signature": "x"})
    with pytest.raises(ConfigurationError, match="default_headers may not set 'user-id'"):
        PandaPon(**CREDS).with_options(default_headers={"user-id": "x"})


async def test_extra_query_cannot_set_the_query_signature(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok(True))
    with pytest.raises(InvalidInputError, match=r"extra_query may not set \['sign'\]") as info:
        await run(
            mode,
            anyio_backend,
            lambda c: c.request("POST", "/open/pp/logistics/x", json={}, auth="query-sign", extra_query={"sign": "x"}),
            transport=rec.transport(),
        )
    assert info.value.parameter == "extra_query"
    assert rec.requests == []


async def test_extra_body_needs_a_request_with_a_json_body(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok(True))
    for fn in (
        lambda c: c.taobao.products.get("672991141190", extra_body={"x": 1}),  # GET, query
        lambda c: c.taobao.refunds.cancel("110000000001", extra_body={"x": 1}),  # GET, path
        lambda c: c.request("GET", "/open/x", extra_body={"x": 1}),
    ):
        with pytest.raises(
            InvalidInputError, match=r"extra_body needs a request with a JSON body.*use extra_query"
        ) as info:
            await run(mode, anyio_backend, fn, transport=rec.transport())
        assert info.value.parameter == "extra_body"
    assert rec.requests == []


BAD = [
    ("extra_headers", [("a", "b")], "extra_headers must be a mapping"),
    ("extra_headers", {"a": 1}, "extra_headers must be a mapping of header names to str values"),
    ("extra_headers", {"a": "b\r\nx-evil: 1"}, "extra_headers must be a mapping of header names to str values"),
    ("extra_query", "a=1", "extra_query must be a mapping"),
    ("extra_body", [1, 2], "extra_body must be a mapping"),
    ("extra_body", {1: "x"}, "extra_body must be a mapping of non-empty str names"),
    ("timeout", "5", "timeout must be positive seconds, an httpx.Timeout or None"),
    ("timeout", 0, "timeout must be positive seconds"),
    ("timeout", True, "timeout must be positive seconds"),
    ("deadline", -1, "deadline must be positive seconds or None"),
    ("deadline", "1", "deadline must be positive seconds or None"),
    ("max_retries", -1, "max_retries must be a non-negative int"),
    ("max_retries", 1.5, "max_retries must be a non-negative int"),
    ("max_retries", True, "max_retries must be a non-negative int"),
    ("max_retries", None, "max_retries must be a non-negative int"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
async def test_bad_option_types_are_refused_naming_the_parameter(
    mode: str, anyio_backend: str, name: str, value: object, message: str
) -> None:
    rec = Recorder(ok(True))
    with pytest.raises(InvalidInputError, match=message) as info:
        await run(
            mode,
            anyio_backend,
            lambda c: c.taobao.orders.update_warehouse(ORDER, "w", "a", **{name: value}),
            transport=rec.transport(),
        )
    assert info.value.parameter == name
    assert str(info.value).startswith("taobao.orders.update_warehouse(): ")
    assert rec.requests == []


async def test_a_misspelt_option_is_refused_not_ignored(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok(True))
    with pytest.raises(InvalidInputError, match="unexpected keyword argument 'timout'; did you mean 'timeout'") as info:
        await run(
            mode,
            anyio_backend,
            lambda c: c.taobao.orders.update_warehouse(ORDER, "w", "a", timout=1),
            transport=rec.transport(),
        )
    assert info.value.parameter == "timout"
    assert rec.requests == []


# ------------------------------------------------------------------ timeout, deadline and max_retries for one call


async def test_per_call_timeout_reaches_the_transport_and_the_next_call_has_the_clients(
    mode: str, anyio_backend: str
) -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return ok(True)

    def calls(c: Any) -> Any:
        if mode == "sync":
            c.taobao.orders.update_warehouse(ORDER, "w", "a", timeout=httpx.Timeout(2.0, connect=0.5))
            c.taobao.orders.update_warehouse(ORDER, "w", "a", timeout=None)
            return c.taobao.orders.update_warehouse(ORDER, "w", "a")

        async def go() -> Any:
            await c.taobao.orders.update_warehouse(ORDER, "w", "a", timeout=httpx.Timeout(2.0, connect=0.5))
            await c.taobao.orders.update_warehouse(ORDER, "w", "a", timeout=None)
            return await c.taobao.orders.update_warehouse(ORDER, "w", "a")

        return go()

    await run(mode, anyio_backend, calls, transport=httpx.MockTransport(handler), timeout=7.0)
    assert seen[0] == {"connect": 0.5, "read": 2.0, "write": 2.0, "pool": 2.0}
    assert seen[1] == {"connect": None, "read": None, "write": None, "pool": None}
    assert seen[2] == {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}


async def test_per_call_deadline_cuts_the_attempts_timeouts(mode: str, anyio_backend: str) -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return ok(True)

    await run(
        mode,
        anyio_backend,
        lambda c: c.taobao.orders.update_warehouse(ORDER, "w", "a", deadline=0.5),
        transport=httpx.MockTransport(handler),
    )
    assert all(0 < v <= 0.5 for v in seen[0].values() if v is not None)


async def test_per_call_deadline_ends_the_retries(mode: str, anyio_backend: str) -> None:
    rec = Recorder(httpx.Response(503))
    with pytest.raises(APIResponseError):
        await run(
            mode,
            anyio_backend,
            lambda c: c.request("GET", "/open/x", deadline=0.3),
            transport=rec.transport(),
            max_retries=50,
            retry_policy=RetryPolicy(base=0.1, cap=0.1),
        )
    assert 1 <= len(rec.requests) < 10  # 51 attempts without the deadline


async def test_per_call_deadline_none_lifts_the_clients(mode: str, anyio_backend: str) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.2)
        return ok(True)

    transport = httpx.MockTransport(slow)
    with pytest.raises(APITimeoutError, match=r"deadline of 0\.05s"):
        await run(mode, anyio_backend, lambda c: c.request("GET", "/open/x"), transport=transport, deadline=0.05)
    result = await run(
        mode, anyio_backend, lambda c: c.request("GET", "/open/x", deadline=None), transport=transport, deadline=0.05
    )
    assert result is True


@pytest.mark.parametrize(("client", "call", "sent"), [(3, 0, 1), (3, 1, 2), (0, 2, 3)])
async def test_per_call_max_retries(mode: str, anyio_backend: str, client: int, call: int, sent: int) -> None:
    rec = Recorder(httpx.Response(503))
    with pytest.raises(APIResponseError):
        await run(
            mode,
            anyio_backend,
            lambda c: c.taobao.products.get("672991141190", max_retries=call),
            transport=rec.transport(),
            max_retries=client,
            retry_policy=FAST,
        )
    assert len(rec.requests) == sent


# ------------------------------------------------------------------ a real timeout over loopback


async def _slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await anyio.sleep(0.6)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(envelope(True)).encode()})


@pytest.fixture(scope="module")
def slow_url() -> Iterator[str]:
    with serve_asgi(_slow_app) as url:
        yield url


@pytest.mark.loopback
async def test_per_call_timeout_takes_effect_on_a_real_connection(mode: str, anyio_backend: str, slow_url: str) -> None:
    kw: dict[str, Any] = {"base_url": slow_url, "max_retries": 0}
    # The server answers after 0.6 s: under the client's 5 s the call succeeds, so a timeout error can only come from
    # the per-call 0.2 s (no wall-clock assertion: these machines are shared and a loaded run is slow).
    with pytest.raises(APITimeoutError):
        await run(mode, anyio_backend, lambda c: c.request("GET", "/open/x", timeout=0.2), timeout=5.0, **kw)
    assert await run(mode, anyio_backend, lambda c: c.request("GET", "/open/x", timeout=None), timeout=0.2, **kw)
