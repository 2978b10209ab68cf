"""Bulk: 10,000 ``taobao.products.get`` calls at 200/s through one ``RedisRateLimiter``, split across 1, 2 and 4
processes (issue 17): the rate held, achieved ÷ configured, for each process count.

- The platform: ``pandapon fake-server`` in a process of its own, over loopback (the docs' example product).
- Redis: a ``redis-server`` the benchmark starts on a free port (the section is skipped with a note without one).
- Each process: one ``AsyncPandaPon`` with ``RedisRateLimiter(rate=200, burst=1)`` on one shared key, its share
  of the calls as one ``client.bulk(..., concurrency=16)`` run (:func:`call_all`). All processes start on one shared wall-clock instant after they have
  imported, connected and made one call outside the limit; each notes the wall time every call completed.
- Window rate: calls ÷ (last completion − start). Steady rate: (calls − 1) ÷ (last − first completion).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._common import ROOT, Section, bar_chart, table
from .bench_limiter import _free_port, redis_server

RATE = 200.0
TOLERANCE = 0.03
TASKS = 16  # concurrent calls per process
PROCESSES = (1, 2, 4)
PRODUCT = "672991141190"  # the docs' example product, which `pandapon fake-server` serves


async def call_all(client: Any, item_ids: Sequence[str], concurrency: int, done: list[float]) -> None:
    """Get every product in ``item_ids`` with ``client.bulk``, ``concurrency`` calls at a time; note the wall time
    each one completed (a failed item fails the benchmark)."""
    inputs = ({"item_id": item_id} for item_id in item_ids)
    async with client.bulk("taobao.products.get", inputs, concurrency=concurrency) as results:
        async for result in results:
            result.unwrap()
            done.append(time.time())


@contextmanager
def fake_server() -> Iterator[tuple[str, dict[str, str]]]:
    """``pandapon fake-server`` on a free port; yields its URL and the PANDAPON_* variables it prints."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pandapon", "fake-server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        env: dict[str, str] = {}
        assert proc.stdout is not None
        while len(env) < 4:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"pandapon fake-server exited with {proc.wait(5)}")
            if line.strip().startswith("export PANDAPON_"):
                name, _, value = line.strip().removeprefix("export ").partition("=")
                env[name] = value
        url = env["PANDAPON_BASE_URL"]
        import httpx

        for _ in range(200):
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.025)
        yield url, env
    finally:
        proc.terminate()
        proc.wait(10)


def _process(
    env: dict[str, str], port: int, key: str, calls: int, ready: Any, go: Any, start_at: Any, out: Any
) -> None:
    import redis.asyncio

    import pandapon

    async def main() -> list[float]:
        creds = (env["PANDAPON_ACCESS_KEY"], env["PANDAPON_ACCESS_SECRET"], env["PANDAPON_USER_ID"])
        r = redis.asyncio.Redis(port=port)
        limiter = pandapon.RedisRateLimiter(r, rate=RATE, burst=1, key=key)
        async with pandapon.AsyncPandaPon(*creds, base_url=env["PANDAPON_BASE_URL"]) as warm:
            await warm.taobao.products.get(PRODUCT)  # imports, models, a connection: outside the window
        client = pandapon.AsyncPandaPon(*creds, base_url=env["PANDAPON_BASE_URL"], rate_limiter=limiter)
        done: list[float] = []
        try:
            await asyncio.gather(*(r.ping() for _ in range(TASKS)))  # open the Redis pool's connections up front
            ready.put(True)
            await asyncio.to_thread(go.wait)
            start = float(start_at.value)
            while time.time() < start:
                await asyncio.sleep(min(0.005, start - time.time()))
            await call_all(client, [PRODUCT] * calls, TASKS, done)
        finally:
            await client.aclose()
            await r.aclose()
        return done

    out.put(asyncio.run(main()))


Run = tuple[int, float, float, float]  # calls completed, first and last completion, start


