"""``with_options`` takes every constructor option on both clients and shares what the changes leave alone
(issue 15, item 7): the connection pool unless a transport or pool option changes, the signers unless a credential
or signing option changes, the limiter unless ``rate_limiter`` changes. A twin closes only what it made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from pandapon import (
    APIResponseError,
    AsyncPandaPon,
    ClientClosedError,
    ConfigurationError,
    HeaderSigner,
    Observer,
    PandaPon,
    QuerySigner,
    RetryPolicy,
    TokenBucket,
)
from pandapon._options import OptionArgs
from tests.helpers import CREDS, Recorder, envelope, ok

OBSERVER = Observer()


def _hook(event: object) -> None:
    return None


POOL = {"transport", "http_client", "max_connections", "max_keepalive", "keepalive_expiry"}
SIGNING = {"access_key", "access_secret", "user_id", "timestamp_unit", "signer", "query_signer"}


def every_option() -> dict[str, Any]:
    """A valid value, different from the default, for every option of the constructors."""
    return {
        "access_key": "another-key-0123456789abcdef0123",
        "access_secret": "another-secret",
        "user_id": "2100000000002",
        "base_url": "http://other.test",
        "timeout": 3.0,
        "max_retries": 0,
        "deadline": 9.0,
        "signer": HeaderSigner("k", "s", "u"),
        "query_signer": QuerySigner("k", "s", "u"),
        "rate_limiter": TokenBucket(rate=100, burst=10),
        "http_client": httpx.AsyncClient(),
        "transport": httpx.MockTransport(lambda r: ok()),
        "max_connections": 7,
        "max_keepalive": 1,
        "keepalive_expiry": 1.5,
        "default_headers": {"X-Team": "ops"},
        "timestamp_unit": "ms",
        "success_codes": [200, 0, 1],
        "auth_codes": [401],
        "rate_limit_codes": [429, 430],
        "transient_codes": [503, 504],
        "path_overrides": {"addresses.get": "/open/address/list"},
        "endpoint_costs": {"taobao.products.get": 2.0},
        "retry_policy": RetryPolicy(base=0.01),
        "observers": [OBSERVER],
        "on_request": _hook,
        "on_response": _hook,
        "on_retry": _hook,
    }


def _same(a: object, b: object) -> bool:
    return a is b or a == b


def test_the_value_table_covers_every_option() -> None:
    assert set(every_option()) == set(OptionArgs.__annotations__)


@pytest.mark.parametrize("name", sorted(OptionArgs.__annotations__))
def test_async_with_options_takes_each_option_and_shares_the_rest(name: str) -> None:
    value = every_option()[name]
    parent = AsyncPandaPon(**CREDS)
    twin = parent.with_options(**{name: value})
    expected = AsyncPandaPon(**{**CREDS, name: value}).options
    assert _same(getattr(twin.options, name), getattr(expected, name))
    p, t = parent._pipeline, twin._pipeline
    assert (t._connection is p._connection) == (name not in POOL)
    assert t.owns_connection == (name in POOL)
    assert (t._signing is p._signing) == (name not in SIGNING)
    assert (t._limiter is p._limiter) == (name != "rate_limiter")


async def _pipeline_of(client: AsyncPandaPon) -> Any:
    return client._pipeline


@pytest.mark.parametrize("name", sorted(OptionArgs.__annotations__))
def test_sync_with_options_takes_each_option_and_shares_the_rest(name: str) -> None:
    value = every_option()[name]
    with PandaPon(**CREDS) as parent:
        twin = parent.with_options(**{name: value})
        assert _same(getattr(twin.options, name), getattr(PandaPon(**{**CREDS, name: value}).options, name))
        assert twin._runner is parent._runner
        p, t = parent._run(_pipeline_of), twin._run(_pipeline_of)
        assert (t._connection is p._connection) == (name not in POOL)
        assert (t._signing is p._signing) == (name not in SIGNING)
        assert (t._limiter is p._limiter) == (name != "rate_limiter")
        twin.close()  # closes only what the twin made
        assert parent._run(_pipeline_of)._connection.closed is False


# ------------------------------------------------------------------ the changes on the wire, async and sync


class Counter:
    """A limiter that records the costs it was asked for."""

    def __init__(self) -> None:
        self.costs: list[float] = []

    async def acquire(self, cost: float = 1) -> None:
        self.costs.append(cost)


@pytest.fixture(params=["async", "sync"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def twin_call(mode: str, backend: str, changes: dict[str, Any], fn: Callable[[Any], Any], **parent: Any) -> Any:
    """``fn(parent.with_options(**changes))`` on an ``AsyncPandaPon`` or a ``PandaPon`` (in a worker thread)."""
    kw = {**CREDS, "base_url": "http://pp.test", **parent}
    if mode == "async":
        async with AsyncPandaPon(**kw) as client:
            return await fn(client.with_options(**changes))

    def work() -> Any:
        with PandaPon(**kw, backend=backend) as client:  # type: ignore[arg-type]
            return fn(client.with_options(**changes))

    return await anyio.to_thread.run_sync(work)


GET = lambda c: c.taobao.products.get("672991141190")  # noqa: E731


@pytest.mark.anyio
async def test_the_twins_settings_reach_the_wire(mode: str, anyio_backend: str) -> None:
    rec = Recorder(ok({"itemId": 1}))
    limiter = Counter()
    changes = {
        "base_url": "http://other.test",
        "access_key": "another-key-0123456789abcdef0123",
        "user_id": "2100000000002",
        "timestamp_unit": "ms",
        "default_headers": {"X-Team": "ops"},
        "path_overrides": {"taobao.products.get": "/open/product/detail"},
        "rate_limiter": limiter,
        "endpoint_costs": {"taobao.products.get": 2.5},
    }
    await twin_call(mode, anyio_backend, changes, GET, transport=rec.transport())
    request = rec.requests[-1]
    assert str(request.url).startswith("http://other.test/open/product/detail?")
    assert request.headers["access-key"] == "another-key-0123456789abcdef0123"
    assert request.headers["user-id"] == "2100000000002"
    assert len(request.headers["timestamp"]) == 13
    assert request.headers["x-team"] == "ops"
    assert limiter.costs == [2.5]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("changes", "sent"),
    [
        ({"max_retries": 0}, 1),
        ({"max_retries": 2}, 3),
        ({"max_retries": 2, "transient_codes": [999]}, 1),  # 503 is not transient any more: never retried
    ],
)
async def test_the_twins_retry_settings_apply(
    mode: str, anyio_backend: str, changes: dict[str, Any], sent: int
) -> None:
    rec = Recorder(httpx.Response(200, json=envelope(None, code=503, msg="busy")))
    with pytest.raises(APIResponseError):
        await twin_call(
            mode,
            anyio_backend,
            {"retry_policy": RetryPolicy(base=0.001, cap=0.002), **changes},
            GET,
            transport=rec.transport(),
            max_retries=5,
        )
    assert len(rec.requests) == sent


@pytest.mark.anyio
async def test_the_twins_success_codes_apply(mode: str, anyio_backend: str) -> None:
    rec = Recorder(httpx.Response(200, json=envelope({"x": 1}, code=7)))
    assert await twin_call(
        mode, anyio_backend, {"success_codes": [7]}, lambda c: c.request("GET", "/x"), transport=rec.transport()
    ) == {"x": 1}


# ------------------------------------------------------------------ closing


class Closing(httpx.MockTransport):
    """A MockTransport that counts its closes."""

    closes = 0

    async def aclose(self) -> None:
        self.closes += 1


@pytest.mark.anyio
async def test_an_async_twin_closes_only_what_it_made() -> None:
    parent_transport, own = Closing(lambda r: ok()), Closing(lambda r: ok(2))
    async with AsyncPandaPon(**CREDS, transport=parent_transport) as parent:
        async with parent.with_options(max_retries=0) as fast:
            assert await fast.request("GET", "/x") is True
        assert await parent.request("GET", "/x") is True  # the twin borrowed the pool: closing it closed nothing
        assert parent_transport.closes == 0
        twin = parent.with_options(transport=own)
        assert await twin.request("GET", "/x") == 2
        await twin.aclose()
        assert own.closes == 1 and parent_transport.closes == 0
        with pytest.raises(ClientClosedError):
            await twin.request("GET", "/x")
        assert await parent.request("GET", "/x") is True
    assert parent_transport.closes == 1
    with pytest.raises(ClientClosedError):
        await fast.request("GET", "/x")  # the parent's pool is closed now: its twins' calls fail typed


def test_a_sync_twin_closes_only_what_it_made() -> None:
    parent_transport, own = Closing(lambda r: ok()), Closing(lambda r: ok(2))
    with PandaPon(**CREDS, transport=parent_transport) as parent:
        with parent.with_options(max_retries=0) as fast:
            assert fast.request("GET", "/x") is True
        assert parent.request("GET", "/x") is True  # before: closing the twin stopped the parent's loop
        twin = parent.with_options(transport=own)
        assert twin.request("GET", "/x") == 2
        twin.close()
        assert own.closes == 1 and parent_transport.closes == 0
        with pytest.raises(ClientClosedError):
            twin.request("GET", "/x")
        assert parent.request("GET", "/x") is True
    assert parent_transport.closes == 1
    with pytest.raises(ClientClosedError):
        fast.request("GET", "/x")


def test_a_sync_twin_with_another_backend_gets_its_own_loop() -> None:
    rec = Recorder(ok(json.loads('{"n": 1}')))
    with PandaPon(**CREDS, transport=rec.transport()) as parent:
        with parent.with_options(backend="trio", max_retries=0) as other:
            assert other._runner is not parent._runner
            assert other.request("GET", "/x") == {"n": 1}
            same = parent.with_options(backend="asyncio", close_timeout=5.0)  # the parent's own: shared
            assert same._runner is parent._runner
        assert parent.request("GET", "/x") == {"n": 1}  # closing the trio twin left the parent's loop running
    assert len(rec.requests) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backend": "curio"}, "backend must be 'asyncio' or 'trio', got 'curio'"),
        ({"close_timeout": 0}, "close_timeout must be positive seconds, got 0"),
        ({"max_retries": -1}, "max_retries must be a non-negative int, got -1"),
        ({"no_such_option": 1}, "unknown option"),
    ],
)
def test_bad_sync_with_options_raise_in_the_callers_thread(changes: dict[str, Any], message: str) -> None:
    client = PandaPon(**CREDS)
    with pytest.raises(ConfigurationError, match=message):
        client.with_options(**changes)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"backend": "curio"}, "backend must be 'asyncio' or 'trio', got 'curio'"),
        ({"close_timeout": 0}, "close_timeout must be positive seconds, got 0"),
        ({"close_timeout": True}, "close_timeout must be positive seconds, got True"),
    ],
)
def test_the_constructor_checks_the_loop_settings_as_with_options_does(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PandaPon(**CREDS, **settings)


def test_with_options_keeps_the_running_loop_alive_when_a_twin_is_used_from_threads() -> None:
    rec = Recorder(ok())
    with PandaPon(**CREDS, transport=rec.transport()) as parent:
        twin = parent.with_options(timeout=2.0)

        async def many() -> None:
            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(anyio.to_thread.run_sync, lambda: twin.request("GET", "/x"))

        anyio.run(many)
    assert len(rec.requests) == 8
