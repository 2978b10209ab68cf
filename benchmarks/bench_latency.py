"""Under latency: 2,000 calls at concurrency 64 and 256 against a loopback server that answers in 50 ms.

What a service sees when the platform is slow and many tasks call it at once: the connection pool, not the
per-call CPU, sets the pace. Contestants on the default install: pandapon async (aiohttp engine, its default pool
of 100 connections, and with ``max_connections=256``), pandapon on httpcore (the trio engine, measured on asyncio
and on trio), raw aiohttp with its default connector and raw ``httpx.AsyncClient`` with its default limits. The
ideal is ``c ÷ 50 ms`` requests/s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx

import pandapon
from pandapon._transport import DEFAULT_KEEPALIVE_EXPIRY, HTTPCORE_MAX_CONNECTIONS
from pandapon._transport._httpx import HttpxTransport

from ._common import Section, bar_chart, interleave, new_loop, ratio, spread, table
from .bench_core import ADDRESS, KEY, NAME, ORDER, SECRET, USER, loopback_server
from .bench_throughput import drive, raw_calls

DELAY_MS = 50
LEVELS = (64, 256)
AIO, RAW = "raw aiohttp (default connector, limit 100)", "raw httpx.AsyncClient (default limits)"
SDK, SDK256 = "pandapon async (default: aiohttp, 100 connections)", "pandapon async, max_connections=256"
CORE = "pandapon async on httpcore (asyncio; its default pool, 16)"
TRIO = "pandapon async on trio (httpcore; its default pool, 16)"
TRIO100 = "pandapon async on trio, max_connections=100"
AIO256 = "raw aiohttp, TCPConnector(limit=256)"


def run(quick: bool) -> Section:
    started = time.perf_counter()
    n, rounds = (500, 1) if quick else (2000, 2)
    loop = new_loop()
    with loopback_server(DELAY_MS) as base:
        url = base + "/open/order/updateWarehouse"
        raw = httpx.AsyncClient()
        sdk = pandapon.AsyncPandaPon(KEY, SECRET, USER, base_url=base)
        sdk256 = pandapon.AsyncPandaPon(KEY, SECRET, USER, base_url=base, max_connections=256)
        core = pandapon.AsyncPandaPon(
            KEY,
            SECRET,
            USER,
            base_url=base,
            transport=HttpxTransport.pooled(
                max_connections=HTTPCORE_MAX_CONNECTIONS,
                max_keepalive=None,
                keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY,
            ),
        )

        async def make_session(**connector: Any) -> aiohttp.ClientSession:
            return aiohttp.ClientSession(connector=aiohttp.TCPConnector(**connector) if connector else None)

        session = loop.run_until_complete(make_session())
        session256 = loop.run_until_complete(make_session(limit=256))

        aio_call, raw_call = raw_calls(session, raw, url)
        aio256_call, _ = raw_calls(session256, raw, url)

        def on_asyncio(call: Callable[[], Awaitable[Any]], c: int) -> Callable[[], float]:
            def sample() -> float:
                loop.run_until_complete(drive(call, 2 * c, c))
                return loop.run_until_complete(drive(call, n, c))

            return sample

        def on_trio(c: int, **options: Any) -> Callable[[], float]:
            import trio

            async def main() -> float:
                async with pandapon.AsyncPandaPon(KEY, SECRET, USER, base_url=base, **options) as client:
                    left = 0

                    async def worker() -> None:
                        nonlocal left
                        while left > 0:
                            left -= 1
                            await client.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

                    async def timed(count: int) -> float:
                        nonlocal left
                        left = count
                        t0 = time.perf_counter()
                        async with trio.open_nursery() as nursery:
                            for _ in range(c):
                                nursery.start_soon(worker)
                        return count / (time.perf_counter() - t0)

                    await timed(2 * c)  # warm-up: opens the connections
                    return await timed(n)

            return lambda: trio.run(main)

        def sdk_call_of(client: pandapon.AsyncPandaPon) -> Callable[[], Awaitable[bool]]:
            async def call() -> bool:
                return await client.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

            return call

        names = (AIO, SDK, SDK256, AIO256, CORE, TRIO, TRIO100, RAW)
        results: dict[int, dict[str, list[float]]] = {}
        for c in LEVELS:
            samplers = {
                AIO: on_asyncio(aio_call, c),
                SDK: on_asyncio(sdk_call_of(sdk), c),
                SDK256: on_asyncio(sdk_call_of(sdk256), c),
                AIO256: on_asyncio(aio256_call, c),
                CORE: on_asyncio(sdk_call_of(core), c),
                TRIO: on_trio(c),
                TRIO100: on_trio(c, max_connections=100),
                RAW: on_asyncio(raw_call, c),
            }
            results[c] = interleave(rounds, samplers)
        for close in (raw.aclose(), sdk.aclose(), sdk256.aclose(), core.aclose(), session.close(), session256.close()):
            loop.run_until_complete(close)
    loop.close()

    rows = []
    series: dict[str, list[float]] = {name: [] for name in names if name != AIO}
    for c in LEVELS:
        ideal = c / (DELAY_MS / 1000)
        med = {name: statistics.median(v) for name, v in results[c].items()}
        for name in names:
            rows.append(
                [
                    str(c),
                    f"**{name}**" if name == AIO else name,
                    f"{med[name]:,.0f} ({spread(results[c][name])})",
                    ratio(med[name], med[AIO]),
                    ratio(med[name], ideal),
                ]
            )
            if name != AIO:
                series[name].append(med[name] / med[AIO])
    md = table(["concurrency", "client", "requests/s", "÷ raw aiohttp", "÷ ideal (c ÷ 50 ms)"], rows)
    chart = bar_chart(
        "latency",
        "Under 50 ms latency: req/s ÷ raw aiohttp (default connector)",
        [f"c={c}" for c in LEVELS],
        series,
        "× raw aiohttp req/s (higher is better)",
    )
    notes = [
        f"benchmarks/_server.py answers every request after {DELAY_MS} ms (each connection waits on its own). "
        f"{n} calls per contestant per level per round after a 2·C-call warm-up that opens the connections; "
        f"{rounds} interleaved rounds, median req/s (±: widest round's distance from the median).",
        "The ideal is c ÷ 50 ms: every task always has a call in flight. A pool of P connections caps a client at "
        "P ÷ 50 ms (2,000 req/s for 100), so at c=256 the default pool (100, like aiohttp's and httpx's) is the "
        "limit and max_connections=256 lifts it.",
        "Raw aiohttp with a 256-connection pool is the machine's ceiling for the same calls with the same pool "
        "size: at c=256 the ideal (5,120 req/s) is beyond what this 2-core machine serves — the server process and "
        "the client share the two cores, and the sequential throughput section tops out near 3,000 req/s with no "
        "latency at all — so compare pandapon max_connections=256 with that row, not with the ideal.",
        "pandapon on httpcore keeps as many idle connections as it may open (max_keepalive=None); raw "
        "httpx.AsyncClient's default keeps 20, and httpcore 1.0 compares that with all open connections "
        "(encode/httpcore#1000), so under load it closes every connection that goes idle and reconnects.",
        "The trio rows run the same calls in trio.run (one client per sample, warmed up the same way): trio has "
        "no aiohttp, so httpcore is its engine and its pool bookkeeping (encode/httpcore#1035) is its ceiling: "
        "it walks every connection for every queued request, so a pool of 100 spends its time choosing "
        "connections. That is why the httpcore default is 16 connections (each kept alive): compare the two "
        "trio rows. A pool of its own is not an option for an SDK; the way past the ceiling is asyncio.",
    ]
    return Section(
        "7. Under latency: 50 ms answers, concurrency 64 and 256 (requests/s; ratio vs raw aiohttp and the ideal)",
        md,
        notes,
        chart,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    import sys

    print(run("--quick" in sys.argv).markdown())
