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
