"""The async client, ``AsyncPandaPon``, and the settings both clients resolve the same way."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, overload

import attrs
import httpx

from ._core import RAW_RESPONSES, ClientConfig, Core
from ._exceptions import ConfigurationError, InvalidInputError
from ._logging import setup_logging
from ._ratelimit import RateLimiter, Unlimited
from ._retry import RetryPolicy
from ._signing import HeaderSigner, QuerySigner, mask_key
from ._types import NOT_GIVEN, NotGiven, fields_repr

if TYPE_CHECKING:
    from ._generated.addresses import AsyncAddresses
    from ._generated.alibaba import AsyncAlibaba
    from ._generated.logistics import AsyncLogistics
    from ._generated.taobao import AsyncTaobao
    from ._types import JSON

__all__ = ["DEFAULT_BASE_URL", "AsyncPandaPon", "AsyncRaw", "RawResponse", "Settings", "resolve_settings"]

DEFAULT_BASE_URL = "https://api.pandapon.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
#: ``200`` is the success code of every real example; ``0`` is what the address call's example shows.
DEFAULT_SUCCESS_CODES = frozenset({200, 0})
#: The platform's error-code table is not published: these are the codes FakePandaPon uses (inferred).
DEFAULT_AUTH_CODES = frozenset({401, 403})
DEFAULT_RATE_LIMIT_CODES = frozenset({429})
DEFAULT_TRANSIENT_CODES = frozenset({503})

P = ParamSpec("P")
T = TypeVar("T")


@attrs.frozen(repr=False, eq=False)  # internal; no repr (it holds the secret), no value semantics
class Settings:
    """Everything a client is built from, resolved and validated (from arguments, then the environment)."""

    access_key: str = attrs.field(repr=mask_key)
    access_secret: str = attrs.field(repr=False)
    user_id: str
    config: ClientConfig
    signer: httpx.Auth | None
    query_signer: httpx.Auth | None
    rate_limiter: RateLimiter | None
    http_client: httpx.AsyncClient | None
    transport: httpx.AsyncBaseTransport | None
    timestamp_unit: Literal["s", "ms"]


def _from_env(value: str | None, name: str, what: str) -> str:
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        raise ConfigurationError(f"no {what}: pass it to the client or set the environment variable {name}")
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a str, got {type(value).__name__}")
    return value


def _codes(value: Iterable[int] | None, default: frozenset[int], name: str) -> frozenset[int]:
    if value is None:
        return default
    codes = frozenset(value)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        raise ConfigurationError(f"{name} must be integers, got {sorted(map(repr, codes))}")
    return codes


def resolve_settings(
    access_key: str | None = None,
    access_secret: str | None = None,
    user_id: str | None = None,
    *,
    base_url: str | None = None,
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
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
) -> Settings:
    """Resolve and validate client arguments; no I/O. Shared by ``AsyncPandaPon`` and ``PandaPon``."""
    key = _from_env(access_key, "PANDAPON_ACCESS_KEY", "access key")
    secret = _from_env(access_secret, "PANDAPON_ACCESS_SECRET", "access secret")
    user = _from_env(user_id, "PANDAPON_USER_ID", "user id")
    url = base_url or os.environ.get("PANDAPON_BASE_URL") or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must start with http:// or https://, got {url!r}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be a non-negative int, got {max_retries!r}")
    if deadline is not None and not deadline > 0:
        raise ConfigurationError(f"deadline must be a positive number of seconds or None, got {deadline!r}")
    if timestamp_unit not in ("s", "ms"):
        raise ConfigurationError(f"timestamp_unit must be 's' or 'ms', got {timestamp_unit!r}")
    if http_client is not None and transport is not None:
        raise ConfigurationError("pass either http_client or transport, not both")
    if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
        raise ConfigurationError(f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}")
    if rate_limiter is not None and not callable(getattr(rate_limiter, "acquire", None)):
        raise ConfigurationError(f"rate_limiter must have an async acquire(cost) method, got {rate_limiter!r}")
    overrides = dict(path_overrides or {})
    for op, path in overrides.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigurationError(f"path_overrides[{op!r}] must be a path starting with '/', got {path!r}")
    config = ClientConfig(
        base_url=url,
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        max_retries=max_retries,
        deadline=deadline,
        success_codes=_codes(success_codes, DEFAULT_SUCCESS_CODES, "success_codes"),
        auth_codes=_codes(auth_codes, DEFAULT_AUTH_CODES, "auth_codes"),
        rate_limit_codes=_codes(rate_limit_codes, DEFAULT_RATE_LIMIT_CODES, "rate_limit_codes"),
        transient_codes=_codes(transient_codes, DEFAULT_TRANSIENT_CODES, "transient_codes"),
        path_overrides=overrides,
        endpoint_costs=dict(endpoint_costs or {}),
        retry_policy=retry_policy or RetryPolicy(),
    )
    return Settings(
        access_key=key,
        access_secret=secret,
        user_id=user,
        config=config,
        signer=signer,
        query_signer=query_signer,
        rate_limiter=rate_limiter,
        http_client=http_client,
        transport=transport,
        timestamp_unit=timestamp_unit,
    )


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
        access_key, access_secret, user_id: credentials; default to ``PANDAPON_ACCESS_KEY``,
            ``PANDAPON_ACCESS_SECRET`` and ``PANDAPON_USER_ID``.
        base_url: defaults to ``PANDAPON_BASE_URL`` or ``https://api.pandapon.com``.
        timeout: per-attempt timeout in seconds (or an ``httpx.Timeout``).
        max_retries: retries after the first attempt (non-idempotent calls are retried only when the request
            provably never left).
        deadline: seconds one call may take in all, retries and waits included (``None``: no deadline).
        signer: any ``httpx.Auth``; replaces the default :class:`~pandapon.HeaderSigner`.
        query_signer: the signer of the query-signed ``/open/pp/logistics/*`` endpoints.
        rate_limiter: anything with ``async acquire(cost)``; unlimited by default.
        http_client: an ``httpx.AsyncClient`` to send through (its transport, headers and hooks apply; the
            caller closes it).
        transport: an ``httpx.AsyncBaseTransport`` to send through directly (faster; closed with the client).
        timestamp_unit: ``"s"`` (default) or ``"ms"`` for the signed timestamp.
        success_codes, auth_codes, rate_limit_codes, transient_codes: business ``code`` sets.
        path_overrides: ``{"taobao.orders.list": "/open/order/list"}`` fixes an endpoint's path without a release.
        endpoint_costs: limiter cost per operation id (default 1).
        retry_policy: backoff settings.

    Constructing does no I/O. Use ``async with`` or call :meth:`aclose`.
    """

    def __init__(
        self,
        access_key: str | None = None,
        access_secret: str | None = None,
        user_id: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
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
    ) -> None:
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
        self._init(settings)

    @classmethod
    def _from_settings(cls, settings: Settings) -> AsyncPandaPon:
        self = cls.__new__(cls)
        self._init(settings)
        return self

    def _init(self, settings: Settings) -> None:
        setup_logging()
        self._settings = settings
        unit = settings.timestamp_unit
        signer = settings.signer or HeaderSigner(
            settings.access_key, settings.access_secret, settings.user_id, timestamp_unit=unit
        )
        query_signer = settings.query_signer or QuerySigner(
            settings.access_key, settings.access_secret, settings.user_id, timestamp_unit=unit
        )
        self._core = Core(
            config=settings.config,
            signer=signer,
            query_signer=query_signer,
            rate_limiter=settings.rate_limiter or Unlimited(),
            http_client=settings.http_client,
            transport=settings.transport,
        )
        self.raw = AsyncRaw()

    # ------------------------------------------------------------------ resource groups (imported lazily)

    @cached_property
    def taobao(self) -> AsyncTaobao:
        """Taobao: ``products``, ``orders``, ``refunds`` (after-sales), ``cart``."""
        from ._generated.taobao import AsyncTaobao

        return AsyncTaobao(self._core)

    @cached_property
    def alibaba(self) -> AsyncAlibaba:
        """1688: ``products``, ``orders``, ``refunds`` (after-sales), ``cart``, ``marketing``."""
        from ._generated.alibaba import AsyncAlibaba

        return AsyncAlibaba(self._core)

    @cached_property
    def addresses(self) -> AsyncAddresses:
        """Foundations: the user's addresses."""
        from ._generated.addresses import AsyncAddresses

        return AsyncAddresses(self._core)

    @cached_property
    def logistics(self) -> AsyncLogistics:
        """Warehouse logistics (query-signed ``/open/pp/logistics/*``)."""
        from ._generated.logistics import AsyncLogistics

        return AsyncLogistics(self._core)

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
        """
        method = method.upper()
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidInputError(f"path must start with '/', got {path!r}", parameter="path")
        from ._endpoint import Endpoint

        endpoint = Endpoint(
            operation_id=f"raw {method} {path}",
            method=method,
            path=path,
            location="body" if json is not None else None,
            result=cast_to,
            idempotent=method in ("GET", "HEAD") if idempotent is None else idempotent,
            auth=auth,
        )
        return await self._core.call(endpoint, json, params=params)

    # ------------------------------------------------------------------ options and lifecycle

    @property
    def clock_offset(self) -> float:
        """Seconds the signer adds to the local clock to match the platform's."""
        return self._core.clock_offset

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPandaPon:
        """Return a client with other per-call settings that shares this one's connections and limiter."""
        config = self._core.config
        changes: dict[str, Any] = {}
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if not isinstance(max_retries, NotGiven):
            if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
                raise ConfigurationError(f"max_retries must be a non-negative int, got {max_retries!r}")
            changes["max_retries"] = max_retries
        if not isinstance(deadline, NotGiven):
            if deadline is not None and not deadline > 0:
                raise ConfigurationError(f"deadline must be positive seconds or None, got {deadline!r}")
            changes["deadline"] = deadline
        twin = AsyncPandaPon.__new__(AsyncPandaPon)
        twin._settings = self._settings
        twin._core = self._core.with_config(attrs.evolve(config, **changes))
        twin.raw = self.raw
        return twin

    async def aclose(self) -> None:
        """Close the connection pool the SDK created (a caller's ``http_client`` stays open)."""
        await self._core.aclose()

    async def __aenter__(self) -> AsyncPandaPon:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        s = self._settings
        return f"AsyncPandaPon(access_key={mask_key(s.access_key)!r}, user_id={s.user_id!r}, base_url={s.config.base_url!r})"
