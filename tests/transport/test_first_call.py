"""The first call does not import the HTTP engine, the converter or anyio's event-loop backend on the event loop's
thread (each takes tens of milliseconds, which would stall every other task): checked in fresh interpreters, where
nothing is imported yet."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHILD = """
import asyncio, sys, threading
seen = {}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("aiohttp", "cattrs", "anyio._backends._asyncio") and name not in seen:
            seen[name] = threading.current_thread() is threading.main_thread()
        return None

sys.meta_path.insert(0, Watch())
import httpx, pandapon

async def main():
    handler = lambda request: httpx.Response(200, json={"code": 200, "data": True})
    kwargs = dict(base_url="http://pp.test")
    if MODE == "entered":
        async with pandapon.AsyncPandaPon("k", "s", "u", **kwargs) as client:
            pass
    else:  # lazy: a first call on a client that was never entered (it fails to connect: nothing listens)
        client = pandapon.AsyncPandaPon("k", "s", "u", base_url="http://127.0.0.1:9", max_retries=0)
        try:
            await client.taobao.orders.update_warehouse("1", "w", "a")
        except pandapon.APIConnectionError:
            pass
        await client.aclose()

asyncio.run(main())
print(sorted(seen.items()))
"""


@pytest.mark.parametrize("mode", ["entered", "lazy"])
def test_the_engine_and_the_converter_load_off_the_event_loop(mode: str) -> None:
    code = f"MODE = {mode!r}\n" + CHILD
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    # (name, imported on the main thread?) — the loop runs on the main thread here
    expected = "[('aiohttp', False), ('anyio._backends._asyncio', False), ('cattrs', False)]"
    assert out.stdout.strip() == expected, out.stdout + out.stderr
