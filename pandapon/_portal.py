"""The sync client's engine: one thread running an event loop with anyio's ``BlockingPortal`` and the
``AsyncPandaPon`` living there.

Every sync call is ``portal.start_task_soon(coroutine_function, async_client).result()``: anyio's own route, with
three guards around it (a call from the loop's own thread, a process that forked, a client being closed) and one
translation (whatever cancellation a closing client causes reaches the caller as ``ClientClosedError``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, Literal, TypeVar, cast

import anyio
import attrs
from anyio.from_thread import BlockingPortal

from ._client import AsyncPandaPon
from ._exceptions import ClientClosedError, WrongThreadError
from ._options import ClientOptions

__all__ = ["Portal"]

T = TypeVar("T")

log = logging.getLogger("pandapon")

_all: weakref.WeakSet[Portal] = weakref.WeakSet()


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


class _Cancellable(Generic[T]):
    """One sync call as the loop runs it, with a handle the caller's thread can cancel it by at any moment."""

    __slots__ = ("abandoned", "done", "fn", "scope")

    def __init__(self, fn: Callable[[AsyncPandaPon], Awaitable[T]]) -> None:
        self.fn = fn
        self.scope: anyio.CancelScope | None = None
        self.abandoned = False
        self.done = False

    async def __call__(self, client: AsyncPandaPon) -> T:
        try:
            with anyio.CancelScope() as scope:
                self.scope = scope  # set before reading `abandoned`; abandon() writes in the other order
                if self.abandoned:
                    scope.cancel()
                return await self.fn(client)
            raise concurrent.futures.CancelledError  # abandoned by its caller, who no longer waits for it
        finally:
            self.done = True

    def abandon(self, portal: BlockingPortal) -> None:
        """The caller stopped waiting: cancel the call in the loop, whether it has started or not."""
        self.abandoned = True
        scope = self.scope
        if scope is not None and not self.done:
            try:
                portal.start_task_soon(scope.cancel)
            except RuntimeError:  # the portal has stopped: nothing runs any more
                pass


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
        _all.add(self)

    def _start(self) -> _Running:
        ready: concurrent.futures.Future[_Running] = concurrent.futures.Future()
        options, close_timeout = self._options, self._close_timeout

        async def main() -> None:
            client = AsyncPandaPon._from_options(options)
            try:
                await client._open(in_thread=False)  # this loop serves only this client: load here, before ready
                async with BlockingPortal() as portal:
                    cancelled = anyio.get_cancelled_exc_class()
                    ready.set_result(_Running(os.getpid(), threading.current_thread(), portal, client, cancelled))
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
        try:
            with self._lock:
                if self.closed:
                    raise _closed()
                running = self._running
                if running is None or running.pid != os.getpid():
                    running = self._running = self._start()
                future = running.portal.start_task_soon(call, running.client)
            return future.result()
        except concurrent.futures.CancelledError:  # the portal cancelled it: the client is closing
            raise _closed(in_flight=True) from None
        except BaseException as exc:
            if not call.done:  # interrupted while waiting (KeyboardInterrupt): cancel the call in the loop
                if running is not None:
                    call.abandon(running.portal)
            elif running is not None and _only_cancellation(exc, running.cancelled):
                raise _closed(in_flight=True) from None  # trio: a cancelled nursery inside the call
            raise

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

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._running = None


def _only_cancellation(exc: BaseException, cancelled: type[BaseException]) -> bool:
    """Whether ``exc`` is the loop's cancellation, or an exception group of nothing else."""
    if isinstance(exc, cancelled):
        return True
    inner: object = getattr(exc, "exceptions", None)
    members: tuple[object, ...] = cast("tuple[object, ...]", inner) if isinstance(inner, tuple) else ()
    return bool(members) and all(isinstance(e, BaseException) and _only_cancellation(e, cancelled) for e in members)


async def _identity(value: T) -> T:
    return value


def _after_fork_in_child() -> None:
    for portal in list(_all):
        portal.after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
