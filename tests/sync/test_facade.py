"""The sync facade: one portal per client, thread safety, bounded close, fork, foreign event loops."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

from pandapon import APIError, ClientClosedError, PandaPon, RetryPolicy, WrongThreadError
from tests.helpers import CREDS, Recorder, ok


def make(handler: Any, **kw: Any) -> PandaPon:
    kw.setdefault("retry_policy", RetryPolicy(base=0.001, cap=0.002))
    return PandaPon(**CREDS, transport=httpx.MockTransport(handler), **kw)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_call_and_error_round_trip(backend: str) -> None:
    rec = Recorder(ok({"a": 1}), ok(None, code=10010, msg="nope"))
    with make(rec, backend=backend) as client:
        assert client.request("GET", "/x") == {"a": 1}
        with pytest.raises(APIError, match="nope"):
            client.request("GET", "/x")


def test_constructing_does_not_start_a_thread() -> None:
    before = threading.active_count()
    client = make(Recorder(ok(1)))
    assert threading.active_count() == before
    client.close()


def test_one_portal_thread_for_many_calls_and_it_stops_on_close() -> None:
    before = {t.ident for t in threading.enumerate()}
    client = make(Recorder(ok(1)))
    for _ in range(20):
        client.request("GET", "/x")
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert len(new) == 1 and new[0].name.startswith("pandapon-portal")
    client.close()
    assert not new[0].is_alive()


def test_sixteen_threads_share_one_client() -> None:
    counter = {"n": 0}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            counter["n"] += 1
        return ok(int(request.url.params["i"]))

    with make(handler) as client, ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: client.request("GET", "/x", params={"i": i}), range(320)))
    assert results == list(range(320))
    assert counter["n"] == 320


def test_close_cancels_in_flight_calls_promptly() -> None:
    started = threading.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep(60)
        return ok(1)

    client = make(slow)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            client.request("GET", "/x")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    assert started.wait(5)
    t0 = time.monotonic()
    client.close()
    for t in threads:
        t.join(5)
    assert time.monotonic() - t0 < 5
    assert len(errors) == 4
    assert all(isinstance(e, ClientClosedError) for e in errors)


def test_calls_after_close_raise() -> None:
    client = make(Recorder(ok(1)))
    client.request("GET", "/x")
    client.close()
    client.close()  # idempotent
    with pytest.raises(ClientClosedError):
        client.request("GET", "/x")


def test_works_from_a_thread_running_its_own_event_loop() -> None:
    """Like Jupyter: sync calls from inside a running asyncio loop's thread."""
    with make(Recorder(ok("fine"))) as client:

        async def inside() -> Any:
            return client.request("GET", "/x")

        assert asyncio.run(inside()) == "fine"


def test_calling_from_the_portal_thread_is_a_clear_error() -> None:
    with make(Recorder(ok(1))) as client:
        client.request("GET", "/x")
        runner = client._runner

        async def nested(_: Any) -> Any:
            return client.request("GET", "/x")

        with pytest.raises(WrongThreadError, match="own event loop thread"):
            runner.run(nested)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_fork_child_gets_a_working_client() -> None:
    with make(Recorder(ok("parent"))) as client:
        assert client.request("GET", "/x") == "parent"
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            try:
                result = client.request("GET", "/x")
                os.write(write, str(result).encode())
            except BaseException as exc:
                os.write(write, f"error {type(exc).__name__}: {exc}".encode())
            finally:
                os._exit(0)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        answer = os.read(read, 1000).decode()
        os.close(read)
        assert status == 0
        assert answer == "parent"  # the mock answers "parent" to everyone; the child completed a real call
        assert client.request("GET", "/x") == "parent"


def test_raw_access_through_the_facade() -> None:
    with make(Recorder(ok(True, request_id="abc"))) as client:
        raw = client.raw.call(client.request, "POST", "/x", json={})
    assert raw.parsed is True and raw.request_id == "abc"


def test_with_options_view_shares_the_portal() -> None:
    rec = Recorder(httpx.Response(503))
    with make(rec, max_retries=3) as client:
        view = client.with_options(max_retries=0)
        with pytest.raises(Exception, match="503"):
            view.request("GET", "/x")
        assert len(rec.requests) == 1
        assert view._runner is client._runner
