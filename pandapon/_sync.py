"""The sync facade: ``PandaPon`` runs the async client's coroutines through one anyio ``BlockingPortal`` per client.

Nothing is re-implemented here: a ``PandaPon`` owns a :class:`~pandapon._portal.Portal` (one background thread
whose loop hosts the ``AsyncPandaPon`` and its connection pool) and hands it each call as a coroutine function of
the async client. Generated sync resources reach it through :class:`pandapon._facade.SyncResource`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

from ._client import AsyncPandaPon, RawResponse, checked, operation_entry
from ._exceptions import ClientClosedError, ConfigurationError, InvalidInputError
from ._facade import SyncResource
from ._options import ClientOptions
from ._portal import Portal, Started
from ._signing import mask_key
from ._validate import is_seconds

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._bulk import Bulk
    from ._generated.addresses import Addresses
    from ._generated.alibaba import Alibaba
    from ._generated.logistics import Logistics
    from ._generated.taobao import Taobao
    from ._options import OptionArgs
    from ._pipeline._per_call import CallOptions
    from ._types import JSON

__all__ = ["PandaPon", "SyncRaw"]

P = ParamSpec("P")
T = TypeVar("T")


class SyncRaw:
    """``client.raw`` on the sync client: a call's parsed result together with its HTTP response."""

    def __init__(self, client: PandaPon) -> None:
        self._client = client

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Run ``fn(*args, **kwargs)`` (a sync endpoint method or ``client.request``) and return its raw response."""
        owner: object = getattr(fn, "__self__", None)
        name: str = getattr(fn, "__name__", "")
        resolve: Callable[[AsyncPandaPon], object]
        if isinstance(owner, SyncResource) and isinstance(owner._runner, PandaPon):
            resolve, client = owner._resolve, owner._runner
        elif isinstance(owner, PandaPon) and name == "request":
            resolve, client = _itself, owner
        else:
            raise InvalidInputError(
                f"raw.call takes a PandaPon endpoint method or client.request, got {fn!r}", parameter="fn"
            )
        return client._run(lambda c: c.raw.call(getattr(resolve(c), name), *args, **kwargs))


def _check_loop(backend: object, close_timeout: object) -> None:
    """The background loop's settings, for the constructor and ``with_options`` alike."""
    if backend not in ("asyncio", "trio"):
        raise ConfigurationError(f"backend must be 'asyncio' or 'trio', got {backend!r}")
    if not is_seconds(close_timeout):
        raise ConfigurationError(f"close_timeout must be positive seconds, got {close_timeout!r}")