def bulk_run(env: dict[str, str], port: int, total: int, processes: int) -> Run:
    """``total`` calls split evenly across ``processes`` processes on one limiter key."""
    import redis

    import pandapon

    key = f"pandapon:bench:bulk:{time.time_ns()}"
    with redis.Redis(port=port) as r:
        r.script_load(pandapon.RedisRateLimiter._SCRIPT)
    ctx = multiprocessing.get_context("spawn")
    ready, out, go, start_at = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    shares = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
    procs = [ctx.Process(target=_process, args=(env, port, key, share, ready, go, start_at, out)) for share in shares]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=60)
        start_at.value = time.time() + 0.5
        go.set()
        done = [t for _ in procs for t in out.get(timeout=total / RATE + 120)]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
    start = float(start_at.value)
    return len(done), min(done), max(done), start


def run(quick: bool) -> Section:
    started = time.perf_counter()
    total = 1_000 if quick else 10_000
    notes = [
        f"{total:,} `taobao.products.get` calls per row, split evenly across the processes; each process is one "
        f"`AsyncPandaPon` with `RedisRateLimiter(rate={RATE:.0f}, burst=1)` on one shared key running its share as "
        f"one `client.bulk(..., concurrency={TASKS})` (`call_all`), against `pandapon fake-server` (its own process) over loopback and a `redis-server` the "
        "benchmark starts. Processes are started with multiprocessing's spawn and begin on one shared wall-clock "
        "instant after each has imported, connected and made one call outside the limit.",
        "Window rate = calls ÷ (last completion − start): start-up latency included. Steady rate = (calls − 1) ÷ "
        "(last − first completion). With burst=1 a perfect limiter lets the first call go at once and one more "
        f"every 1/{RATE:.0f} s.",
    ]
    if shutil.which("redis-server") is None:
        return Section(
            "Bulk: one rate held across processes (skipped)",
            "redis-server not found on PATH: nothing measured.",
            notes,
            seconds=time.perf_counter() - started,
        )
    rows: list[list[str]] = []
    window_ratios: list[float] = []
    steady_ratios: list[float] = []
    with redis_server() as port, fake_server() as (_, env):
        for processes in PROCESSES:
            count, first, last, start = bulk_run(env, port, total, processes)
            window, steady = count / (last - start), (count - 1) / (last - first)
            ok = "yes" if abs(window / RATE - 1) <= TOLERANCE and abs(steady / RATE - 1) <= TOLERANCE else "**no**"
            rows.append(
                [
                    f"{processes} × {TASKS} tasks",
                    f"{count:,}",
                    f"{last - start:.1f}",
                    f"{window:.1f}",
                    f"**{window / RATE:.3f}×**",
                    f"{steady:.1f}",
                    f"{steady / RATE:.3f}×",
                    ok,
                ]
            )
            window_ratios.append(window / RATE)
            steady_ratios.append(steady / RATE)
    md = table(
        [
            f"processes (one limiter, {RATE:.0f} req/s)",
            "calls completed",
            "seconds",
            "window req/s",
            "window ÷ configured",
            "steady req/s",
            "steady ÷ configured",
            f"within ±{TOLERANCE:.0%}?",
        ],
        rows,
    )
    lowest = min([*window_ratios, *steady_ratios])
    chart = bar_chart(
        "bulk",
        f"Rate held vs number of processes: {total:,} products.get at {RATE:.0f}/s through one RedisRateLimiter",
        [f"{n} process{'es' if n > 1 else ''}" for n in PROCESSES],
        {"window ÷ configured": window_ratios, "steady ÷ configured": steady_ratios},
        "achieved ÷ configured (target 1.00 ± 0.03)",
        band=TOLERANCE,
        ylim=(min(0.85, lowest - 0.02), 1.08),
    )
    return Section(
        f"10. Bulk: {total:,} calls at {RATE:.0f}/s across 1, 2 and 4 processes (one Redis rate limit)",
        md,
        notes,
        chart,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run("--quick" in sys.argv).markdown())
