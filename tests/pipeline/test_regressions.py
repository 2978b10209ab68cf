"""Regression tests for the defects found from outside (issue 13), each on asyncio, trio and the sync client.

Each scenario runs three ways: ``AsyncPandaPon`` awaited on the test's backend, and ``PandaPon`` (its portal on the
same backend) called from a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from pandapon import (
    APITimeoutError,
    AsyncPandaPon,
    MalformedResponseError,
    OutcomeUnknownError,
    PandaPon,
    PandaPonError,
    RetryPolicy,
)
from pandapon.testing import FakePandaPon, Fault
from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver
from tests.helpers import CREDS, Recorder, ok, serve_asgi

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(base=0.001, cap=0.002, max_retry_after=5.0)
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(params=["async", "sync"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def run(mode: str, backend: str, fn: Callable[[Any], Any], **kw: Any) -> Any:
    """``fn(client)`` on an ``AsyncPandaPon`` (awaited) or a ``PandaPon`` on ``backend`` (in a worker thread)."""
    kw = {**CREDS, **kw}
    if mode == "async":
        async with AsyncPandaPon(**kw) as client:
            return await fn(client)

    def work() -> Any:
        with PandaPon(**kw, backend=backend) as client:  # type: ignore[arg-type]
            return fn(client)

    return await anyio.to_thread.run_sync(work)


# ------------------------------------------------------------------ 1. timeout with http_client


async def _slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await anyio.sleep(1.5)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"code":200,"data":true}'})


@pytest.fixture(scope="module")
def slow_url() -> Iterator[str]:
    with serve_asgi(_slow_app) as url:
        yield url


@pytest.mark.loopback
@pytest.mark.parametrize("how", ["timeout", "with_options"])
async def test_timeout_applies_to_a_callers_http_client(mode: str, anyio_backend: str, slow_url: str, how: str) -> None:
    http_client = httpx.AsyncClient(timeout=5.0)
    kw: dict[str, Any] = {"base_url": slow_url, "http_client": http_client, "max_retries": 0}
    if how == "timeout":
        kw["timeout"] = 0.3
        fn: Callable[[Any], Any] = lambda c: c.request("GET", "/open/product/get")  # noqa: E731
    else:
        fn = lambda c: c.with_options(timeout=0.3).request("GET", "/open/product/get")  # noqa: E731
    # The server answers after 1.5 s: under the caller's client's own 5 s the call succeeds, so the timeout error can
    # only come from the SDK's 0.3 s (no wall-clock bound: a loaded shared machine is slow).
    with pytest.raises(APITimeoutError):
        await run(mode, anyio_backend, fn, **kw)
    await http_client.aclose()


# ------------------------------------------------------------------ 2. a body that does not decode


def _bad_gzip(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
        stream=httpx.ByteStream(b'{"code":200,"data":true} - not gzip'),
    )


async def test_undecodable_body_is_typed_and_a_write_is_outcome_unknown(mode: str, anyio_backend: str) -> None:
    rec = Recorder(_bad_gzip)
    with pytest.raises(MalformedResponseError, match="Content-Encoding gzip"):
        await run(mode, anyio_backend, lambda c: c.request("GET", "/open/product/get"), transport=rec.transport())
    with pytest.raises(OutcomeUnknownError) as info:
        await run(
            mode,
            anyio_backend,
            lambda c: c.taobao.orders.pay({"orderId": "1"}),
            transport=rec.transport(),
            retry_policy=FAST,
        )
    assert isinstance(info.value.cause, MalformedResponseError)


async def _gzip_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await receive()
    headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"definitely not gzip"})


@pytest.mark.loopback
@pytest.mark.parametrize("engine", ["aiohttp", "httpcore"])
async def test_undecodable_body_over_loopback(
    engine: str, mode: str, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine == "aiohttp" and anyio_backend == "trio":
        pytest.skip("aiohttp runs on asyncio only")
    monkeypatch.setenv("PANDAPON_TRANSPORT", engine)
    with serve_asgi(_gzip_app) as url:
        with pytest.raises(MalformedResponseError):
            await run(mode, anyio_backend, lambda c: c.request("GET", "/open/product/get"), base_url=url)
        with pytest.raises(OutcomeUnknownError):
            await run(mode, anyio_backend, lambda c: c.taobao.orders.pay({"orderId": "1"}), base_url=url)


# ------------------------------------------------------------------ 3. absurdly nested JSON in a response


@pytest.mark.parametrize("body", [DEEP, b'{"code":200,"data":' + DEEP + b"}"], ids=["bare", "in-data"])
async def test_deeply_nested_json_is_a_malformed_response(mode: str, anyio_backend: str, body: bytes) -> None:
    rec = Recorder(httpx.Response(200, content=body, headers={"content-type": "application/json"}))
    with pytest.raises(MalformedResponseError, match="nested too deeply"):
        await run(mode, anyio_backend, lambda c: c.request("GET", "/open/product/get"), transport=rec.transport())
    with pytest.raises(OutcomeUnknownError):
        await run(mode, anyio_backend, lambda c: c.taobao.orders.pay({"orderId": "1"}), transport=rec.transport())


# ------------------------------------------------------------------ 5. the deadline covers reconciliation


async def test_deadline_holds_when_a_create_reconciles(mode: str, anyio_backend: str) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(30)
        raise AssertionError("unreachable")

    lines = [TaobaoOrdersCreateOrderLine(item_id="1", sku_id="2", quantity="1", price="1")]
    receiver = TaobaoOrdersCreateReceiver(name="n", address="a", mobile_phone="15068763421")
    started = time.monotonic()
    with pytest.raises(OutcomeUnknownError) as info:
        await run(
            mode,
            anyio_backend,
            lambda c: c.taobao.orders.create(lines, 1, receiver, seller_order_number="S-1"),
            transport=httpx.MockTransport(hang),
            deadline=1.0,
        )
    elapsed = time.monotonic() - started
    assert elapsed < 1.6, elapsed  # was 2.01 s: the lookup started a fresh deadline
    assert "deadline" in (info.value.reconciliation or "")


# ------------------------------------------------------------------ 6. Retry-After on a 503


async def test_retry_after_on_a_503_is_honoured(mode: str, anyio_backend: str) -> None:
    stamps: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return httpx.Response(503, headers={"retry-after": "1"}, content=b"busy")
        return ok({"x": 1})

    result = await run(
        mode,
        anyio_backend,
        lambda c: c.request("GET", "/open/product/get"),
        transport=httpx.MockTransport(answer),
        retry_policy=FAST,
    )
    assert result == {"x": 1}
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 0.95  # was 19 ms: the backoff, not Retry-After


async def test_retry_after_beyond_the_cap_on_a_503_is_not_waited(mode: str, anyio_backend: str) -> None:
    rec = Recorder(httpx.Response(503, headers={"retry-after": "3600"}, content=b"busy"))
    with pytest.raises(PandaPonError, match="503"):
        await run(mode, anyio_backend, lambda c: c.request("GET", "/x"), transport=rec.transport(), retry_policy=FAST)
    assert len(rec.requests) == 1


# ------------------------------------------------------------------ 7. a truncated answer to a committed write


def _order_args(
    fake: FakePandaPon,
) -> tuple[list[TaobaoOrdersCreateOrderLine], int, TaobaoOrdersCreateReceiver]:
    product = next(p for p in fake.state.products if p.mp_id)
    sku = product.skus[0]
    line = TaobaoOrdersCreateOrderLine(
        item_id=str(product.mp_id), sku_id=str(sku.mp_sku_id), quantity="1", price=str(sku.price)
    )
    receiver = TaobaoOrdersCreateReceiver(name="n", address="a", mobile_phone="15068763421")
    return [line], int(sku.price), receiver


async def test_truncated_answer_to_a_create_is_reconciled(mode: str, anyio_backend: str) -> None:
    fake = FakePandaPon(seed=4)
    c = fake.credentials
    lines, amount, receiver = _order_args(fake)
    fake.inject(Fault("truncated", path="/open/order"))
    order = await run(
        mode,
        anyio_backend,
        lambda client: client.taobao.orders.create(lines, amount, receiver, seller_order_number="SELLER-7"),
        access_key=c.access_key,
        access_secret=c.access_secret,
        user_id=c.user_id,
        transport=httpx.ASGITransport(app=fake),
    )
    assert fake.create_calls == 1
    assert str(order["sellerOrderNumber"]) == "SELLER-7"


async def test_truncated_answer_to_a_pay_is_outcome_unknown(mode: str, anyio_backend: str) -> None:
    fake = FakePandaPon(seed=4)
    c = fake.credentials
    fake.inject(Fault("truncated", path="/open/order/pay*"))
    with pytest.raises(OutcomeUnknownError) as info:
        await run(
            mode,
            anyio_backend,
            lambda client: client.taobao.orders.pay({"orderId": "1"}),
            access_key=c.access_key,
            access_secret=c.access_secret,
            user_id=c.user_id,
            transport=httpx.ASGITransport(app=fake),
        )
    assert isinstance(info.value.cause, MalformedResponseError)