class PandaPon:
    """The sync PandaPon client: the same arguments and method names as :class:`AsyncPandaPon`.

    Calls run on one background event loop per client, started on the first call by an anyio ``BlockingPortal``
    (see ``_portal.py``), so logic exists once, async. Safe to share between threads. Use ``with`` or call :meth:`close`.

    Args:
        key, secret, user, **options: as for :class:`AsyncPandaPon` (docs/configuration.md).
        backend: ``"asyncio"`` (default) or ``"trio"`` for the background loop.
        close_timeout: the bound, in seconds, on each step of :meth:`close`.
    """

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        user: str | None = None,
        /,
        *,
        backend: Literal["asyncio", "trio"] = "asyncio",
        close_timeout: float = 5.0,
        **options: Unpack[OptionArgs],
    ) -> None:
        _check_loop(backend, close_timeout)
        self._options = checked(ClientOptions.create(key, secret, user, **options))  # in the caller's thread
        self._backend: Literal["asyncio", "trio"] = backend
        self._close_timeout = close_timeout
        self._runner = Portal(self._options, backend, close_timeout)
        self._borrowed = False  # a with_options twin on its parent's background loop
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

    def _start(self, fn: Callable[[AsyncPandaPon], Awaitable[object]]) -> Started:
        if not self._changes:
            return self._runner.start(fn)
        return self._runner.start(lambda c: fn(self._view(c)))

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
        **options: Unpack[CallOptions],
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
        **options: Unpack[CallOptions],
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
        **options: Unpack[CallOptions],
    ) -> Any:
        """Call any path, signed and unwrapped like every endpoint (see :meth:`AsyncPandaPon.request`)."""
        return self._run(
            lambda c: c.request(
                method,
                path,
                json=json,
                params=params,
                cast_to=cast_to,
                idempotent=idempotent,
                auth=auth,
                **options,
            )
        )

    @overload
    def bulk(
        self,
        operation: Callable[..., T],
        inputs: Iterable[object],
        *,
        concurrency: int = 8,
        order: Literal["completion", "input"] = "completion",
        on_error: Literal["collect", "raise"] = "collect",
        **options: Unpack[CallOptions],
    ) -> Bulk[T]: ...

    @overload
    def bulk(
        self,
        operation: str,
        inputs: Iterable[object],
        *,
        concurrency: int = 8,
        order: Literal["completion", "input"] = "completion",
        on_error: Literal["collect", "raise"] = "collect",
        **options: Unpack[CallOptions],
    ) -> Bulk[object]: ...

    def bulk(
        self,
        operation: str | Callable[..., Any],
        inputs: Iterable[object],
        *,
        concurrency: int = 8,
        order: Literal["completion", "input"] = "completion",
        on_error: Literal["collect", "raise"] = "collect",
        **options: Unpack[CallOptions],
    ) -> Bulk[Any]:
        """Call ``operation`` once per item of ``inputs``, at most ``concurrency`` at a time (see
        :meth:`AsyncPandaPon.bulk`): an iterator of :class:`~pandapon.BulkResult` and a context manager.

        The calls run on the client's loop; ``inputs`` is read in worker threads (a slow or blocking iterator never
        stalls the loop). :meth:`~pandapon.Bulk.close`, leaving ``with``, or an early ``break`` cancels the calls
        in flight. ``operation``: an operation id or a method of this client (``client.taobao.products.get``).
        """
        from ._bulk import Bulk, BulkRun

        resolve: Callable[[AsyncPandaPon], Callable[..., Awaitable[Any]]]
        owner: object = getattr(operation, "__self__", None)
        if isinstance(operation, str):
            operation_entry(operation)  # an unknown id raises here, in the caller's thread
            op_id = operation
            resolve = lambda c: c._operation(op_id)  # noqa: E731
        elif isinstance(owner, SyncResource) and owner._runner is self:
            find: Callable[[AsyncPandaPon], object] = owner._resolve
            name: str = getattr(operation, "__name__", "")
            resolve = lambda c: getattr(find(c), name)  # noqa: E731
        else:
            raise InvalidInputError(
                f"operation must be an operation id or a method of this client, got {operation!r}",
                parameter="operation",
            )
        engine = BulkRun[Any](
            inputs, concurrency=concurrency, order=order, on_error=on_error, options=options, threaded=True
        )
        return Bulk(self, engine, resolve, self._close_timeout)

    def with_options(
        self,
        *,
        backend: Literal["asyncio", "trio"] | None = None,
        close_timeout: float | None = None,
        **changes: Unpack[OptionArgs],
    ) -> PandaPon:
        """Return a client with other settings (any option of the constructor) that shares this one's background
        loop, connection pool, signers and limiter wherever ``changes`` leave them as they are (the sharing rules
        of :meth:`AsyncPandaPon.with_options`). Bad settings raise here, in your thread.

        A ``backend`` or ``close_timeout`` other than this client's gives the twin its own background loop (and so
        its own connections, signers and limiter state): close it too. A twin on this client's loop closes only
        the connections it made itself (``transport``, ``http_client`` or pool options); this client's stay open.
        """
        loop = self._backend if backend is None else backend
        close_timeout = self._close_timeout if close_timeout is None else close_timeout
        _check_loop(loop, close_timeout)
        twin = PandaPon.__new__(PandaPon)
        twin._options = checked(self._options.evolve(**changes))
        twin._backend, twin._close_timeout = loop, close_timeout
        if loop == self._backend and close_timeout == self._close_timeout:
            twin._runner, twin._borrowed, twin._changes = self._runner, True, {**self._changes, **changes}
        else:  # its own loop, whose client is built from the twin's options directly
            twin._runner, twin._borrowed, twin._changes = Portal(twin._options, loop, close_timeout), False, {}
        twin._views = {}
        twin.raw = SyncRaw(twin)
        return twin

    @property
    def clock_offset(self) -> float:
        """Seconds the signer adds to the local clock to match the platform's."""
        return self._run(_clock_offset)

    def close(self) -> None:
        """Cancel calls in flight, close connections and stop the background loop (bounded; never hangs).

        A ``with_options`` twin on its parent's loop closes only the connections it made itself.
        """
        if not self._borrowed:
            self._runner.close()
        elif self._views and not self._runner.closed:
            try:
                self._runner.run(lambda c: self._view(c).aclose())  # a no-op unless the twin made its own pool
            except ClientClosedError:
                pass

    def __enter__(self) -> PandaPon:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        o = self._options
        return f"PandaPon(access_key={mask_key(o.access_key)!r}, user_id={o.user_id!r}, base_url={o.base_url!r})"


def _itself(client: AsyncPandaPon) -> AsyncPandaPon:
    return client


async def _clock_offset(c: AsyncPandaPon) -> float:
    return float(c.clock_offset)
