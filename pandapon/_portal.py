"""The sync client's engine: one thread running an event loop, anyio's ``BlockingPortal`` and the ``AsyncPandaPon``
living there.

The portal starts and stops the loop. Each sync call is one direct hand-off into the loop (the loop's own
thread-safe ``call_soon_threadsafe`` / ``TrioToken.run_sync_soon``, which starts the call as a task in the caller's
context) and one back (a ``concurrent.futures.Future``): two thread wake-ups, where
``BlockingPortal.start_task_soon`` takes three and more bookkeeping (benchmarks/RESULTS.md measures both on the same
loop; anyio < 4.16 has no public thread-safe "run soon"). Around it: three guards (a call from the loop's own
thread, a process that forked, a client being closed), a cancel handle (a Ctrl-C cancels the call in the loop,
even one that lands mid-hand-off) and one translation (whatever cancellation a closing client causes reaches the
caller as ``ClientClosedError``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import logging
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, Literal, TypeVar, cast

import anyio
import attrs
from anyio.from_thread import BlockingPortal

from ._backend import register_for_fork
from ._client import AsyncPandaPon
from ._exceptions import ClientClosedError, WrongThreadError
from ._options import ClientOptions

__all__ = ["Portal", "Started"]

T = TypeVar("T")

log = logging.getLogger("pandapon")


def _closed(in_flight: bool = False) -> ClientClosedError:
    if in_flight:
        return ClientClosedError("the client was closed while this call was in flight")
    return ClientClosedError("this PandaPon client is closed; create a new one")


@attrs.frozen
class _Running:
    pid: int
    thread: threading.Thread
    portal: BlockingPortal
    client: AsyncPandaPon
    cancelled: type[BaseException]  # the loop's cancellation exception (asyncio.CancelledError, trio.Cancelled)
    soon: Callable[..., object]  # the loop's own thread-safe "run this callback soon"
    spawn: Callable[[_Cancellable[Any], AsyncPandaPon], object]  # starts a call as a task (in the loop)


class _Cancellable(Generic[T]):
    """One sync call as the loop runs it: it fills ``future``, and the caller's thread can cancel it at any moment."""

    __slots__ = ("abandoned", "done", "fn", "future", "scope")

    def __init__(self, fn: Callable[[AsyncPandaPon], Awaitable[T]]) -> None:
        self.fn, self.future = fn, concurrent.futures.Future[T]()
        self.scope: anyio.CancelScope | None = None
        self.abandoned = self.done = False

    async def run(self, client: AsyncPandaPon) -> None:
        try:
            with anyio.CancelScope() as scope:
                self.scope = scope  # set before reading `abandoned`; abandon() writes in the other order
                if self.abandoned:
                    scope.cancel()
                self.future.set_result(await self.fn(client))
        except BaseException as exc:
            self.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # the loop's cancellation (a closing client) and KeyboardInterrupt go on
        finally:
            self.done = True

    def never_ran(self) -> None:
        """The loop stopped before the call started (or could start): the client is closing."""
        if not self.done:
            self.done = True
            self.future.set_exception(_closed(in_flight=True))

    def abandon(self, running: _Running) -> None:
        """The caller stopped waiting: cancel the call in the loop, whether it has started or not."""
        self.abandoned = True
        scope = self.scope
        if scope is not None and not self.done:
            try:
                running.soon(scope.cancel)
            except RuntimeError:  # the loop has finished: nothing runs any more
                pass


def _start(running: _Running, context: contextvars.Context, call: _Cancellable[Any]) -> None:
    """In the loop: start ``call`` as a task in the caller's ``context`` (the task copies it)."""
    try:
        context.run(running.spawn, call, running.client)
    except RuntimeError:  # the calls' nursery has closed: the client is closing
        call.never_ran()


