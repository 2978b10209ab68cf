"""The async client, ``AsyncPandaPon``: settings from :mod:`pandapon._options`, calls through the pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, cast, overload

import attrs
import httpx

from ._exceptions import ConfigurationError, InvalidInputError
from ._logging import setup_logging
from ._signing import mask_key
from ._types import fields_repr

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._bulk import AsyncBulk
    from ._endpoint import Endpoint
    from ._generated.addresses import AsyncAddresses
    from ._generated.alibaba import AsyncAlibaba
    from ._generated.logistics import AsyncLogistics
    from ._generated.taobao import AsyncTaobao
    from ._options import ClientOptions, OptionArgs
    from ._pipeline import Pipeline
    from ._pipeline._per_call import CallOptions
    from ._types import JSON

__all__ = ["AsyncPandaPon", "AsyncRaw", "RawResponse"]

P = ParamSpec("P")
T = TypeVar("T")


@attrs.frozen(repr=False, eq=False)  # repr: _types.fields_repr (import time)
class RawResponse(Generic[T]):
    """A parsed result with the HTTP response it came from.

    Attributes:
        parsed: what the call returns normally.
        http_response: the ``httpx.Response`` (body read).
        status_code, headers: shortcuts into it.
        request_id: the envelope's ``requestId``, when present.
    """

    parsed: T
    http_response: httpx.Response = attrs.field(repr=False)

    __repr__ = fields_repr

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        try:
            value = self.http_response.json().get("requestId")
        except (ValueError, AttributeError):
            return None
        return None if value is None else str(value)


class AsyncRaw:
    """``client.raw``: run any call and get its :class:`RawResponse` (parsed result plus the HTTP response)."""

    async def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Await ``fn(*args, **kwargs)`` (an endpoint method or ``client.request``) and return it with its response.

        Example:
            ``raw = await client.raw.call(client.taobao.orders.update_warehouse, oid, "WH1", "Guangxi")``
        """
        responses: list[httpx.Response] = []
        from ._pipeline import RAW_RESPONSES

        token = RAW_RESPONSES.set(responses)
        try:
            parsed = await fn(*args, **kwargs)
        finally:
            RAW_RESPONSES.reset(token)
        if not responses:
            raise InvalidInputError(
                f"{getattr(fn, '__qualname__', fn)!r} made no PandaPon call; pass an endpoint method or client.request",
                parameter="fn",
            )
        return RawResponse(parsed, responses[-1])


