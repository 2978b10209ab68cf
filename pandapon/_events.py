"""What the SDK tells observers about every call: the events, the :class:`Observer` base class, and the observer
that runs the ``on_request`` / ``on_response`` / ``on_retry`` hooks.

One route for everything that watches calls: the hooks are one observer, ``pandapon.otel.OpenTelemetry`` is another;
the pipeline calls observers through :mod:`pandapon._pipeline._observe` and nowhere else. Events never carry a
secret: URLs have their signature and key query parameters replaced by ``REDACTED`` and no event has headers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias

import attrs

from ._exceptions import ConfigurationError

__all__ = [
    "CallEnd",
    "CallStart",
    "HookObserver",
    "Observer",
    "RequestEvent",
    "RequestHook",
    "ResponseEvent",
    "ResponseHook",
    "RetryEvent",
    "RetryHook",
    "as_observers",
    "check_hook",
]


@attrs.frozen
class CallStart:
    """An SDK call begins (before its first attempt waits on the rate limiter).

    Attributes:
        operation: the operation id, e.g. ``taobao.orders.update_warehouse`` (``raw POST /path`` for ``client.request``).
        method: the HTTP method.
        route: the path template, e.g. ``/open/order/{id}`` (a ``path_overrides`` entry when set).
        server_address, server_port: the base URL's host and port.
    """

    operation: str
    method: str
    route: str
    server_address: str
    server_port: int


@attrs.frozen
class RequestEvent:
    """An attempt is about to be sent: the rate limiter let it through and it is signed.

    Attributes:
        operation, method, route: as in :class:`CallStart`.
        url: the full URL with secrets redacted (signature and key query parameters read ``REDACTED``).
        attempt: 1 for the first attempt, 2 for the first retry...
        limiter_wait: seconds this attempt waited on the rate limiter.
    """

    operation: str
    method: str
    route: str
    url: str
    attempt: int
    limiter_wait: float


@attrs.frozen
class ResponseEvent:
    """An attempt ended: an answer was read (a success or a typed error) or the attempt failed without one.

    Attributes:
        operation, method, route, url, attempt: as in :class:`RequestEvent`.
        status: the HTTP status, or ``None`` when no answer came (a connection failure, a timeout).
        code: the envelope's business ``code``, when there was one.
        request_id: the envelope's ``requestId``, when there was one.
        elapsed: seconds from sending to the answer being read (the limiter wait not included).
        error: the attempt's failure, or ``None`` for a success (it may still be retried; see :class:`RetryEvent`).
    """

    operation: str
    method: str
    route: str
    url: str
    attempt: int
    status: int | None
    code: int | str | None
    request_id: str | None
    elapsed: float
    error: Exception | None


@attrs.frozen
class RetryEvent:
    """A failed attempt will be retried after ``delay`` seconds.

    Attributes:
        operation, method, route, url: as in :class:`RequestEvent`.
        attempt: the attempt that failed (the next one is ``attempt + 1``).
        reason: why it is retried: ``HTTP 503``, ``Retry-After``, ``connection failed before sending``,
            ``connection failed after sending (idempotent)`` or ``clock skew corrected``.
        delay: seconds before the next attempt.
        error: the failure being retried.
    """

    operation: str
    method: str
    route: str
    url: str
    attempt: int
    reason: str
    delay: float
    error: Exception


@attrs.frozen
class CallEnd:
    """An SDK call ended, with its result or its error (after every retry and any reconciliation).

    Attributes:
        operation, method, route, server_address, server_port: as in :class:`CallStart`.
        url: the last attempt's URL, redacted (``None`` if the call failed before building one).
        attempts: how many attempts were made (``0`` if none got as far as the limiter).
        status, code, request_id: the last attempt's HTTP status, business code and ``requestId``, when known.
        elapsed: seconds the whole call took, waits and retries included.
        limiter_wait: seconds all attempts waited on the rate limiter.
        retry_reasons: the reason of each retry, in order.
        error: what the caller got raised (a :class:`~pandapon.PandaPonError`, or a cancellation), or ``None``.
    """

    operation: str
    method: str
    route: str
    server_address: str
    server_port: int
    url: str | None
    attempts: int
    status: int | None
    code: int | str | None
    request_id: str | None
    elapsed: float
    limiter_wait: float
    retry_reasons: tuple[str, ...]
    error: BaseException | None


class Observer:
    """Watches every call of a client; subclass it and override the methods you need (the others cost nothing).

    Pass instances as ``AsyncPandaPon(observers=[...])`` (or ``PandaPon``). The methods run in the call's task, on
    the sync client's loop thread for ``PandaPon``. When no observer is :meth:`enabled` for a call, the call runs
    as if the client had none. ``on_request``, ``on_response`` and ``on_retry`` may return an
    awaitable, which is awaited before the call goes on. An exception raised by a method is logged on the
    ``pandapon`` logger and the call goes on.
    """

    def enabled(self) -> bool:
        """Whether this observer watches the call starting now (asked once per call; ``False`` skips the call)."""
        return True

    def on_call_start(self, call: CallStart) -> object:
        """A call begins; what this returns is passed back to :meth:`on_call_end` as ``state``."""
        return None

    def on_request(self, event: RequestEvent) -> Awaitable[object] | None:
        """An attempt is about to be sent."""
        return None

    def on_response(self, event: ResponseEvent) -> Awaitable[object] | None:
        """An attempt ended."""
        return None

    def on_retry(self, event: RetryEvent) -> Awaitable[object] | None:
        """A failed attempt will be retried."""
        return None

    def on_call_end(self, event: CallEnd, state: object) -> None:
        """A call ended; ``state`` is what :meth:`on_call_start` returned for it."""


#: A hook: called with the event; an awaitable result (an ``async def`` hook's coroutine) is awaited.
RequestHook: TypeAlias = Callable[[RequestEvent], object]
ResponseHook: TypeAlias = Callable[[ResponseEvent], object]
RetryHook: TypeAlias = Callable[[RetryEvent], object]


class HookObserver(Observer):
    """The observer behind the ``on_request``, ``on_response`` and ``on_retry`` client options.

    A hook is any callable taking the event; if it returns an awaitable (an ``async def`` hook), it is awaited.
    """

    def __init__(
        self,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
        on_retry: RetryHook | None = None,
    ) -> None:
        self._request, self._response, self._retry = on_request, on_response, on_retry

    def on_request(self, event: RequestEvent) -> Awaitable[object] | None:
        return _awaitable(self._request(event)) if self._request is not None else None

    def on_response(self, event: ResponseEvent) -> Awaitable[object] | None:
        return _awaitable(self._response(event)) if self._response is not None else None

    def on_retry(self, event: RetryEvent) -> Awaitable[object] | None:
        return _awaitable(self._retry(event)) if self._retry is not None else None

    def wants(self, name: str) -> bool:
        """Whether the hook behind ``name`` (``on_request``...) is set; it has no call start or end."""
        return getattr(self, "_" + name.removeprefix("on_"), None) is not None


def _awaitable(result: object) -> Awaitable[object] | None:
    if result is None:  # what a plain function returns: the isawaitable check (an ABC check) is skipped
        return None
    return result if inspect.isawaitable(result) else None


def as_observers(value: Iterable[Observer] | None) -> tuple[Observer, ...]:
    """The ``observers`` client option, checked: every item a :class:`Observer`."""
    found = () if value is None else tuple(value) if isinstance(value, Iterable) else None
    if found is None or not all(isinstance(o, Observer) for o in found):
        raise ConfigurationError(f"observers must be a list of pandapon.Observer instances, got {value!r}")
    return found


def check_hook(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """The ``on_request`` / ``on_response`` / ``on_retry`` client options: ``None`` or a callable."""
    if value is not None and not callable(value):
        raise ConfigurationError(f"{attribute.name} must be a callable taking the event, got {value!r}")
