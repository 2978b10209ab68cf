"""One AsyncPandaPon across event loops (issue 16, item 6): connections belong to the loop they were made on, a new
loop gets new ones, the old loop's close with it; a caller's own transport raises a typed error instead.

Each case runs in a fresh interpreter with ``-X dev`` (ResourceWarnings and asyncio's debug checks on), so an
unclosed session, connector or socket shows up on stderr, against a real server over loopback.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ..helpers import fixed_server

PRELUDE = """
import asyncio, gc, sys
import pandapon
URL = sys.argv[1]


class Policy(asyncio.DefaultEventLoopPolicy):
    # -X dev also logs every callback slower than 100 ms: a timing, not a leak, and timings are the benchmarks'
    # business (a fresh checkout compiles pandapon's modules on first import, inside the first call). The leak
    # checks (ResourceWarning, unclosed transports and sessions) stay on.
    def new_event_loop(self):
        loop = super().new_event_loop()
        loop.slow_callback_duration = 3600.0
        return loop


asyncio.set_event_loop_policy(Policy())

async def one(client):
    return await client.taobao.orders.update_warehouse("1", "w", "a")
"""


def run(body: str) -> subprocess.CompletedProcess[str]:
    with fixed_server() as url:
        return subprocess.run(
            [sys.executable, "-X", "dev", "-c", PRELUDE + textwrap.dedent(body), url],
            capture_output=True,
            text=True,
            timeout=60,
        )


def test_a_module_level_client_works_in_a_second_asyncio_run_and_leaks_nothing() -> None:
    done = run(
        """
        client = pandapon.AsyncPandaPon("k", "s", "u", base_url=URL)
        print(asyncio.run(one(client)), asyncio.run(one(client)), asyncio.run(one(client)))
        asyncio.run(client.aclose())
        gc.collect()
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]
    assert done.stderr == ""  # no "Unclosed client session", no ResourceWarning for a socket


def test_each_loop_closes_its_own_connections_at_shutdown_even_without_aclose() -> None:
    done = run(
        """
        client = pandapon.AsyncPandaPon("k", "s", "u", base_url=URL)
        conn = client._pipeline._connection
        print(asyncio.run(one(client)), len(conn._by_loop))
        print(asyncio.run(one(client)), len(conn._by_loop))
        gc.collect()
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "0", "True", "0"]  # closed as each run shut down
    assert done.stderr == ""


def test_trio_runs_and_a_mix_of_backends_share_one_client() -> None:
    pytest.importorskip("trio")
    done = run(
        """
        import trio
        client = pandapon.AsyncPandaPon("k", "s", "u", base_url=URL)
        print(trio.run(one, client), asyncio.run(one(client)), trio.run(one, client))
        trio.run(client.aclose)
        gc.collect()
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]
    assert done.stderr == ""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_callers_transport_used_on_a_second_loop_is_a_typed_error(backend: str) -> None:
    if backend == "trio":
        pytest.importorskip("trio")
    runner = "asyncio.run(one(client))" if backend == "asyncio" else "trio.run(one, client)"
    done = run(
        f"""
        import httpx, trio
        client = pandapon.AsyncPandaPon("k", "s", "u", base_url=URL, transport=httpx.AsyncHTTPTransport())
        print({runner})
        try:
            {runner}
        except pandapon.WrongEventLoopError as exc:
            print("WrongEventLoopError", isinstance(exc, RuntimeError))
            print(exc, file=sys.stderr)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "WrongEventLoopError", "True"]
    assert "inside the loop that uses it" in done.stderr and "leave transport= and http_client= out" in done.stderr
