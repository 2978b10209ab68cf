"""The sync facade: one portal per client, thread safety, bounded close, fork, foreign event loops."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

from pandapon import APIError, ClientClosedError, InvalidInputError, PandaPon, RetryPolicy, WrongThreadError
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


def slow_once(started: threading.Event, cancelled: threading.Event, path: str = "/x") -> Any:
    """A handler whose first call to ``path`` sets ``started`` and sleeps 60 s, setting ``cancelled`` if cancelled;
    every other request answers 2 at once."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != path or started.is_set():
            return ok(2)
        started.set()
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise
        return ok(1)  # pragma: no cover - cancelled first

    return handler


@pytest.fixture
def python_sigint_handler() -> Any:
    """Ctrl-C as a plain Python program gets it: ``signal.default_int_handler`` raising ``KeyboardInterrupt``.

    Installed for the test and restored after it, because the suite cannot promise it: in some full runs SIGINT was
    found at ``SIG_IGN`` by the time this test ran (not reproduced in any subset, nor by tracing ``signal.signal``;
    the pandapon package never sets a signal handler)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("python_sigint_handler")
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_interrupted_sync_call_is_cancelled_in_the_loop(backend: str) -> None:
    """Ctrl-C while a sync call waits: the caller gets KeyboardInterrupt and the call stops in the portal's loop."""
    started, cancelled = threading.Event(), threading.Event()

    def interrupt() -> None:
        assert started.wait(5)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    assert threading.current_thread() is threading.main_thread()
    with make(slow_once(started, cancelled), backend=backend) as client:
        timer = threading.Thread(target=interrupt)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.request("GET", "/x")
        timer.join()
        assert cancelled.wait(5), "the abandoned call kept running in the loop"
        assert client.request("GET", "/x") == 2  # the client still works


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_callers_context_variables_reach_the_call(backend: str) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("tenant")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(var.get("unset"))
        return ok(1)

    with make(handler, backend=backend) as client:
        var.set("acme")
        client.request("GET", "/x")
        done = threading.Event()

        def other_thread() -> None:
            var.set("globex")
            client.request("GET", "/x")
            done.set()

        threading.Thread(target=other_thread).start()
        assert done.wait(5)
    assert seen == ["acme", "globex"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_close_while_threads_keep_calling_never_hangs_or_loses_an_answer(backend: str) -> None:
    """Calls racing close() either return their answer or raise ClientClosedError; none waits forever."""
    client = make(lambda request: ok(int(request.url.params["i"])), backend=backend)
    outcomes: list[tuple[int, object]] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        for i in range(w * 10_000, w * 10_000 + 2_000):
            try:
                result: object = client.request("GET", "/x", params={"i": i})
            except ClientClosedError as exc:
                result = exc
            with lock:
                outcomes.append((i, result))
            if isinstance(result, ClientClosedError):
                return

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    client.close()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads), "a caller is stuck after close()"
    answered = [(i, r) for i, r in outcomes if not isinstance(r, ClientClosedError)]
    assert answered and all(i == r for i, r in answered)
    assert sum(isinstance(r, ClientClosedError) for _, r in outcomes) == 6


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_calls_that_never_wait_and_calls_that_fail_before_waiting(backend: str) -> None:
    """A call that raises before its first await and one that never waits on I/O come back like any other."""
    with make(Recorder(ok(1), ok(2)), backend=backend) as client:
        assert client.request("GET", "/x") == 1
        with pytest.raises(InvalidInputError, match="path must start with '/'"):  # raised before the first await
            client.request("GET", "no-slash")
        assert client.request("GET", "/x") == 2


@pytest.mark.loopback
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_interrupt_landing_while_the_call_is_queued_still_cancels_it(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C can land inside the hand-off into the loop (its wake-up write), after the loop has started the call but
    before the caller waits on its future. Reproduced deterministically: the hand-off raises KeyboardInterrupt once
    the call runs. The call must still be cancelled in the loop (it used to keep running for its whole 60 s)."""
    import pandapon._portal as portal_module

    started, cancelled, armed = threading.Event(), threading.Event(), threading.Event()

    real_call_tasks = portal_module._call_tasks

    @contextlib.asynccontextmanager
    async def call_tasks(loop_backend: str) -> Any:
        async with real_call_tasks(loop_backend) as (soon, spawn):

            def interrupted(*args: Any) -> object:
                result = soon(*args)
                if armed.is_set():
                    armed.clear()
                    assert started.wait(5)
                    raise KeyboardInterrupt
                return result

            yield interrupted, spawn

    monkeypatch.setattr(portal_module, "_call_tasks", call_tasks)
    with make(slow_once(started, cancelled), backend=backend) as client:
        assert client.request("GET", "/warm") == 2
        armed.set()
        with pytest.raises(KeyboardInterrupt):
            client.request("GET", "/x")
        assert cancelled.wait(5), "the call kept running in the loop after its caller was interrupted"
        assert client.request("GET", "/x") == 2


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_close_racing_calls_that_are_still_connecting(backend: str) -> None:
    """Defect 4: on trio, close() cancelled connects inside httpcore's nursery and callers got a bare
    ``BaseExceptionGroup`` of ``trio.Cancelled``. Every caller must get ``ClientClosedError``."""
    server = socket.socket()  # listens but never accepts; with its backlog full, further connects hang
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = [socket.socket() for _ in range(4)]
    for filler in fillers:
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
    client = PandaPon(**CREDS, base_url=f"http://127.0.0.1:{port}", backend=backend, max_retries=0)
    outcomes: list[object] = []

    def call() -> None:
        try:
            outcomes.append(client.request("GET", "/x"))
        except BaseException as exc:  # what escapes is what this test checks
            outcomes.append(exc)

    threads = [threading.Thread(target=call) for _ in range(24)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.5)  # the calls are connecting
        client.close()
        for t in threads:
            t.join(10)
    finally:
        server.close()
        for filler in fillers:
            filler.close()
    assert len(outcomes) == 24, "a caller is stuck after close()"
    assert [type(o).__name__ for o in outcomes if not isinstance(o, ClientClosedError)] == []
