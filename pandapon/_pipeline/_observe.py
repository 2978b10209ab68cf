"""Observation: what the pipeline tells a client's observers (hooks, OpenTelemetry) about each call.

The pipeline holds an :class:`Observation` only when the client has observers; then it makes one :class:`Recorder`
per call and reports the stages to it (``limited``, ``request``, ``response``, ``retry``, ``end``). Without
observers the pipeline pays one ``is not None`` test per stage. An event is built only if some observer overrides
the method that receives it; an observer that raises is logged and the call goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .._events import CallEnd, CallStart, HookObserver, Observer, RequestEvent, ResponseEvent, RetryEvent

if TYPE_CHECKING:
    from .._endpoint import Endpoint
    from .._options import ClientOptions
    from .._wire import Prepared

__all__ = ["SECRET_PARAMS", "Observation", "Recorder", "redact"]

log = logging.getLogger("pandapon")

#: Query parameters whose values never leave the SDK in an event or a span (lower case).
SECRET_PARAMS = frozenset(
    {"sign", "signature", "access-key", "access_key", "accesskey", "access-secret", "access_secret", "secret"}
)


def redact(url: httpx.URL) -> str:
    """``url`` as text with secret query values replaced by ``REDACTED`` and any user info dropped."""
    if not url.query and not url.userinfo:
        return str(url)
    params = [(k, "REDACTED" if k.lower() in SECRET_PARAMS else v) for k, v in url.params.multi_items()]
    return str(url.copy_with(params=params, username=None, password=None))


def _overrides(observer: Observer, name: str) -> bool:
    if isinstance(observer, HookObserver):
        return observer.wants(name)
    return getattr(type(observer), name) is not getattr(Observer, name)


class _Wanted:
    """Which of some observers receive which events (an event nobody receives is never built)."""

    __slots__ = ("on_request", "on_response", "on_retry", "starts")

    def __init__(self, observers: Sequence[Observer]) -> None:
        self.on_request = tuple(o for o in observers if _overrides(o, "on_request"))
        self.on_response = tuple(o for o in observers if _overrides(o, "on_response"))
        self.on_retry = tuple(o for o in observers if _overrides(o, "on_retry"))
        self.starts = tuple(o for o in observers if _overrides(o, "on_call_start") or _overrides(o, "on_call_end"))


class Observation:
    """A client's observers, and which of them want which events.

    Args:
        options: the client's settings: its ``observers`` and its hooks (one :class:`HookObserver` for them).
    """

    def __init__(self, options: ClientOptions) -> None:
        observers = list(options.observers)
        if options.on_request or options.on_response or options.on_retry:
            observers.append(HookObserver(options.on_request, options.on_response, options.on_retry))
        self.observers: tuple[Observer, ...] = tuple(observers)
        self._all = _Wanted(observers)
        self._asks = tuple(o for o in observers if type(o).enabled is not Observer.enabled)
        url = httpx.URL(options.base_url)
        self._server = url.host, url.port or (443 if url.scheme == "https" else 80)
        self._overrides = options.path_overrides
        self._starts: dict[tuple[str, str, str], CallStart] = {}
        self._redacted: tuple[httpx.URL, str] | None = None

    def start(self, endpoint: Endpoint[Any]) -> Recorder | None:
        """Begin observing one call of ``endpoint``; ``None`` when no observer is enabled for it."""
        wanted = self._all
        off: list[Observer] | None = None
        for observer in self._asks:
            try:
                on = observer.enabled()
            except Exception:
                log.exception("observer %r raised in enabled(); it misses this call", observer)
                on = False
            if not on:
                off = [observer] if off is None else [*off, observer]
        if off is not None:
            if len(off) == len(self.observers):
                return None
            wanted = _Wanted([o for o in self.observers if o not in off])
        op, method = endpoint.operation_id, endpoint.method
        route = self._overrides.get(op, endpoint.path)
        key = (op, method, route)
        call = self._starts.get(key)
        if call is None:
            if len(self._starts) > 1024:  # client.request with ids in raw paths: keep the cache bounded
                self._starts.clear()
            call = self._starts[key] = CallStart(op, method, route, *self._server)
        return Recorder(self, wanted, call)

    def redact(self, url: httpx.URL) -> str:
        """:func:`redact`, remembering the last URL (a call without a query reuses one URL object)."""
        last = self._redacted
        if last is not None and last[0] is url:
            return last[1]
        text = redact(url)
        self._redacted = (url, text)
        return text


class Recorder:
    """One call's observation: collects what the stages report and tells the observers.

    The methods that may run an observer's coroutine return it (or ``None``): the pipeline awaits it.
    """

    __slots__ = (
        "_observation", "_open", "_sent", "_states", "_wait", "_wanted", "attempts", "call", "code", "envelope",
        "limiter_wait", "reasons", "request_id", "started", "status", "url",
    )  # fmt: skip

    def __init__(self, observation: Observation, wanted: _Wanted, call: CallStart) -> None:
        self._observation = observation
        self._wanted = wanted
        self.call = call
        self.started = time.perf_counter()
        self.attempts = 0
        self.limiter_wait = 0.0
        self._wait = 0.0  # this attempt's
        self._open = False  # an attempt got past the limiter and has not ended yet
        self._sent = self.started
        self.reasons: list[str] = []
        self.url: httpx.URL | None = None
        self.status: int | None = None
        self.envelope: Mapping[str, object] | None = None  # set by the envelope reader on a success
        self.code: int | str | None = None
        self.request_id: str | None = None
        self._states: list[tuple[Observer, object]] = []
        for observer in wanted.starts:
            try:
                self._states.append((observer, observer.on_call_start(call)))
            except Exception:
                log.exception("observer %r raised in on_call_start; it misses this call", observer)

    def limited(self, started: float) -> None:
        """The rate limiter let the attempt that began at ``started`` (``perf_counter``) through."""
        self.attempts += 1
        self._open = True
        self._wait = time.perf_counter() - started
        self.limiter_wait += self._wait

    def request(self, prepared: Prepared) -> Awaitable[None] | None:
        """The attempt is signed and about to be sent."""
        self.url = prepared.url
        self._sent = time.perf_counter()
        wanted = self._wanted.on_request
        if not wanted:
            return None
        c = self.call
        url = self._observation.redact(prepared.url)
        event = RequestEvent(c.operation, c.method, c.route, url, self.attempts, self._wait)
        return _tell(wanted, "on_request", event)

    def response(
        self, prepared: Prepared, error: Exception | None, status: int | None = None
    ) -> Awaitable[None] | None:
        """The attempt ended with ``error``, or in success with ``status`` (the reader has set :attr:`envelope`)."""
        if not self._open:  # it failed before the limiter let it through (the deadline ran out there)
            self.attempts += 1
        self._open = False
        self.url = prepared.url
        if error is None:
            envelope = self.envelope or {}
            self.status = status
            code, rid = envelope.get("code"), envelope.get("requestId")
            self.code = code if code is None or isinstance(code, (int, str)) else str(code)
            self.request_id = None if rid is None else str(rid)
        else:
            self.status = getattr(error, "status_code", None)
            self.code = getattr(error, "code", None)
            self.request_id = getattr(error, "request_id", None)
        wanted = self._wanted.on_response
        if not wanted:
            return None
        c = self.call
        event = ResponseEvent(
            c.operation,
            c.method,
            c.route,
            self._observation.redact(prepared.url),
            self.attempts,
            self.status,
            self.code,
            self.request_id,
            time.perf_counter() - self._sent,
            error,
        )
        return _tell(wanted, "on_response", event)

    def retry(self, reason: str, delay: float, error: Exception) -> Awaitable[None] | None:
        """The attempt failed with ``error`` and is retried after ``delay`` seconds."""
        self.reasons.append(reason)
        wanted = self._wanted.on_retry
        if not wanted:
            return None
        c = self.call
        url = "" if self.url is None else self._observation.redact(self.url)
        event = RetryEvent(c.operation, c.method, c.route, url, self.attempts, reason, delay, error)
        return _tell(wanted, "on_retry", event)

    def end(self, error: BaseException | None) -> None:
        """The call ended: tell every observer that saw it begin."""
        if not self._states:
            return
        c = self.call
        event = CallEnd(
            c.operation,
            c.method,
            c.route,
            c.server_address,
            c.server_port,
            None if self.url is None else self._observation.redact(self.url),
            self.attempts,
            self.status,
            self.code,
            self.request_id,
            time.perf_counter() - self.started,
            self.limiter_wait,
            tuple(self.reasons),
            error,
        )
        for observer, state in self._states:
            try:
                observer.on_call_end(event, state)
            except Exception:
                log.exception("observer %r raised in on_call_end", observer)


def _tell(observers: Sequence[Observer], name: str, event: object) -> Awaitable[None] | None:
    """Call ``name`` on each observer; return the awaitables they gave back as one, or ``None``."""
    pending: list[Awaitable[object]] = []
    for observer in observers:
        try:
            result = getattr(observer, name)(event)
        except Exception:
            log.exception("observer %r raised in %s; the call goes on", observer, name)
            continue
        if result is not None:
            pending.append(result)
    return _wait_all(pending, name) if pending else None


async def _wait_all(pending: list[Awaitable[object]], name: str) -> None:
    for awaitable in pending:
        try:
            await awaitable
        except Exception:
            log.exception("an async %s hook raised; the call goes on", name)