@contextlib.asynccontextmanager
async def _call_tasks(backend: str) -> AsyncGenerator[tuple[Callable[..., object], Callable[..., object]], None]:
    """The loop's thread-safe scheduler and a spawner of call tasks; the tasks left are cancelled at the end."""
    if backend == "trio":
        import trio

        async with trio.open_nursery() as nursery:

            def start_soon(call: _Cancellable[Any], client: AsyncPandaPon) -> None:
                nursery.start_soon(call.run, client)

            yield trio.lowlevel.current_trio_token().run_sync_soon, start_soon
            nursery.cancel_scope.cancel()
        return
    import asyncio

    loop, tasks = asyncio.get_running_loop(), set[asyncio.Task[None]]()

    def spawn(call: _Cancellable[Any], client: AsyncPandaPon) -> None:
        task = loop.create_task(call.run(client))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(lambda _: call.never_ran())  # a task cancelled before it began ran no code

    try:
        yield loop.call_soon_threadsafe, spawn
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Portal:
    """One portal thread and the ``AsyncPandaPon`` living in its loop, started on first use.

    Thread-safe. After ``os.fork()`` the child starts its own on its next call (the parent's thread does not exist
    there). :meth:`close` cancels calls in flight, closes the pool in its loop and joins the thread, each step
    bounded by ``close_timeout``.
    """

    def __init__(self, options: ClientOptions, backend: Literal["asyncio", "trio"], close_timeout: float) -> None:
        self._options, self._backend, self._close_timeout = options, backend, close_timeout
        # Held while submitting, so close() never stops the loop under a submission it would strand.
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self.closed = False
        register_for_fork(self)

    def _start(self) -> _Running:
        ready: concurrent.futures.Future[_Running] = concurrent.futures.Future()
        options, close_timeout = self._options, self._close_timeout

        async def main() -> None:
            client = AsyncPandaPon._from_options(options)
            try:
                await client._open(in_thread=False)  # this loop serves only this client: load here, before ready
                async with BlockingPortal() as portal, _call_tasks(self._backend) as (soon, spawn):
                    cancelled, here = anyio.get_cancelled_exc_class(), threading.current_thread()
                    ready.set_result(_Running(os.getpid(), here, portal, client, cancelled, soon, spawn))
                    await portal.sleep_until_stopped()
            finally:  # every call has finished or been cancelled: close the pool in its own loop
                with anyio.move_on_after(close_timeout, shield=True):
                    await client.aclose()

        def run() -> None:
            try:
                anyio.run(main, backend=self._backend)
            except BaseException as exc:  # pragma: no cover - surfaced to the caller below
                if not ready.done():
                    ready.set_exception(exc)

        threading.Thread(target=run, name=f"pandapon-portal-{id(self):x}", daemon=True).start()
        return ready.result()

    def run(self, fn: Callable[[AsyncPandaPon], Awaitable[T]]) -> T:
        """Run ``fn(async_client)`` in the portal's loop and return its result (raising its exception)."""
        running = self._running
        if running is not None and threading.current_thread() is running.thread:
            raise WrongThreadError(
                "a PandaPon (sync) method was called from inside its own event loop thread, which would deadlock; "
                "await the AsyncPandaPon method instead"
            )
        call = _Cancellable(fn)
        # One try from the submission on: a KeyboardInterrupt can land while the call is being queued (inside the
        # loop's wake-up), when the loop may already run it and no future has come back yet; the call must then
        # still be cancelled in the loop, not left running.
        running = None
        try:
            running = self._submit(call)  # one hand-off into the loop
            return call.future.result()  # and one back
        except BaseException as exc:
            running = running or self._running  # interrupted inside _submit: the call may be queued already
            if not call.done:  # interrupted while waiting (KeyboardInterrupt): cancel the call in the loop
                if running is not None:
                    call.abandon(running)
            elif running is not None and _only_cancellation(exc, running.cancelled):
                raise _closed(in_flight=True) from None  # trio: a cancelled nursery inside the call
            raise

    def start(self, fn: Callable[[AsyncPandaPon], Awaitable[object]]) -> Started:
        """Start ``fn(async_client)`` as a task in the portal's loop and return at once (a bulk run's engine)."""
        finished = threading.Event()

        async def task(client: AsyncPandaPon) -> object:
            try:
                return await fn(client)
            finally:  # cancelled too: _Cancellable's scope swallows its own cancellation and sets no result
                finished.set()

        call = _Cancellable(task)
        return Started(call, self._submit(call), finished)

    def _submit(self, call: _Cancellable[Any]) -> _Running:
        """Queue ``call`` on the loop (started in this process if it was not: a fork leaves the loop thread behind)."""
        with self._lock:
            if self.closed:
                raise _closed()
            running = self._running
            if running is None or running.pid != os.getpid():
                running = self._running = self._start()
            running.soon(_start, running, contextvars.copy_context(), call)
        return running

    def iterate(self, make: Callable[[AsyncPandaPon], AsyncIterator[T]]) -> Iterator[T]:
        """Iterate an async iterator from the portal's loop, one item (one page fetch at most) per step."""
        iterator = self.run(lambda c: _identity(make(c)))
        try:
            while True:
                try:
                    item = self.run(lambda _c: anext(iterator))
                except StopAsyncIteration:
                    return
                yield item
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None and not self.closed:
                try:
                    self.run(lambda _c: aclose())
                except ClientClosedError:
                    pass

    def close(self) -> None:
        """Cancel calls in flight, close the pool and stop the thread (bounded by ``close_timeout``)."""
        with self._lock:
            self.closed = True
            running, self._running = self._running, None
        if running is None or running.pid != os.getpid():
            return
        try:
            running.portal.start_task_soon(running.portal.stop, True).result(timeout=self._close_timeout)
        except (RuntimeError, concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            pass
        running.thread.join(timeout=self._close_timeout)
        if running.thread.is_alive():  # pragma: no cover - a handler that ignores cancellation
            log.warning(
                "the PandaPon portal thread did not stop within %.1fs; leaving it (daemon)", self._close_timeout
            )

    def _after_fork_in_child(self) -> None:
        """A forked child has no loop thread: the next call starts one (with a lock no parent thread holds)."""
        self._lock = threading.Lock()
        self._running = None


class Started:
    """A task :meth:`Portal.start` started: :meth:`cancel` it from any thread, :meth:`wait` for its end."""

    def __init__(self, call: _Cancellable[object], running: _Running, finished: threading.Event) -> None:
        self._call, self._running, self._finished = call, running, finished

    def cancel(self) -> None:
        """Cancel the task in the loop (never blocks)."""
        self._call.abandon(self._running)

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the task to end (at once from the loop's own thread)."""
        if threading.current_thread() is self._running.thread or not self._running.thread.is_alive():
            return self._finished.is_set()
        return self._finished.wait(timeout) or self._call.done


def _only_cancellation(exc: BaseException, cancelled: type[BaseException]) -> bool:
    """Whether ``exc`` is the loop's cancellation, or an exception group of nothing else."""
    if isinstance(exc, cancelled):
        return True
    inner: object = getattr(exc, "exceptions", None)
    members: tuple[object, ...] = cast("tuple[object, ...]", inner) if isinstance(inner, tuple) else ()
    return bool(members) and all(isinstance(e, BaseException) and _only_cancellation(e, cancelled) for e in members)


async def _identity(value: T) -> T:
    return value
