"""Item 5: RSS growth and open file descriptors after many update_warehouse calls over MockTransport.

Each contestant runs in its own fresh interpreter (``python -m benchmarks.bench_memory worker KIND N WARMUP``) so one
run's heap cannot hide or inflate another's: warm-up calls, ``gc.collect()``, read VmRSS and count /proc/self/fd,
N calls, ``gc.collect()``, read again. pandapon async is compared with raw ``httpx.AsyncClient`` doing the same calls,
pandapon sync with raw ``httpx.Client``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ._common import ROOT, Section, table

KINDS = ("pandapon async", "raw httpx.AsyncClient", "pandapon sync", "raw httpx.Client")
SYNC_KINDS = ("pandapon sync", "raw httpx.Client")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def worker(kind: str, n: int, warmup: int) -> dict[str, Any]:
    import httpx

    import pandapon

    from ._common import signed_headers
    from .bench_core import ADDRESS, KEY, NAME, ORDER, SECRET, USER, _check, mock_handler

    url = "https://api.pandapon.com/open/order/updateWarehouse"
    payload = {"warehouseAddress": ADDRESS, "warehouseName": NAME, "orderId": ORDER}
    out: dict[str, Any] = {}

    def snapshot(tag: str) -> None:
        gc.collect()
        out[f"rss_{tag}"] = rss_kib()
        out[f"fds_{tag}"] = open_fds()

    if kind not in SYNC_KINDS:

        async def main() -> None:
            if kind == "pandapon async":
                sdk = pandapon.AsyncPandaPon(KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler))

                async def call() -> bool:
                    return await sdk.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

                close: Any = sdk.aclose
            else:
                raw = httpx.AsyncClient(transport=httpx.MockTransport(mock_handler))

                async def call() -> bool:
                    return _check(await raw.post(url, json=payload, headers=signed_headers(KEY, SECRET, USER)))

                close = raw.aclose
            for _ in range(warmup):
                await call()
            snapshot("before")
            t0 = time.perf_counter()
            for _ in range(n):
                await call()
            out["seconds"] = time.perf_counter() - t0
            snapshot("after")
            await close()

        asyncio.run(main())
    else:
        if kind == "pandapon sync":
            client = pandapon.PandaPon(KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler))

            def scall() -> bool:
                return client.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

            sclose: Any = client.close
        else:
            raw_sync = httpx.Client(transport=httpx.MockTransport(mock_handler))

            def scall() -> bool:
                return _check(raw_sync.post(url, json=payload, headers=signed_headers(KEY, SECRET, USER)))

            sclose = raw_sync.close
        for _ in range(warmup):
            scall()
        snapshot("before")
        t0 = time.perf_counter()
        for _ in range(n):
            scall()
        out["seconds"] = time.perf_counter() - t0
        snapshot("after")
        sclose()
    return out


def _spawn(kind: str, n: int, warmup: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_memory", "worker", kind, str(n), str(warmup)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run(quick: bool) -> Section:
    started = time.perf_counter()
    warmup = 2000
    counts = {"async": 10_000 if quick else 100_000, "sync": 5_000 if quick else 20_000}
    res: dict[str, dict[str, Any]] = {}
    calls = {kind: counts["sync" if kind in SYNC_KINDS else "async"] for kind in KINDS}
    for kind in KINDS:
        res[kind] = _spawn(kind, calls[kind], warmup)

    rows = []
    for kind, base in (
        ("raw httpx.AsyncClient", "raw httpx.AsyncClient"),
        ("pandapon async", "raw httpx.AsyncClient"),
        ("raw httpx.Client", "raw httpx.Client"),
        ("pandapon sync", "raw httpx.Client"),
    ):
        r, b = res[kind], res[base]
        n = calls[kind]
        per_call, base_per_call = r["seconds"] / n * 1e6, b["seconds"] / calls[base] * 1e6
        growth, base_growth = r["rss_after"] - r["rss_before"], b["rss_after"] - b["rss_before"]
        # Growth under 1 MiB on both sides is allocator noise: a ratio of two noises says nothing.
        vs = "–" if kind == base else (f"{growth / base_growth:.2f}×" if base_growth >= 1024 else "both < 1 MiB")
        rows.append(
            [
                f"**{kind}**" if kind == base else kind,
                f"{n:,}",
                f"{r['rss_before'] / 1024:.1f} → {r['rss_after'] / 1024:.1f}",
                f"{r['rss_after'] / r['rss_before']:.3f}×",
                f"{growth:+,} KiB ({growth * 1024 / n:+.1f} B/call)",
                vs,
                f"{r['fds_before']} → {r['fds_after']}",
                f"{per_call:.0f} µs ({per_call / base_per_call:.2f}×)",
            ]
        )
    md = table(
        [
            "client",
            "calls",
            "RSS MiB before → after",
            "after ÷ before",
            "RSS growth",
            "growth ÷ raw httpx's",
            "open fds before → after",
            "µs/call (÷ raw httpx)",
        ],
        rows,
    )
    notes = [
        f"Each row is a fresh interpreter: {warmup:,} warm-up calls, gc.collect(), read VmRSS (/proc/self/status) "
        "and count /proc/self/fd, run the calls, gc.collect(), read again. All over httpx.MockTransport "
        "(no sockets), so the fd count shows what the client itself opens.",
        "The async rows compare pandapon async with raw httpx.AsyncClient running the same calls; the sync rows "
        "pandapon sync (portal thread + its event loop, created during warm-up) with raw httpx.Client. "
        "'after ÷ before' is each client's own growth ratio; a leak would show as steady B/call growth well "
        "above the raw baseline's.",
        "Single runs (not medians): RSS is a high-water mark of the allocator, not a timing, and each run "
        "takes seconds; the µs/call column is indicative only.",
    ]
    return Section(
        "5. Memory and file descriptors after many calls (MockTransport)",
        md,
        notes,
        None,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "worker":
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(run("--quick" in sys.argv).markdown())
