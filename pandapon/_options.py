"""Every client setting, written once: its name, type, default and check.

:class:`ClientOptions` is what both clients are built from. ``AsyncPandaPon(**options)``, ``PandaPon(**options)``
and ``with_options(**changes)`` all take :class:`OptionArgs` and end in :meth:`ClientOptions.create` or
:meth:`ClientOptions.evolve`, so a setting's default and its check live here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import attrs
import httpx

from ._exceptions import ConfigurationError
from ._retry import RetryPolicy
from ._signing import SIGNATURE_HEADERS, mask_key
from ._transport import DEFAULT_KEEPALIVE_EXPIRY, DEFAULT_MAX_CONNECTIONS, HTTPCORE_MAX_CONNECTIONS
from ._validate import is_count, is_seconds

if TYPE_CHECKING:
    from ._events import Observer, RequestHook, ResponseHook, RetryHook
    from ._ratelimit import RateLimiter
    from ._transport import Transport

__all__ = [
    "DEFAULT_AUTH_CODES",
    "DEFAULT_BASE_URL",
    "DEFAULT_KEEPALIVE_EXPIRY",
    "DEFAULT_MAX_CONNECTIONS",
    "HTTPCORE_MAX_CONNECTIONS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RATE_LIMIT_CODES",
    "DEFAULT_SUCCESS_CODES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TRANSIENT_CODES",
    "ClientOptions",
    "OptionArgs",
]

DEFAULT_BASE_URL = "https://api.pandapon.com"
#: Seconds per attempt (connect, write, read and pool wait each).
DEFAULT_TIMEOUT = 30.0
#: Retries after the first attempt.
DEFAULT_MAX_RETRIES = 2
#: ``200`` is the success code of every real example; ``0`` is what the address call's example shows.
DEFAULT_SUCCESS_CODES = frozenset({200, 0})
#: The platform's error-code table is not published: these are the codes FakePandaPon uses (inferred).
DEFAULT_AUTH_CODES = frozenset({401, 403})
DEFAULT_RATE_LIMIT_CODES = frozenset({429})
DEFAULT_TRANSIENT_CODES = frozenset({503})

#: The environment variable read for each credential (and the base URL) that is not passed.
ENVIRONMENT = {
    "access_key": "PANDAPON_ACCESS_KEY",
    "access_secret": "PANDAPON_ACCESS_SECRET",
    "user_id": "PANDAPON_USER_ID",
    "base_url": "PANDAPON_BASE_URL",
}


class OptionArgs(TypedDict, total=False):
    """The keyword arguments of ``AsyncPandaPon``, ``PandaPon`` and ``with_options`` (see :class:`ClientOptions`)."""

    access_key: str | None
    access_secret: str | None
    user_id: str | None
    base_url: str | None
    timeout: float | httpx.Timeout | None
    max_retries: int
    deadline: float | None
    signer: httpx.Auth | None
    query_signer: httpx.Auth | None
    rate_limiter: RateLimiter | None
    http_client: httpx.AsyncClient | None
    transport: httpx.AsyncBaseTransport | Transport | None
    max_connections: int | None
    max_keepalive: int | None
    keepalive_expiry: float
    default_headers: Mapping[str, str] | None
    timestamp_unit: Literal["s", "ms"]
    success_codes: Iterable[int] | None
    auth_codes: Iterable[int] | None
    rate_limit_codes: Iterable[int] | None
    transient_codes: Iterable[int] | None
    path_overrides: Mapping[str, str] | None
    endpoint_costs: Mapping[str, float] | None
    retry_policy: RetryPolicy | None
    observers: Iterable[Observer] | None
    on_request: RequestHook | None
    on_response: ResponseHook | None
    on_retry: RetryHook | None


# ---------------------------------------------------------------------------------------------- converters, checks


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is not None and not is_seconds(value):
        raise ConfigurationError(f"timeout must be positive seconds, an httpx.Timeout or None, got {value!r}")
    return httpx.Timeout(value)


def _codes(value: Iterable[int] | None, default: frozenset[int], name: str) -> frozenset[int]:
    if value is None:
        return default
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(f"{name} must be a collection of integers, got {value!r}")
    codes = frozenset(value)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        raise ConfigurationError(f"{name} must be integers, got {sorted(map(repr, codes))}")
    return codes


def _success_codes(value: Iterable[int] | None) -> frozenset[int]:
    return _codes(value, DEFAULT_SUCCESS_CODES, "success_codes")


def _auth_codes(value: Iterable[int] | None) -> frozenset[int]:
    return _codes(value, DEFAULT_AUTH_CODES, "auth_codes")


def _rate_limit_codes(value: Iterable[int] | None) -> frozenset[int]:
    return _codes(value, DEFAULT_RATE_LIMIT_CODES, "rate_limit_codes")


def _transient_codes(value: Iterable[int] | None) -> frozenset[int]:
    return _codes(value, DEFAULT_TRANSIENT_CODES, "transient_codes")


def _overrides(value: Mapping[str, str] | None) -> Mapping[str, str]:
    overrides = dict(value or {})
    for op, path in overrides.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigurationError(f"path_overrides[{op!r}] must be a path starting with '/', got {path!r}")
    return overrides


def _costs(value: Mapping[str, float] | None) -> Mapping[str, float]:
    costs = dict(value or {})
    for op, cost in costs.items():
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not cost >= 0:
            raise ConfigurationError(f"endpoint_costs[{op!r}] must be a non-negative number, got {cost!r}")
    return costs


def _headers(value: Mapping[str, str] | None) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"default_headers must be a mapping of str to str, got {type(value).__name__}")
    headers: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not isinstance(text, str) or not name:
            raise ConfigurationError(f"default_headers must map str to str, got {name!r}: {text!r}")
        if name.lower() in SIGNATURE_HEADERS:
            raise ConfigurationError(
                f"default_headers may not set {name!r}: the signer sets it on every request (signature headers: "
                f"{', '.join(sorted(SIGNATURE_HEADERS))}); pass signer= for another scheme"
            )
        headers[name.lower()] = text
    return headers


def _policy(value: RetryPolicy | None) -> RetryPolicy:
    if value is None:
        return RetryPolicy()
    if not isinstance(value, RetryPolicy):
        raise ConfigurationError(f"retry_policy must be a pandapon.RetryPolicy, got {type(value).__name__}")
    return value


def _observers(value: Iterable[Observer] | None) -> tuple[Observer, ...]:
    if value is None:  # the observer types load only for a client that has observers
        return ()
    from ._events import as_observers

    return as_observers(value)


def _check_hook(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        from ._events import check_hook

        check_hook(instance, attribute, value)


def _check_credential(instance: ClientOptions, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{attribute.name} must be a non-empty str, got {type(value).__name__}")


def _check_base_url(instance: ClientOptions, attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must start with http:// or https://, got {value!r}")


def _check_max_retries(instance: ClientOptions, attribute: object, value: int) -> None:
    if not is_count(value):
        raise ConfigurationError(f"max_retries must be a non-negative int, got {value!r}")


def _check_deadline(instance: ClientOptions, attribute: object, value: float | None) -> None:
    if value is not None and not is_seconds(value):
        raise ConfigurationError(f"deadline must be a positive number of seconds or None, got {value!r}")


def _check_unit(instance: ClientOptions, attribute: object, value: str) -> None:
    if value not in ("s", "ms"):
        raise ConfigurationError(f"timestamp_unit must be 's' or 'ms', got {value!r}")


def _check_auth(
    instance: ClientOptions, attribute: attrs.Attribute[httpx.Auth | None], value: httpx.Auth | None
) -> None:
    if value is not None and not isinstance(value, httpx.Auth):
        raise ConfigurationError(f"{attribute.name} must be an httpx.Auth, got {type(value).__name__}")


def _check_limiter(instance: ClientOptions, attribute: object, value: RateLimiter | None) -> None:
    if value is not None and not callable(getattr(value, "acquire", None)):
        raise ConfigurationError(f"rate_limiter must have an async acquire(cost) method, got {value!r}")


def _check_http_client(instance: ClientOptions, attribute: object, value: httpx.AsyncClient | None) -> None:
    if value is not None and not isinstance(value, httpx.AsyncClient):
        raise ConfigurationError(f"http_client must be an httpx.AsyncClient, got {type(value).__name__}")


def _check_transport(
    instance: ClientOptions, attribute: object, value: httpx.AsyncBaseTransport | Transport | None
) -> None:
    if value is None:
        return
    if instance.http_client is not None:
        raise ConfigurationError("pass either http_client or transport, not both")
    if not isinstance(value, httpx.AsyncBaseTransport) and not callable(getattr(value, "send", None)):
        raise ConfigurationError(
            f"transport must be an httpx.AsyncBaseTransport or a pandapon Transport, got {type(value).__name__}"
        )


def _check_max_connections(instance: ClientOptions, attribute: object, value: int | None) -> None:
    if value is not None and not (is_count(value) and value > 0):
        raise ConfigurationError(f"max_connections must be a positive int or None, got {value!r}")


def _check_max_keepalive(instance: ClientOptions, attribute: object, value: int | None) -> None:
    if value is not None and not is_count(value):
        raise ConfigurationError(f"max_keepalive must be a non-negative int or None, got {value!r}")


def _check_keepalive_expiry(instance: ClientOptions, attribute: object, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigurationError(f"keepalive_expiry must be non-negative seconds, got {value!r}")


#: The options that shape the default engines' connection pool (not a ``transport=`` or ``http_client=``).
POOL_OPTIONS = ("max_connections", "max_keepalive", "keepalive_expiry")


def _check_pool_with_transport(given: Mapping[str, object]) -> None:
    """Pool options configure the default engines: with ``transport=`` or ``http_client=`` they would do nothing."""
    own = [n for n in ("transport", "http_client") if given.get(n) is not None]
    pool = [n for n in POOL_OPTIONS if n in given]
    if own and pool:
        raise ConfigurationError(
            f"{', '.join(pool)} configure the default connection pool and would be ignored with {own[0]}=; "
            f"set the limits on the {own[0]} you pass"
        )


# ---------------------------------------------------------------------------------------------- the options


@attrs.frozen(repr=False, eq=False)  # no generated repr (it would show the secret); compared by identity
class ClientOptions:
    """Every setting of a client, converted and checked (a bad one raises :class:`ConfigurationError`).

    Attributes:
        access_key, access_secret, user_id: credentials; ``create`` reads ``PANDAPON_ACCESS_KEY``,
            ``PANDAPON_ACCESS_SECRET`` and ``PANDAPON_USER_ID`` for any not passed.
        base_url: ``create`` reads ``PANDAPON_BASE_URL``, else ``https://api.pandapon.com``.
        timeout: per attempt, for every request the SDK sends (with ``http_client`` too).
        max_retries: retries after the first attempt (non-idempotent calls only when nothing was sent).
        deadline: seconds one call may take in all, retries, waits and reconciliation included.
        signer, query_signer: ``httpx.Auth`` replacing the default header / query signer.
        rate_limiter: anything with ``async acquire(cost)``; unlimited by default.
        http_client: an ``httpx.AsyncClient`` to send through (the caller closes it).
        transport: an ``httpx.AsyncBaseTransport`` or a :class:`pandapon.Transport` (closed with the client).
        max_connections: connections open at once in the default engine's pool (default ``None``: 100 on aiohttp,
            16 on httpcore, whose pool slows down with many connections).
        max_keepalive: idle connections kept (default ``None``: up to ``max_connections``; ``0``: no keep-alive).
        keepalive_expiry: seconds an idle connection is kept (default 5).
        default_headers: headers sent with every request (lower-cased names), e.g. a ``user-agent`` replacing
            the SDK's ``pandapon/<version> (python <x.y>; <engine>/<version>)``.
        timestamp_unit: ``"s"`` or ``"ms"`` for the signed timestamp.
        success_codes, auth_codes, rate_limit_codes, transient_codes: business ``code`` sets.
        path_overrides: operation id → path, fixing an endpoint's path without a release.
        endpoint_costs: limiter cost per operation id (default 1).
        retry_policy: backoff settings.
        observers: :class:`pandapon.Observer` instances told about every call (e.g. ``pandapon.otel.OpenTelemetry``).
        on_request, on_response, on_retry: hooks called with each attempt's events (see docs/observability.md).
    """

    access_key: str = attrs.field(validator=_check_credential)
    access_secret: str = attrs.field(validator=_check_credential)
    user_id: str = attrs.field(validator=_check_credential)
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, validator=_check_base_url)
    timeout: httpx.Timeout = attrs.field(default=httpx.Timeout(DEFAULT_TIMEOUT), converter=_timeout)
    max_retries: int = attrs.field(default=DEFAULT_MAX_RETRIES, validator=_check_max_retries)
    deadline: float | None = attrs.field(default=None, validator=_check_deadline)
    signer: httpx.Auth | None = attrs.field(default=None, validator=_check_auth)
    query_signer: httpx.Auth | None = attrs.field(default=None, validator=_check_auth)
    rate_limiter: RateLimiter | None = attrs.field(default=None, validator=_check_limiter)
    http_client: httpx.AsyncClient | None = attrs.field(default=None, validator=_check_http_client)
    transport: httpx.AsyncBaseTransport | Transport | None = attrs.field(default=None, validator=_check_transport)
    max_connections: int | None = attrs.field(default=None, validator=_check_max_connections)
    max_keepalive: int | None = attrs.field(default=None, validator=_check_max_keepalive)
    keepalive_expiry: float = attrs.field(default=DEFAULT_KEEPALIVE_EXPIRY, validator=_check_keepalive_expiry)
    default_headers: Mapping[str, str] = attrs.field(default=None, converter=_headers)
    timestamp_unit: Literal["s", "ms"] = attrs.field(default="s", validator=_check_unit)
    success_codes: frozenset[int] = attrs.field(default=None, converter=_success_codes)
    auth_codes: frozenset[int] = attrs.field(default=None, converter=_auth_codes)
    rate_limit_codes: frozenset[int] = attrs.field(default=None, converter=_rate_limit_codes)
    transient_codes: frozenset[int] = attrs.field(default=None, converter=_transient_codes)
    path_overrides: Mapping[str, str] = attrs.field(default=None, converter=_overrides)
    endpoint_costs: Mapping[str, float] = attrs.field(default=None, converter=_costs)
    retry_policy: RetryPolicy = attrs.field(default=None, converter=_policy)
    observers: tuple[Observer, ...] = attrs.field(default=None, converter=_observers)
    on_request: RequestHook | None = attrs.field(default=None, validator=_check_hook)
    on_response: ResponseHook | None = attrs.field(default=None, validator=_check_hook)
    on_retry: RetryHook | None = attrs.field(default=None, validator=_check_hook)

    @classmethod
    def create(
        cls,
        access_key: str | None = None,
        access_secret: str | None = None,
        user_id: str | None = None,
        /,
        **options: Any,
    ) -> ClientOptions:
        """Build options from arguments, reading the environment for credentials and ``base_url`` not passed.

        Raises:
            ConfigurationError: a credential is missing (the message names its variable), or a setting is bad.
        """
        given = {"access_key": access_key, "access_secret": access_secret, "user_id": user_id}
        for name, value in given.items():
            if options.get(name) is not None:
                if value is not None:
                    raise ConfigurationError(f"{name} was passed twice")
                value = options.pop(name)
            else:
                options.pop(name, None)
            given[name] = value
        unknown = sorted(set(options) - _FIELDS)
        if unknown:
            raise ConfigurationError(f"unknown option(s) {', '.join(unknown)}; the options are {', '.join(_NAMES)}")
        _check_pool_with_transport(options)
        for name in ("access_key", "access_secret", "user_id"):
            value = given[name]
            if value is None or value == "":
                value = os.environ.get(ENVIRONMENT[name]) or None
            if value is None:
                what = name.replace("_", " ")
                raise ConfigurationError(
                    f"no {what}: pass {name}= to the client or set the environment variable {ENVIRONMENT[name]}"
                )
            options[name] = value
        options["base_url"] = options.get("base_url") or os.environ.get(ENVIRONMENT["base_url"]) or DEFAULT_BASE_URL
        return cls(**options)

    def evolve(self, **changes: Any) -> ClientOptions:
        """Return a copy with ``changes`` applied and checked again (what ``with_options`` does)."""
        unknown = sorted(set(changes) - _FIELDS)
        if unknown:
            raise ConfigurationError(f"unknown option(s) {', '.join(unknown)}; the options are {', '.join(_NAMES)}")
        _check_pool_with_transport({"transport": self.transport, "http_client": self.http_client, **changes})
        if "base_url" in changes and changes["base_url"] is None:
            changes["base_url"] = DEFAULT_BASE_URL
        if "http_client" in changes and changes["http_client"] is not None and "transport" not in changes:
            changes["transport"] = None  # a new http_client replaces the transport
        if "transport" in changes and changes["transport"] is not None and "http_client" not in changes:
            changes["http_client"] = None
        return attrs.evolve(self, **changes)

    def __repr__(self) -> str:
        return f"ClientOptions(access_key={mask_key(self.access_key)!r}, user_id={self.user_id!r}, base_url={self.base_url!r})"


_NAMES = tuple(a.name for a in attrs.fields(ClientOptions))
_FIELDS = frozenset(_NAMES)
