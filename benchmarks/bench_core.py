"""update_warehouse through the SDK vs the same signed POST written by hand with raw httpx.

Runs the SDK and the hand-written baseline side by side, interleaved in rounds, over an in-process
``httpx.MockTransport`` and over a loopback server process; reports per-call times and their ratio.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import socket
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

import pandapon

KEY, SECRET, USER = "58c0201dfdf148eca63cbf6bb5e7cf03", "bench-secret", "2100007341207"
ORDER, NAME, ADDRESS = "1024285237573584051", "一号仓库", "广西省"
BODY = json.dumps(
    {
        "requestId": "cab21c3a02a54387af675dd5735bb0fd",
        "code": 200,
        "developId": "1022622888387149826",
        "msg": "成功",
        "data": True,
    }
).encode()
ALPHABET = string.ascii_letters + string.digits


def _headers() -> dict[str, str]:
    ts = str(int(time.time()))
    nonce = secrets.token_hex(16)  # one call: a 32-character nonce must not handicap the hand-written baseline
    sig = hashlib.md5((KEY + ts + nonce + SECRET).encode()).hexdigest().upper()
    return {"access-key": KEY, "timestamp": ts, "nonce-str": nonce, "user-id": USER, "signature": sig}


def _check(response: httpx.Response) -> bool:
    """What a careful hand-written caller does: status, envelope code, data."""
    response.raise_for_status()
    payload = response.json()
    if payload.get("code") != 200:
        raise RuntimeError(payload)
    return bool(payload["data"])


def mock_handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


@contextmanager
def loopback_server(delay_ms: float = 0) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "benchmarks._server", str(port), *([str(delay_ms)] if delay_ms else [])]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)


def _time_async(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    async def run() -> float:
        for _ in range(50):
            await fn()
        t0 = time.perf_counter()
        for _ in range(n):
            await fn()
        return (time.perf_counter() - t0) / n

    return asyncio.get_event_loop().run_until_complete(run())


def _time_sync(fn: Callable[[], Any], n: int) -> float:
    for _ in range(50):
        fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def measure(base_url: str | None, n: int, rounds: int) -> dict[str, float]:
    """Return median µs per call for each client, over ``rounds`` interleaved rounds."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    url = (base_url or "https://api.pandapon.com") + "/open/order/updateWarehouse"
    if base_url is None:
        raw_async = httpx.AsyncClient(transport=httpx.MockTransport(mock_handler))
        raw_sync = httpx.Client(transport=httpx.MockTransport(mock_handler))
        sdk_async = pandapon.AsyncPandaPon(KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler))
        sdk_sync = pandapon.PandaPon(KEY, SECRET, USER, transport=httpx.MockTransport(mock_handler))
    else:
        raw_async, raw_sync = httpx.AsyncClient(), httpx.Client()
        sdk_async = pandapon.AsyncPandaPon(KEY, SECRET, USER, base_url=base_url)
        sdk_sync = pandapon.PandaPon(KEY, SECRET, USER, base_url=base_url)
    payload = {"warehouseAddress": ADDRESS, "warehouseName": NAME, "orderId": ORDER}

    async def raw_async_call() -> bool:
        return _check(await raw_async.post(url, json=payload, headers=_headers()))

    def raw_sync_call() -> bool:
        return _check(raw_sync.post(url, json=payload, headers=_headers()))

    async def sdk_async_call() -> bool:
        return await sdk_async.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

    def sdk_sync_call() -> bool:
        return sdk_sync.taobao.orders.update_warehouse(ORDER, NAME, ADDRESS)

    samples: dict[str, list[float]] = {
        k: [] for k in ("raw httpx async", "pandapon async", "raw httpx sync", "pandapon sync")
    }
    for _ in range(rounds):
        samples["raw httpx async"].append(_time_async(raw_async_call, n))
        samples["pandapon async"].append(_time_async(sdk_async_call, n))
        samples["raw httpx sync"].append(_time_sync(raw_sync_call, n))
        samples["pandapon sync"].append(_time_sync(sdk_sync_call, n))
    loop.run_until_complete(raw_async.aclose())
    loop.run_until_complete(sdk_async.aclose())
    raw_sync.close()
    sdk_sync.close()
    loop.close()
    return {k: statistics.median(v) * 1e6 for k, v in samples.items()}


def report(n: int = 2000, rounds: int = 5) -> str:
    lines = [
        "| transport | raw httpx async µs | pandapon async µs | ratio | raw httpx.Client µs | pandapon sync µs | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, base in (("MockTransport", None), ("loopback server", "loopback")):
        if base == "loopback":
            with loopback_server() as url:
                r = measure(url, n, rounds)
        else:
            r = measure(None, n, rounds)
        lines.append(
            f"| {label} | {r['raw httpx async']:.0f} | {r['pandapon async']:.0f} | "
            f"**{r['pandapon async'] / r['raw httpx async']:.2f}×** | {r['raw httpx sync']:.0f} | "
            f"{r['pandapon sync']:.0f} | **{r['pandapon sync'] / r['raw httpx sync']:.2f}×** |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
