"""Load over real loopback sockets: many calls, no error, no growth in file descriptors or threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from pandapon import AsyncPandaPon, PandaPon
from tests.helpers import CREDS, fixed_server, open_fds, wait_for_fds


def our_threads() -> int:
    """Threads other than trio's idle worker pool (whose threads retire on their own ~10 s after use)."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("Trio thread"))


pytestmark = pytest.mark.loopback


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with fixed_server() as url:
        yield url


@pytest.mark.anyio
async def test_10000_async_calls_at_concurrency_64(base_url: str) -> None:
    async with AsyncPandaPon(**CREDS, base_url=base_url) as client:
        await client.taobao.orders.update_warehouse("1", "w", "a")  # open the pool before counting
        fds_before, threads_before = open_fds(), our_threads()
        results: list[bool] = []

        async def worker(n: int) -> None:
            for _ in range(n):
                results.append(await client.taobao.orders.update_warehouse("1024285237573584051", "一号仓库", "广西省"))

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for _ in range(64):
                    tg.start_soon(worker, 10_000 // 64 + 1)
        assert len(results) >= 10_000
        assert all(results)
        assert open_fds() <= fds_before + 64 + 2  # at most one connection per concurrent caller
        assert our_threads() == threads_before
    assert wait_for_fds(fds_before) <= fds_before


def test_16_threads_x_1000_sync_calls(base_url: str) -> None:
    with PandaPon(**CREDS, base_url=base_url) as client:
        client.taobao.orders.update_warehouse("1", "w", "a")
        fds_before, threads_before = open_fds(), our_threads()

        def worker(_: int) -> int:
            return sum(client.taobao.orders.update_warehouse("1", "w", "a") for _ in range(1000))

        with ThreadPoolExecutor(16) as pool:
            assert sum(pool.map(worker, range(16))) == 16_000
        assert open_fds() <= fds_before + 16 + 2
        assert our_threads() == threads_before
    # the portal thread and its sockets are gone after close
    assert our_threads() == threads_before - 1
    assert wait_for_fds(fds_before) <= fds_before