class AsyncPandaPon:
    """The async PandaPon client.

    Args:
        key, secret, user: the credentials, positionally (or as ``access_key=``, ``access_secret=``, ``user_id=``);
            default to ``PANDAPON_ACCESS_KEY``,
            ``PANDAPON_ACCESS_SECRET`` and ``PANDAPON_USER_ID``.
        **options: any setting of :class:`~pandapon.ClientOptions` (``base_url``, ``timeout``, ``max_retries``,
            ``deadline``, ``signer``, ``rate_limiter``, ``http_client``, ``transport``, ``path_overrides``, ...);
            each one's default and meaning are in docs/configuration.md.

    Constructing does no I/O; a bad setting raises :class:`~pandapon.ConfigurationError`. Use ``async with`` or
    call :meth:`aclose`.
    """

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        user: str | None = None,
        /,
        **options: Unpack[OptionArgs],
    ) -> None:
        # The options and the pipeline load with the first client, not at `import pandapon`.
        from ._options import ClientOptions

        self._init(_pipeline(checked(ClientOptions.create(key, secret, user, **options))))

    @classmethod
    def _from_options(cls, options: ClientOptions) -> AsyncPandaPon:
        """A client built from resolved options (the sync facade builds its loop's client this way)."""
        self = cls.__new__(cls)
        self._init(_pipeline(options))
        return self

    def _init(self, pipeline: Pipeline) -> None:
        setup_logging()
        self._pipeline = pipeline
        self.raw = AsyncRaw()

    @property
    def options(self) -> ClientOptions:
        """This client's settings (read-only; :meth:`with_options` makes a client with others)."""
        return self._pipeline.options

    # ------------------------------------------------------------------ resource groups (imported lazily)

    @cached_property
    def taobao(self) -> AsyncTaobao:
        """Taobao: ``products``, ``orders``, ``refunds`` (after-sales), ``cart``."""
        from ._generated.taobao import AsyncTaobao

        return AsyncTaobao(self._pipeline)

    @cached_property
    def alibaba(self) -> AsyncAlibaba:
        """1688: ``products``, ``orders``, ``refunds`` (after-sales), ``cart``, ``marketing``."""
        from ._generated.alibaba import AsyncAlibaba

        return AsyncAlibaba(self._pipeline)

    @cached_property
    def addresses(self) -> AsyncAddresses:
        """Foundations: the user's addresses."""
        from ._generated.addresses import AsyncAddresses

        return AsyncAddresses(self._pipeline)

    @cached_property
    def logistics(self) -> AsyncLogistics:
        """Warehouse logistics (query-signed ``/open/pp/logistics/*``)."""
        from ._generated.logistics import AsyncLogistics

        return AsyncLogistics(self._pipeline)

    # ------------------------------------------------------------------ escape hatch

    @overload
    async def request(
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
    async def request(
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

    async def request(
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
        """Call any path, signed, limited, retried and unwrapped like every endpoint.

        For endpoints the SDK does not know or the docs got wrong. Returns the envelope's ``data``, structured
        into ``cast_to`` when given (an attrs model or a plain type), else as JSON.

        Args:
            method: HTTP method.
            path: path below the base URL, e.g. ``"/open/order/detail/get"``.
            json: the JSON body.
            params: query parameters.
            cast_to: the type to structure ``data`` into.
            idempotent: whether retrying after a possible delivery is safe; defaults to ``True`` for GET.
            auth: ``"headers"`` or ``"query-sign"``.
            **options: the per-call options every endpoint method takes (:class:`~pandapon.CallOptions`,
                docs/configuration.md); ``extra_body`` is merged over ``json``, ``extra_query`` over ``params``.
        """
        method = method.upper()
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidInputError(f"path must start with '/', got {path!r}", parameter="path")
        from ._endpoint import Endpoint

        endpoint: Endpoint[Any] = Endpoint(
            operation_id=f"raw {method} {path}",
            method=method,
            path=path,
            location="body" if json is not None else None,
            result=cast_to,
            idempotent=method in ("GET", "HEAD") if idempotent is None else idempotent,
            auth=auth,
        )
        return await self._pipeline.call(endpoint, json, options, params=params)

    @overload
    def bulk(
        self,
        operation: Callable[..., Awaitable[T]],
        inputs: Iterable[object] | AsyncIterable[object],
        *,
        concurrency: int = 8,
        order: Literal["completion", "input"] = "completion",
        on_error: Literal["collect", "raise"] = "collect",
        **options: Unpack[CallOptions],
    ) -> AsyncBulk[T]: ...

    @overload
    def bulk(
        self,
        operation: str,
        inputs: Iterable[object] | AsyncIterable[object],
        *,
        concurrency: int = 8,
        order: Literal["completion", "input"] = "completion",
        on_error: Literal["collect", "raise"] = "collect",
        **options: Unpack[CallOptions],
    ) -> AsyncBulk[object]: ...

    def bulk(
        self,
        operation: str | Callable[..., Awaitable[Any]],
        inputs: Iterable[object] | AsyncIterable[object],
        *,
        concurrency: int = 8,
        order: Literal["completion", "input"] = "completion",
        on_error: Literal["collect", "raise"] = "collect",
        **options: Unpack[CallOptions],
    ) -> AsyncBulk[Any]:
        """Call ``operation`` once per item of ``inputs``, at most ``concurrency`` calls at a time.

        ``async with client.bulk(...) as results: async for r in results:`` (leaving the block cancels the calls in
        flight). Each item is one ordinary call (limiter, retries, deadline apply); the run never re-sends one.

        Args:
            operation: an operation id (``"taobao.products.get"``) or a method (``client.taobao.products.get``).
            inputs: mappings of keyword arguments (iterable or async iterable), read as the run goes; a malformed
                item becomes that item's :class:`InvalidInputError`.
            concurrency: the most calls in flight at once.
            order: yield results as they complete, or in input order (a bounded reorder buffer).
            on_error: ``"collect"`` (a :class:`~pandapon.BulkResult` per item) or ``"raise"`` (the first error
                stops the run and is raised from the iterator).
            **options: per-call options (:class:`~pandapon.CallOptions`) for every item (an item's own win).
        """
        from ._bulk import AsyncBulk, BulkRun

        engine = BulkRun[Any](inputs, concurrency=concurrency, order=order, on_error=on_error, options=options)
        return AsyncBulk(engine, self._operation(operation))

    def _operation(self, operation: object) -> Callable[..., Awaitable[Any]]:
        """The method an operation id or a method names (on this client)."""
        if isinstance(operation, str):
            resource, name = operation_entry(operation)
            target: Any = self
            for part in resource.split("."):
                target = getattr(target, part)
            return cast("Callable[..., Awaitable[Any]]", getattr(target, name))
        if callable(operation):
            return cast("Callable[..., Awaitable[Any]]", operation)
        raise InvalidInputError(f"operation: an operation id or a method, got {operation!r}", parameter="operation")

    # ------------------------------------------------------------------ options and lifecycle

    @property
    def clock_offset(self) -> float:
        """Seconds the signer adds to the local clock to match the platform's."""
        return self._pipeline.clock_offset

    def with_options(self, **changes: Unpack[OptionArgs]) -> AsyncPandaPon:
        """Return a client with other settings (any option of the constructor) that shares this one's connection
        pool, signers and limiter wherever ``changes`` leave them as they are.

        - ``transport``, ``http_client``, ``max_connections``, ``max_keepalive``, ``keepalive_expiry``: the twin
          gets its own connections; close the twin too (closing this client leaves them open).
        - ``access_key``, ``access_secret``, ``user_id``, ``signer``, ``query_signer``, ``timestamp_unit``: its own
          signers (and clock-skew correction); ``rate_limiter``: that limiter instead of this one's.
        - Everything else (``timeout``, ``max_retries``, ``deadline``, ``base_url``, ``default_headers``,
          ``path_overrides``, ``endpoint_costs``, the code sets, ``retry_policy``, ``observers``, the hooks) only
          changes how the twin's calls are built, judged and observed: it shares the pool, which this client owns.
        """
        twin = AsyncPandaPon.__new__(AsyncPandaPon)
        twin._init(self._pipeline.with_options(checked(self.options.evolve(**changes))))
        twin.raw = self.raw
        return twin

    async def aclose(self) -> None:
        """Close the connection pool the SDK created (a caller's ``http_client`` stays open)."""
        await self._pipeline.aclose()

    async def _open(self, *, in_thread: bool) -> None:
        """Load the engine and the converter and make the transport (see ``Pipeline.open``)."""
        await self._pipeline.open(in_thread=in_thread)

    async def __aenter__(self) -> AsyncPandaPon:
        # The HTTP engine and the converter load in a worker thread here (else on the first call), not on the
        # event loop: aiohttp's import alone would stall every other task for tens of milliseconds.
        await self._open(in_thread=True)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        o = self.options
        return f"AsyncPandaPon(access_key={mask_key(o.access_key)!r}, user_id={o.user_id!r}, base_url={o.base_url!r})"


def closest_operations(name: str, n: int = 3) -> list[str]:
    """The operation ids closest to a misspelled ``name`` (by similarity, else by its last part), at most ``n``."""
    import difflib

    from ._generated.operations import OPERATIONS

    close = difflib.get_close_matches(name, OPERATIONS, n=n, cutoff=0.6)
    return close or [op for op in OPERATIONS if name.split(".")[-1] in op][:n]


def operation_entry(name: str) -> tuple[str, str]:
    """``(resource path, method name)`` of the operation ``name``, or an :class:`InvalidInputError` with hints."""
    from ._generated.operations import OPERATIONS

    entry = OPERATIONS.get(name)
    if entry is None:
        close = " or ".join(repr(c) for c in closest_operations(name))
        hint = f"; did you mean {close}?" if close else ""
        raise InvalidInputError(f"unknown operation {name!r}{hint} (see `pandapon operations`)", parameter="operation")
    return entry[0], entry[1]


def checked(options: ClientOptions) -> ClientOptions:
    """``options``, once its ``path_overrides`` keys are known operation ids (a typo would silently change nothing).

    Raises:
        ConfigurationError: naming the unknown key and the closest operation ids.
    """
    if options.path_overrides:
        from ._generated.operations import OPERATIONS

        for op in options.path_overrides:
            if op not in OPERATIONS:
                close = closest_operations(str(op))
                hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
                raise ConfigurationError(
                    f"path_overrides: unknown operation {op!r}{hint} (`pandapon operations` lists the ids)"
                )
    return options


def _pipeline(options: ClientOptions) -> Pipeline:
    from ._pipeline import Pipeline

    return Pipeline(options)
