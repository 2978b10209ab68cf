"""The sync facade: ``PandaPon`` runs the async client's coroutines through one anyio ``BlockingPortal`` per client.

Nothing is re-implemented here. A ``PandaPon`` owns one background thread whose event loop hosts a
``BlockingPortal`` and the ``AsyncPandaPon`` (with its connection pool); every sync method is
``portal.start_task_soon(coroutine_function, async_client).result()``. Generated sync resources reach it through
:class:`pandapon._facade.SyncResource`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

import anyio
import attrs
from anyio.from_thread import BlockingPortal

from ._client import AsyncPandaPon, RawResponse
from ._exceptions import ClientClosedError, ConfigurationError, InvalidInputError, WrongThreadError
from ._facade import SyncResource
from ._options import ClientOptions
from ._signing import mask_key

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._generated.addresses import Addresses
    from ._generated.alibaba import Alibaba
    from ._generated.logistics import Logistics
    from ._generated.taobao import Taobao
    from ._options import OptionArgs
    from ._types import JSON

__all__ = ["PandaPon", "SyncRaw"]

log = logging.getLogger("pandapon")

P = ParamSpec("P")
T = TypeVar("T")

_portals: weakref.WeakSet[_Portal] = weakref.WeakSet()


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


class _Portal:
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
        _portals.add(self)

    def _start(self) -> _Running:
        ready: concurrent.futures.Future[_Running] = concurrent.futures.Future()
        options, close_timeout = self._options, self._close_timeout

        async def main() -> None:
            client = AsyncPandaPon._from_options(options)
            try:
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
        with self._lock:
            if self.closed:
                raise _closed()
            running = self._running
            if running is None or running.pid != os.getpid():
                running = self._running = self._start()
            future = running.portal.start_task_soon(fn, running.client)
        try:
            return future.result()
        except concurrent.futures.CancelledError:  # the portal cancelled it: the client is closing
            raise _closed(in_flight=True) from None
        except BaseException as exc:
            if not future.done():  # interrupted while waiting (KeyboardInterrupt): cancel the call in the loop
                future.cancel()
            elif _only_cancellation(exc, running.cancelled):  # trio: a cancelled nursery inside the call
                raise _closed(in_flight=True) from None
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
    inner = getattr(exc, "exceptions", None)
    if isinstance(exc, BaseException) and isinstance(inner, tuple) and inner:
        return all(isinstance(e, BaseException) and _only_cancellation(e, cancelled) for e in inner)
    return isinstance(exc, cancelled)


async def _identity(value: T) -> T:
    return value


def _after_fork_in_child() -> None:
    for portal in list(_portals):
        portal.after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class SyncRaw:
    """``client.raw`` on the sync client: a call's parsed result together with its HTTP response."""

    def __init__(self, client: PandaPon) -> None:
        self._client = client

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Run ``fn(*args, **kwargs)`` (a sync endpoint method or ``client.request``) and return its raw response."""
        owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", "")
        if isinstance(owner, SyncResource) and isinstance(owner._runner, PandaPon):
            resolve, client = owner._resolve, owner._runner
        elif isinstance(owner, PandaPon) and name == "request":
            resolve, client = (lambda c: c), owner
        else:
            raise InvalidInputError(
                f"raw.call takes a PandaPon endpoint method or client.request, got {fn!r}", parameter="fn"
            )
        return client._run(lambda c: c.raw.call(getattr(resolve(c), name), *args, **kwargs))


class PandaPon:
    """The sync PandaPon client: the same arguments and method names as :class:`AsyncPandaPon`.

    Calls run on one background event loop per client through an anyio ``BlockingPortal`` (started on the first
    call), so logic exists once, async. Safe to share between threads. Use ``with`` or call :meth:`close`.

    Args:
        access_key, access_secret, user_id, **options: as for :class:`AsyncPandaPon` (docs/configuration.md).
        backend: ``"asyncio"`` (default) or ``"trio"`` for the background loop.
        close_timeout: the bound, in seconds, on each step of :meth:`close`.
    """

    def __init__(
        self,
        access_key: str | None = None,
        access_secret: str | None = None,
        user_id: str | None = None,
        /,
        *,
        backend: Literal["asyncio", "trio"] = "asyncio",
        close_timeout: float = 5.0,
        **options: Unpack[OptionArgs],
    ) -> None:
        if backend not in ("asyncio", "trio"):
            raise ConfigurationError(f"backend must be 'asyncio' or 'trio', got {backend!r}")
        self._options = ClientOptions.create(access_key, access_secret, user_id, **options)  # in the caller's thread
        self._runner = _Portal(self._options, backend, close_timeout)
        self._changes: dict[str, Any] = {}
        self._views: dict[int, tuple[AsyncPandaPon, AsyncPandaPon]] = {}
        self.raw = SyncRaw(self)

    @property
    def options(self) -> ClientOptions:
        """This client's settings (read-only; :meth:`with_options` makes a client with others)."""
        return self._options

    # The one way into the async client; every generated method ends here.
    def _run(self, fn: Callable[[AsyncPandaPon], Awaitable[T]]) -> T:
        if not self._changes:
            return self._runner.run(fn)
        return self._runner.run(lambda c: fn(self._view(c)))

    def _iterate(self, make: Callable[[AsyncPandaPon], AsyncIterator[T]]) -> Iterator[T]:
        if not self._changes:
            return self._runner.iterate(make)
        return self._runner.iterate(lambda c: make(self._view(c)))

    def _view(self, client: AsyncPandaPon) -> AsyncPandaPon:
        """The loop's client with this twin's changes (made once per loop client; runs in the loop thread)."""
        cached = self._views.get(id(client))
        if cached is None or cached[0] is not client:
            self._views = {id(client): (client, client.with_options(**self._changes))}
            cached = self._views[id(client)]
        return cached[1]

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

    def with_options(self, **changes: Unpack[OptionArgs]) -> PandaPon:
        """Return a client with other settings (any option) that shares this one's background loop, connections,
        signers and limiter wherever ``changes`` leave them as they are. Bad settings raise here, in your thread.
        """
        twin = PandaPon.__new__(PandaPon)
        twin._options = self._options.evolve(**changes)
        twin._runner = self._runner
        twin._changes = {**self._changes, **changes}
        twin._views = {}
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
        o = self._options
        return f"PandaPon(access_key={mask_key(o.access_key)!r}, user_id={o.user_id!r}, base_url={o.base_url!r})"


async def _clock_offset(c: AsyncPandaPon) -> float:
    return c.clock_offset
