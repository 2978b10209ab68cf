"""Threads: 16 threads × 300 sync calls on one shared ``PandaPon``, against 16 threads each with its own raw
``httpx.Client`` (the hand-written way to call from threads), over the loopback server."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import httpx

import pandapon

from ._common import Section, bar_chart, interleave, ratio, signed_headers, spread, table
from .bench_core import ADDRESS, KEY, NAME, ORDER, SECRET, USER, _check, loopback_server

THREADS, CALLS = 16, 300
PAYLOAD = {"warehouseAddress": ADDRESS, "warehouseName": NAME, "orderId": ORDER}
RAW = "16 raw httpx.Client (one per thread)"
SHARED = "one shared PandaPon (default engine: aiohttp)"
CORE = "one shared PandaPon on httpcore (PANDAPON_TRANSPORT=httpcore)"


def _threads(work: Callable[[int], None], threads: int) -> float:
    """requests/s of ``threads`` threads each running ``work(calls)``, started together."""
    barrier = threading.Barrier(threads + 1)

    def run() -> None:
        barrier.wait()
        work(CALLS)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    return threads * CALLS / (time.perf_counter() - t0)


def run(quick: bool) -> Section:
    started = time.perf_counter()
    rounds = 1 if quick else 3
    with loopback_server() as base:
        url = base + "/open/order/updateWarehouse"
        raws = [httpx.Client() for _ in range(THREADS)]
        shared = pandapon.PandaPon(KEY, SECRET, USER, base_url=base)
        import os

        os.environ["PANDAPON_TRANSPORT"] = "httpcore"
        try:
            core = pandapon.PandaPon(KEY, SECRET, USER, base_url=base)
            core.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)  # the engine is chosen on the first call
        finally:
            del os.environ["PANDAPON_TRANSPORT"]
        local = threading.local()
        handed = iter(raws)
        lock = threading.Lock()

        def raw_work(calls: int) -> None:
            client = getattr(local, "client", None)
            if client is None:
                with lock:
                    client = local.client = next(handed, None) or httpx.Client()
            for _ in range(calls):
                _check(client.post(url, json=PAYLOAD, headers=signed_headers(KEY, SECRET, USER)))

        def sdk_work(client: pandapon.PandaPon) -> Callable[[int], None]:
            def work(calls: int) -> None:
                for _ in range(calls):
                    client.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

            return work

        def sample(work: Callable[[int], None]) -> Callable[[], float]:
            def go() -> float:
                nonlocal handed
                handed = iter(raws)
                local.__dict__.clear()
                _threads(lambda _calls: work(20), THREADS)  # warm-up: connections open
                handed = iter(raws)
                return _threads(work, THREADS)

            return go

        results = interleave(
            rounds, {RAW: sample(raw_work), SHARED: sample(sdk_work(shared)), CORE: sample(sdk_work(core))}
        )
        shared.close()
        core.close()
        for client in raws:
            client.close()

    med = {name: statistics.median(v) for name, v in results.items()}
    rows = [
        [
            f"**{name}**" if name == RAW else name,
            f"{med[name]:,.0f} ({spread(results[name])})",
            ratio(med[name], med[RAW]),
        ]
        for name in (RAW, SHARED, CORE)
    ]
    md = table(["client", "requests/s", "÷ 16 raw httpx.Client"], rows)
    chart = bar_chart(
        "threads",
        f"{THREADS} threads × {CALLS} sync calls: req/s ÷ {THREADS} raw httpx.Client",
        ["16 threads"],
        {SHARED: [med[SHARED] / med[RAW]], CORE: [med[CORE] / med[RAW]]},
        "× raw req/s (higher is better)",
    )
    notes = [
        f"{THREADS} threads start together (a barrier) and each makes {CALLS} update_warehouse calls; req/s = "
        f"{THREADS * CALLS:,} ÷ wall time. A 20-call-per-thread warm-up opens the connections first. {rounds} "
        "interleaved rounds, median (±: widest round's distance from the median).",
        "The raw baseline gives each thread its own httpx.Client (a shared one would serialise on httpcore's pool "
        "lock); the shared PandaPon runs every thread's calls as tasks in its one portal loop, so calls from "
        "all threads share one connection pool and overlap on the loop while the threads wait.",
        "All threads share the GIL with the portal thread and the loopback server shares the 2 cores: absolute "
        "req/s are this machine's; compare the ratios.",
    ]
    return Section(
        f"8. Threads: {THREADS} threads × {CALLS} sync calls on one client (requests/s; ratio vs raw httpx.Client)",
        md,
        notes,
        chart,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    import sys

    print(run("--quick" in sys.argv).markdown())
