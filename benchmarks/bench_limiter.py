"""Item 6: rate-limiter accuracy (achieved ÷ configured rate) and the cost of one Redis acquire.

- In-memory ``TokenBucket(rate=200, burst=1)``: one process, 32 tasks calling update_warehouse (MockTransport) through
  an ``AsyncPandaPon`` that uses the bucket, for the window; calls completed inside the window ÷ window.
- ``RedisRateLimiter(rate=200, burst=1)`` shared by 4 processes × 16 tasks against a real ``redis-server`` the
  benchmark starts on a free port (skipped with a note if the binary is missing); all processes start on one shared
  wall-clock instant and count the calls they complete inside the same window.
- One ``RedisRateLimiter.acquire`` that never waits (rate 10⁶/s) vs one plain Redis ``GET`` round trip, same client,
  interleaved rounds, medians.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._common import Section, bar_chart, interleave, new_loop, spread, table

RATE = 200.0
TOLERANCE = 0.03


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[int]:
    """Start ``redis-server`` on a free port (no persistence); yield the port; stop it."""
    import redis

    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {proc.returncode}") from None
                time.sleep(0.025)
        else:
            raise RuntimeError("redis-server did not answer PING within 5 s")
        client.close()
        yield port
    finally:
        proc.terminate()
        proc.wait(5)


# ---------------------------------------------------------------------------------------------------- accuracy


Tally = tuple[int, float, float, float]  # calls completed in the window, first and last completion, window start


async def _drive(client: Any, tasks: int, start: float, end: float, clock: Any) -> Tally:
    """Run ``tasks`` workers calling update_warehouse until ``end``; tally the calls completed in [start, end]."""
    from .bench_core import ADDRESS, NAME, ORDER

    done: list[float] = []

    async def worker() -> None:
        while clock() < end:
            await client.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)
            now = clock()
            if start <= now <= end:
                done.append(now)

    while clock() < start:
        await asyncio.sleep(min(0.005, start - clock()))
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return len(done), min(done, default=start), max(done, default=start), start


async def _warm() -> None:
    """One unlimited call first: the lazily imported resource group and converter load outside the window."""
    import httpx

    import pandapon

    from .bench_core import ADDRESS, KEY, NAME, ORDER, SECRET, USER, mock_handler

    async with pandapon.AsyncPandaPon(KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler)) as client:
        await client.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)


def _merge(tallies: list[Tally]) -> Tally:
    return sum(t[0] for t in tallies), min(t[1] for t in tallies), max(t[2] for t in tallies), tallies[0][3]


def bucket_accuracy(duration: float, burst: float = 1) -> Tally:
    import httpx

    import pandapon

    from .bench_core import KEY, SECRET, USER, mock_handler

    async def main() -> Tally:
        bucket = pandapon.TokenBucket(rate=RATE, burst=burst)
        client = pandapon.AsyncPandaPon(
            KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler), rate_limiter=bucket
        )
        await _warm()
        start = time.monotonic() + 0.05
        try:
            return await _drive(client, 32, start, start + duration, time.monotonic)
        finally:
            await client.aclose()

    return asyncio.run(main())


def _redis_worker(
    port: int, key: str, tasks: int, duration: float, ready: Any, go: Any, start_at: Any, out: Any
) -> None:
    import httpx
    import redis.asyncio

    import pandapon

    from .bench_core import KEY, SECRET, USER, mock_handler

    async def main() -> Tally:
        r = redis.asyncio.Redis(port=port)
        limiter = pandapon.RedisRateLimiter(r, rate=RATE, burst=1, key=key)
        client = pandapon.AsyncPandaPon(
            KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler), rate_limiter=limiter
        )
        try:
            await _warm()
            await asyncio.gather(*(r.ping() for _ in range(tasks)))  # open the pool's connections up front
            ready.put(True)
            await asyncio.to_thread(go.wait)
            start = float(start_at.value)
            return await _drive(client, tasks, start, start + duration, time.time)
        finally:
            await client.aclose()
            await r.aclose()

    out.put(asyncio.run(main()))


def redis_accuracy(port: int, duration: float, processes: int = 4, tasks: int = 16) -> Tally:
    import redis

    import pandapon

    key = f"pandapon:bench:{time.time_ns()}"
    # Load the limiter's script once so that no process's first call pays a NOSCRIPT round trip in the window.
    with redis.Redis(port=port) as r:
        r.script_load(pandapon.RedisRateLimiter._SCRIPT)
    ctx = multiprocessing.get_context("spawn")
    ready, out = ctx.Queue(), ctx.Queue()
    go, start_at = ctx.Event(), ctx.Value("d", 0.0)
    procs = [
        ctx.Process(target=_redis_worker, args=(port, key, tasks, duration, ready, go, start_at, out))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=60)
        start_at.value = time.time() + 0.5  # every process is imported and waiting: start together
        go.set()
        total = _merge([out.get(timeout=duration + 60) for _ in procs])
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
    return total


# ---------------------------------------------------------------------------------------------------- acquire cost


def acquire_cost(port: int, n: int, rounds: int) -> dict[str, list[float]]:
    import redis.asyncio

    import pandapon

    loop = new_loop()
    r = redis.asyncio.Redis(port=port)
    limiter = pandapon.RedisRateLimiter(r, rate=1e6, burst=1e6, key="pandapon:bench:cost")
    loop.run_until_complete(r.set("pandapon:bench:get", "x"))

    async def acquires() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            await limiter.acquire()
        return (time.perf_counter() - t0) / n * 1e6

    async def gets() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            await r.get("pandapon:bench:get")
        return (time.perf_counter() - t0) / n * 1e6

    for fn in (acquires, gets):  # warm: connection, script registration
        loop.run_until_complete(fn())
    samples = interleave(
        rounds,
        {
            "RedisRateLimiter.acquire() (no wait)": lambda: loop.run_until_complete(acquires()),
            "Redis GET": lambda: loop.run_until_complete(gets()),
        },
    )
    loop.run_until_complete(r.aclose())
    loop.close()
    return samples


# ---------------------------------------------------------------------------------------------------- report


def run(quick: bool) -> Section:
    started = time.perf_counter()
    duration = 3.0 if quick else 10.0
    rows: list[list[str]] = []
    chart_labels: list[str] = []
    chart_values: list[float] = []
    notes: list[str] = []

    def add(label: str, tally: Tally, chart_label: str) -> None:
        count, first, last, start = tally
        achieved = count / duration
        steady = (count - 1) / (last - first) if last > first else 0.0
        rel, steady_rel = achieved / RATE, steady / RATE
        ok = "yes" if abs(rel - 1) <= TOLERANCE else "**no**"
        rows.append(
            [
                label,
                f"{count:,}",
                f"{achieved:.1f}",
                f"**{rel:.3f}×** ({ok})",
                f"{steady:.1f}",
                f"{steady_rel:.3f}×",
                f"{(first - start) * 1e3:.0f}",
            ]
        )
        chart_labels.append(chart_label)
        chart_values.append(rel)

    add("TokenBucket(rate=200, burst=1): 1 process × 32 tasks", bucket_accuracy(duration), "TokenBucket\nburst=1")
    add(
        "(diagnostic) TokenBucket(rate=200, burst=2): 1 process × 32 tasks",
        bucket_accuracy(duration, burst=2),
        "TokenBucket\nburst=2",
    )
    cost_md = ""
    if shutil.which("redis-server") is None:
        rows.append(["RedisRateLimiter: 4 processes × 16 tasks", "skipped", "–", "–", "–", "–", "–"])
        notes.append("**redis-server not found on PATH: the RedisRateLimiter rows were skipped.**")
    else:
        with redis_server() as port:
            add(
                "RedisRateLimiter(rate=200, burst=1): 4 processes × 16 tasks",
                redis_accuracy(port, duration),
                "Redis GCRA\n4 processes",
            )
            n, rounds = (300, 3) if quick else (2000, 7)
            samples = acquire_cost(port, n, rounds)
        med = {k: statistics.median(v) for k, v in samples.items()}
        get = med["Redis GET"]
        cost_md = table(
            ["operation (redis.asyncio, one connection, sequential)", "µs each (median)", "÷ Redis GET"],
            [[k, f"{v:.0f} ({spread(samples[k])})", f"{v / get:.2f}×"] for k, v in med.items()],
        )
        notes.append(
            f"Acquire cost: {n} sequential operations per round, {rounds} interleaved rounds, median µs each. "
            "The acquire runs the limiter's GCRA Lua script (EVALSHA: TIME, two GETs, one SET) on the server; "
            "the GET is the floor of any Redis round trip from this client."
        )
    md = table(
        [
            f"limiter (configured {RATE:.0f} req/s, {duration:.0f} s window)",
            "calls completed in window",
            "achieved req/s (window)",
            f"achieved ÷ configured (within ±{TOLERANCE:.0%}?)",
            "steady req/s (first→last completion)",
            "steady ÷ configured",
            "first completion after window start, ms",
        ],
        rows,
    )
    if cost_md:
        md += "\n\n" + cost_md
    chart = bar_chart(
        "limiter",
        "Rate limiter: achieved ÷ configured rate (200 req/s)",
        chart_labels,
        {"achieved ÷ configured": chart_values},
        "achieved ÷ configured (target 1.00 ± 0.03)",
        band=TOLERANCE,
        ylim=(min([0.85, *chart_values]) - 0.02, 1.08),
    )
    notes[:0] = [
        f"Each limiter gates real update_warehouse calls (AsyncPandaPon over MockTransport, "
        f"rate_limiter=...). Window {duration:.0f} s; 'calls completed in window' counts calls that returned "
        "inside it. With burst=1 the first call goes at once, so a perfect limiter completes rate × window + 1. "
        "'Steady' = (calls − 1) ÷ (last − first completion): the rate once running, without start-up latency.",
        "The burst=2 row is a diagnostic, not part of the brief. It was added when TokenBucket still refilled"
        " on wake-up, which lost capacity whenever a waiter woke late (burst=1 achieved 0.94×). TokenBucket n"
        "ow schedules slots on an absolute timeline (GCRA, like the Redis limiter: next slot = previous + 1/r"
        "ate), so a late wake-up costs no capacity and both rows are exact.",
        "The Redis row: 4 processes (multiprocessing, spawn) × 16 tasks share one key; they start on one "
        "wall-clock instant after all have imported and connected; redis-server started by the benchmark "
        "(`redis-server --port N --save '' --appendonly no`).",
    ]
    return Section(
        "6. Rate limiter accuracy (achieved ÷ configured) and Redis acquire cost",
        md,
        notes,
        chart,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    import sys

    print(run("--quick" in sys.argv).markdown())
