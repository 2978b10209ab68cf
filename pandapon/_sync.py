"""The sync facade: ``PandaPon`` runs the async client's coroutines through one anyio portal per client.

Nothing is re-implemented here. A ``PandaPon`` owns one background thread running an event loop with a
``BlockingPortal``; the ``AsyncPandaPon`` (and its connection pool) is created, used and closed inside that loop.
Generated sync resources delegate each call in one line to :meth:`PortalRunner.run`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import os
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec, TypeVar, overload

import anyio
import anyio.abc
import attrs
import httpx
from anyio.from_thread import BlockingPortal

from ._client import AsyncPandaPon, RawResponse, Settings, resolve_settings
from ._exceptions import ClientClosedError, ConfigurationError, InvalidInputError, WrongThreadError
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from ._signing import mask_key
from ._types import JSON, NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    from ._generated.addresses import Addresses
    from ._generated.alibaba import Alibaba
    from ._generated.logistics import Logistics
    from ._generated.taobao import Taobao

__all__ = ["PandaPon", "PortalRunner", "SyncRaw", "SyncResource"]

log = logging.getLogger("pandapon")

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")

_runners: weakref.WeakSet[PortalRunner] = weakref.WeakSet()


class _Call:
    """One sync call in flight: its outcome, and a lock the calling thread blocks on until the loop fills it."""

    __slots__ = ("_lock", "abandoned", "cancel", "done", "error", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.abandoned = False
        self.cancel: Callable[[], object] | None = None

    def finish(self, value: Any = None, error: BaseException | None = None) -> None:
        if not self.done:
            self.value, self.error, self.done = value, error, True
            self._lock.release()

    def wait(self) -> None:
        self._lock.acquire()


def _closed_in_flight() -> ClientClosedError:
    return ClientClosedError("the client was closed while this call was in flight")


def _closed() -> ClientClosedError:
    return ClientClosedError("this PandaPon client is closed; create a new one")


if sys.version_info >= (3, 12):

    def _new_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        # An eager task runs its first step now, in this callback, instead of one loop iteration later: a call that
        # never waits on I/O (an in-process transport) finishes without its task ever being scheduled.
        return asyncio.Task(coro, loop=loop, eager_start=True)

else:

    def _new_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return loop.create_task(coro)


class _LoopSide:
    """The portal loop's half of a sync call: starts it as a task there and finishes its ``_Call``.

    ``submit(fn, *args)`` is the loop's own thread-safe "call soon" (``loop.call_soon_threadsafe`` on asyncio,
    ``TrioToken.run_sync_soon`` on trio), so a call costs one hand-off into the loop and one back out. anyio's
    ``BlockingPortal.call`` costs one more: it waits for the loop to confirm the task was spawned before waiting for
    its result. Calls still run in the portal's loop, on its client, and are cancelled when the portal stops.
    """

    def __init__(self, backend: str, client: AsyncPandaPon, tg: anyio.abc.TaskGroup) -> None:
        self.client = client
        self._tg = tg
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        if backend == "asyncio":
            loop = asyncio.get_running_loop()
            self._loop: asyncio.AbstractEventLoop | None = loop

            def submit(fn: Callable[..., object], *args: Any) -> None:
                loop.call_soon_threadsafe(fn, *args, context=contextvars.copy_context())

        else:
            import trio

            token = trio.lowlevel.current_trio_token()
            self._loop = None

            def submit(fn: Callable[..., object], *args: Any) -> None:
                token.run_sync_soon(partial(contextvars.copy_context().run, fn, *args))

        self.submit = submit

    # Everything below runs in the loop thread.
    def start(self, call: _Call, fn: Callable[[AsyncPandaPon], Awaitable[Any]]) -> None:
        if call.abandoned:
            return
        if self._stopping:
            call.finish(error=_closed_in_flight())
            return
        try:
            if self._loop is not None:
                task = _new_task(self._loop, self._drive(call, fn))
                if not task.done():  # an eager task may have finished already
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    call.cancel = task.cancel
            else:
                self._tg.start_soon(self._drive, call, fn)
        except RuntimeError:  # the task group is closing: the client is being closed
            call.finish(error=_closed_in_flight())

    @staticmethod
    def abandon(call: _Call) -> None:
        call.abandoned = True
        if call.cancel is not None:
            call.cancel()

    async def _drive(self, call: _Call, fn: Callable[[AsyncPandaPon], Awaitable[Any]]) -> None:
        try:
            if self._loop is not None:
                call.finish(await fn(self.client))
                return
            if call.abandoned:  # trio: abandoned between start_soon and the task's first step
                return
            with anyio.CancelScope() as scope:  # trio: a scope of its own lets abandon() cancel just this call
                call.cancel = scope.cancel
                call.finish(await fn(self.client))
            if not call.done:  # the scope was cancelled (abandoned)
                call.finish(error=_closed_in_flight())
        except anyio.get_cancelled_exc_class():
            call.finish(error=_closed_in_flight())
            raise
        except BaseException as exc:
            call.finish(error=exc)
            if not isinstance(exc, Exception):
                raise

    async def cancel_all(self) -> None:
        """Cancel the calls still running (the portal is stopping) and wait for them to finish."""
        self._stopping = True
        self._tg.cancel_scope.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


@attrs.define
class _State:
    pid: int
    thread: threading.Thread
    portal: BlockingPortal
    loop_side: _LoopSide
    pending: set[_Call]


class PortalRunner:
    """One portal thread and the ``AsyncPandaPon`` living in it, started on first use.

    Thread-safe. After ``os.fork()`` the child starts its own portal and client on its next call (the parent's
    thread does not exist there). :meth:`close` cancels calls in flight and joins the thread within
    ``close_timeout`` seconds.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backend: Literal["asyncio", "trio"] = "asyncio",
        close_timeout: float = 5.0,
    ) -> None:
        self._settings = settings
        self.backend = backend
        self.close_timeout = close_timeout
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._closed = False
        _runners.add(self)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._state = None

    def _start(self) -> _State:
        ready: concurrent.futures.Future[tuple[BlockingPortal, _LoopSide]] = concurrent.futures.Future()
        settings = self._settings
        close_timeout = self.close_timeout
        backend = self.backend
        # Calls submitted but not finished. Whatever is left when the loop has ended (a submission that raced the
        # shutdown) is failed with ClientClosedError in the portal thread, so no caller waits forever.
        pending: set[_Call] = set()

        async def main() -> None:
            client: AsyncPandaPon | None = None
            try:
                async with BlockingPortal() as portal:
                    client = AsyncPandaPon._from_settings(settings)
                    async with anyio.create_task_group() as tg:
                        loop_side = _LoopSide(backend, client, tg)
                        ready.set_result((portal, loop_side))
                        await portal.sleep_until_stopped()
                        with anyio.move_on_after(close_timeout, shield=True):
                            await loop_side.cancel_all()
            finally:
                # Every call has finished or been cancelled: close the pool in its own loop.
                if client is not None:
                    with anyio.move_on_after(close_timeout, shield=True):
                        await client.aclose()

        def run() -> None:
            try:
                anyio.run(main, backend=backend)
            except BaseException as exc:  # pragma: no cover - surfaced to the caller below
                if not ready.done():
                    ready.set_exception(exc)
            finally:
                for call in list(pending):
                    call.finish(error=_closed_in_flight())

        thread = threading.Thread(target=run, name=f"pandapon-portal-{id(self):x}", daemon=True)
        thread.start()
        portal, loop_side = ready.result()
        return _State(os.getpid(), thread, portal, loop_side, pending)

    def _ensure(self) -> _State:
        state = self._state
        if state is not None and state.pid == os.getpid():
            return state
        with self._lock:
            if self._closed:
                raise _closed()
            state = self._state
            if state is None or state.pid != os.getpid():
                state = self._state = self._start()
            return state

    def run(self, fn: Callable[[AsyncPandaPon], Awaitable[T]]) -> T:
        """Run ``fn(async_client)`` in the portal's loop and return its result (raising its exception)."""
        state = self._ensure()
        if threading.current_thread() is state.thread:
            raise WrongThreadError(
                "a PandaPon (sync) method was called from inside its own event loop thread, which would deadlock; "
                "await the AsyncPandaPon method instead"
            )
        call = _Call()
        loop_side = state.loop_side
        state.pending.add(call)
        try:
            if self._closed:
                raise _closed()
            try:
                loop_side.submit(loop_side.start, call, fn)
            except RuntimeError as exc:  # the loop has ended (asyncio and trio both raise a RuntimeError)
                raise _closed() from exc
            call.wait()
        except BaseException:
            if not call.done:  # interrupted while waiting (KeyboardInterrupt): cancel the call in the loop
                try:
                    loop_side.submit(loop_side.abandon, call)
                except RuntimeError:
                    pass
            raise
        finally:
            state.pending.discard(call)
        error, call.error = call.error, None
        if error is not None:
            try:
                raise error
            finally:
                error = None  # no cycle through this frame (as concurrent.futures does)
        return call.value  # type: ignore[no-any-return]

    def iterate(self, make: Callable[[AsyncPandaPon], AsyncIterator[T]]) -> Iterator[T]:
        """Iterate an async iterator from the portal's loop, one item (one page fetch at most) per step."""
        state = self._ensure()
        iterator = self.run(lambda c: _make_iter(make, c))
        try:
            while True:
                try:
                    item = self.run(lambda _c: _anext(iterator))
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if self._state is state and not self._closed:
                try:
                    self.run(lambda _c: _aclose_iter(iterator))
                except ClientClosedError:
                    pass

    def close(self) -> None:
        """Cancel calls in flight, close the pool and stop the thread; returns within about ``close_timeout``."""
        with self._lock:
            self._closed = True
            state, self._state = self._state, None
        if state is None or state.pid != os.getpid():
            return
        try:
            stopping = state.portal.start_task_soon(state.portal.stop, True)
            stopping.result(timeout=self.close_timeout)
        except (RuntimeError, concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            pass
        state.thread.join(timeout=self.close_timeout)
        if state.thread.is_alive():  # pragma: no cover - a handler that ignores cancellation
            log.warning("the PandaPon portal thread did not stop within %.1fs; leaving it (daemon)", self.close_timeout)

    @property
    def closed(self) -> bool:
        return self._closed


async def _make_iter(make: Callable[[AsyncPandaPon], AsyncIterator[T]], client: AsyncPandaPon) -> AsyncIterator[T]:
    return make(client)


async def _anext(iterator: AsyncIterator[T]) -> T:
    return await iterator.__anext__()


async def _aclose_iter(iterator: AsyncIterator[Any]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


def _reset_after_fork() -> None:
    for runner in list(_runners):
        runner._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class SyncResource(Generic[A]):
    """Base of generated sync resources: each method delegates to its async twin through the portal."""

    def __init__(self, client: PandaPon, resolve: Callable[[AsyncPandaPon], A]) -> None:
        self._client = client
        self._resolve = resolve

    def _call(self, fn: Callable[Concatenate[A, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        resolve = self._resolve
        return self._client._run(lambda c: fn(resolve(c), *args, **kwargs))

    def _iter(
        self, fn: Callable[Concatenate[A, P], AsyncIterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Iterator[T]:
        resolve = self._resolve
        return self._client._iterate(lambda c: fn(resolve(c), *args, **kwargs))


class SyncRaw:
    """``client.raw`` on the sync client: a call's parsed result together with its HTTP response."""

    def __init__(self, client: PandaPon) -> None:
        self._client = client

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Run ``fn(*args, **kwargs)`` (a sync endpoint method or ``client.request``) and return its raw response."""
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", "")
        if isinstance(owner, SyncResource):
            resolve = owner._resolve

            def target(c: AsyncPandaPon) -> Callable[..., Awaitable[Any]]:
                return getattr(resolve(c), name)  # type: ignore[no-any-return]
        elif isinstance(owner, PandaPon) and name == "request":

            def target(c: AsyncPandaPon) -> Callable[..., Awaitable[Any]]:
                return c.request
        else:
            raise InvalidInputError(
                f"raw.call takes a PandaPon endpoint method or client.request, got {fn!r}", parameter="fn"
            )
        client = owner._client if isinstance(owner, SyncResource) else owner
        return client._run(lambda c: c.raw.call(target(c), *args, **kwargs))


class PandaPon:
    """The sync PandaPon client: the same arguments and method names as :class:`AsyncPandaPon`.

    Calls run on one background event loop per client through an anyio ``BlockingPortal`` (started on the first
    call), so logic exists once, async. Safe to share between threads. Use ``with`` or call :meth:`close`.

    Extra args:
        backend: ``"asyncio"`` (default) or ``"trio"`` for the background loop.
        close_timeout: the bound on :meth:`close` in seconds.
    """

    def __init__(
        self,
        access_key: str | None = None,
        access_secret: str | None = None,
        user_id: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = 30.0,
        max_retries: int = 2,
        deadline: float | None = None,
        signer: httpx.Auth | None = None,
        query_signer: httpx.Auth | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timestamp_unit: Literal["s", "ms"] = "s",
        success_codes: Iterable[int] | None = None,
        auth_codes: Iterable[int] | None = None,
        rate_limit_codes: Iterable[int] | None = None,
        transient_codes: Iterable[int] | None = None,
        path_overrides: Mapping[str, str] | None = None,
        endpoint_costs: Mapping[str, float] | None = None,
        retry_policy: RetryPolicy | None = None,
        backend: Literal["asyncio", "trio"] = "asyncio",
        close_timeout: float = 5.0,
    ) -> None:
        if backend not in ("asyncio", "trio"):
            raise ConfigurationError(f"backend must be 'asyncio' or 'trio', got {backend!r}")
        settings = resolve_settings(
            access_key,
            access_secret,
            user_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            signer=signer,
            query_signer=query_signer,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
            timestamp_unit=timestamp_unit,
            success_codes=success_codes,
            auth_codes=auth_codes,
            rate_limit_codes=rate_limit_codes,
            transient_codes=transient_codes,
            path_overrides=path_overrides,
            endpoint_costs=endpoint_costs,
            retry_policy=retry_policy,
        )
        self._settings = settings
        self._runner = PortalRunner(settings, backend=backend, close_timeout=close_timeout)
        self._view: Callable[[AsyncPandaPon], AsyncPandaPon] | None = None
        self.raw = SyncRaw(self)

    # The one way into the async client; every generated method ends here.
    def _run(self, fn: Callable[[AsyncPandaPon], Awaitable[T]]) -> T:
        view = self._view
        if view is None:
            return self._runner.run(fn)
        return self._runner.run(lambda c: fn(view(c)))

    def _iterate(self, make: Callable[[AsyncPandaPon], AsyncIterator[T]]) -> Iterator[T]:
        view = self._view
        if view is None:
            return self._runner.iterate(make)
        return self._runner.iterate(lambda c: make(view(c)))

    @cached_property
    def taobao(self) -> Taobao:
        """Taobao: ``products``, ``orders``, ``refunds`` (after-sales), ``cart``."""
        from ._generated.taobao import Taobao

        return Taobao(self)

    @cached_property
    def alibaba(self) -> Alibaba:
        """1688: ``products``, ``orders``, ``refunds`` (after-sales), ``cart``, ``marketing``."""
        from ._generated.alibaba import Alibaba

        return Alibaba(self)

    @cached_property
    def addresses(self) -> Addresses:
        """Foundations: the user's addresses."""
        from ._generated.addresses import Addresses

        return Addresses(self, lambda c: c.addresses)

    @cached_property
    def logistics(self) -> Logistics:
        """Warehouse logistics (query-signed ``/open/pp/logistics/*``)."""
        from ._generated.logistics import Logistics

        return Logistics(self, lambda c: c.logistics)

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        cast_to: None = None,
        idempotent: bool | None = None,
        auth: Literal["headers", "query-sign"] = "headers",
    ) -> JSON: ...

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        cast_to: type[T],
        idempotent: bool | None = None,
        auth: Literal["headers", "query-sign"] = "headers",
    ) -> T: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        cast_to: type[Any] | None = None,
        idempotent: bool | None = None,
        auth: Literal["headers", "query-sign"] = "headers",
    ) -> Any:
        """Call any path, signed and unwrapped like every endpoint (see :meth:`AsyncPandaPon.request`)."""
        return self._run(
            lambda c: c.request(
                method, path, json=json, params=params, cast_to=cast_to, idempotent=idempotent, auth=auth
            )
        )

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
    ) -> PandaPon:
        """Return a client with other per-call settings sharing this one's portal, connections and limiter."""
        # Validate now, in the caller's thread, by building the async view once on a throwaway basis.
        probe = AsyncPandaPon._from_settings(self._settings)
        probe.with_options(timeout=timeout, max_retries=max_retries, deadline=deadline)
        outer = self._view
        cache: dict[int, AsyncPandaPon] = {}

        def view(c: AsyncPandaPon) -> AsyncPandaPon:
            base = outer(c) if outer is not None else c
            twin = cache.get(id(base))
            if twin is None:
                cache.clear()
                twin = cache[id(base)] = base.with_options(timeout=timeout, max_retries=max_retries, deadline=deadline)
            return twin

        twin = PandaPon.__new__(PandaPon)
        twin._settings = self._settings
        twin._runner = self._runner
        twin._view = view
        twin.raw = SyncRaw(twin)
        return twin

    @property
    def clock_offset(self) -> float:
        """Seconds the signer adds to the local clock to match the platform's."""
        return self._run(_clock_offset)

    def close(self) -> None:
        """Cancel calls in flight, close connections and stop the background loop (bounded; never hangs)."""
        self._runner.close()

    def __enter__(self) -> PandaPon:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self._settings
        return f"PandaPon(access_key={mask_key(s.access_key)!r}, user_id={s.user_id!r}, base_url={s.config.base_url!r})"


async def _clock_offset(c: AsyncPandaPon) -> float:
    return c.clock_offset
