"""The in-memory token bucket: burst, rate, order, pause; on asyncio and trio."""

from __future__ import annotations

import anyio
import pytest

from pandapon import TokenBucket

pytestmark = pytest.mark.anyio


async def test_burst_goes_at_once_then_the_rate_applies() -> None:
    bucket = TokenBucket(rate=50, burst=5)
    t0 = anyio.current_time()
    for _ in range(5):
        await bucket.acquire()
    assert anyio.current_time() - t0 < 0.05
    for _ in range(10):
        await bucket.acquire()
    elapsed = anyio.current_time() - t0
    assert 0.18 <= elapsed < 0.6  # 10 more units at 50/s


async def test_rate_is_kept_under_contention_and_order_is_fifo() -> None:
    bucket = TokenBucket(rate=100, burst=1)
    order: list[int] = []

    async def worker(i: int) -> None:
        await bucket.acquire()
        order.append(i)

    t0 = anyio.current_time()
    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(worker, i)
            await anyio.sleep(0)  # arrival order = i
    elapsed = anyio.current_time() - t0
    assert order == list(range(30))
    assert 0.28 <= elapsed < 0.8  # 29 intervals of 10 ms


async def test_pause_delays_everyone() -> None:
    bucket = TokenBucket(rate=1000, burst=10)
    await bucket.pause(0.2)
    t0 = anyio.current_time()
    await bucket.acquire()
    assert anyio.current_time() - t0 >= 0.19


async def test_cost_and_validation() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0)
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(rate=1, burst=0.5)
    with pytest.raises(ValueError, match="exceeds"):
        await TokenBucket(rate=10, burst=2).acquire(3)


async def test_the_default_limiter_pauses_on_retry_after_for_every_call() -> None:
    import httpx

    from pandapon import AsyncPandaPon, RetryPolicy
    from tests.helpers import CREDS, Recorder, ok

    rec = Recorder(httpx.Response(429, headers={"Retry-After": "0.2"}), ok(1), ok(2))
    async with AsyncPandaPon(**CREDS, transport=rec.transport(), retry_policy=RetryPolicy(base=0.001)) as client:
        t0 = anyio.current_time()
        results: list[object] = []

        async def other() -> None:
            await anyio.sleep(0.05)  # starts while the first call is paused
            results.append(await client.request("GET", "/y"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(other)
            results.append(await client.request("GET", "/x"))
        assert anyio.current_time() - t0 >= 0.19
    assert sorted(results) == [1, 2]  # type: ignore[type-var]
    # the second call waited for the pause: it was sent after the 429's Retry-After
    assert len(rec.requests) == 3


async def test_deadline_spent_waiting_for_the_limiter_means_not_sent() -> None:
    from pandapon import APITimeoutError, AsyncPandaPon
    from tests.helpers import CREDS, Recorder, ok

    rec = Recorder(ok(1))
    bucket = TokenBucket(rate=1, burst=1)
    async with AsyncPandaPon(**CREDS, transport=rec.transport(), rate_limiter=bucket, deadline=0.2) as client:
        await client.request("POST", "/open/order", json={})
        with pytest.raises(APITimeoutError, match="rate limiter") as info:
            await client.request("POST", "/open/order", json={})  # a write: it must not look "maybe sent"
    assert info.value.request_sent is False
    assert len(rec.requests) == 1
