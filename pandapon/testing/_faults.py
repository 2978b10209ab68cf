"""The fault language: ``Fault`` and ``FaultKind``, the armed faults of a fake, which of them fire on a request, and
what a fired fault does to the answer."""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Callable
from typing import Literal, get_args

import attrs

from ._exchange import JSON_CONTENT_TYPE, Answer

__all__ = ["BEFORE", "Fault", "FaultBoard", "FaultKind", "Firing", "fault_answer", "mangle"]

FaultKind = Literal[
    "latency",
    "http_500",
    "http_503",
    "http_429",
    "drop_before",
    "drop_after",
    "truncated",
    "html",
    "garbage",
    "wrong_content_type",
    "clock_skew",
]
_KINDS: tuple[str, ...] = get_args(FaultKind)
#: Kinds that combine with others: they change how a request is handled, not what is answered.
_MODIFIERS = ("latency", "clock_skew")
#: Kinds answered before the request reaches auth and state.
BEFORE = ("http_500", "http_503", "http_429", "drop_before", "html")

#: Builds an error envelope answer: (HTTP status, business code, msg, extra headers).
ErrorAnswer = Callable[[int, int, str, tuple[tuple[str, str], ...]], Answer]


def _check_times(instance: object, attribute: object, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"Fault.times must be >= 1 or None (forever), got {value}")


@attrs.frozen
class Fault:
    """A misbehaviour to inject; deterministic for a given seed and request order.

    Attributes:
        kind: ``latency`` (sleep ``delay`` s, then answer normally); ``http_500`` / ``http_503`` (that status with
            an error envelope; 503 carries ``Retry-After``); ``http_429`` (429 with ``Retry-After: retry_after``);
            ``drop_before`` (close the connection without an answer before auth or state); ``html`` (200 with an
            HTML error page, before state); ``drop_after`` (apply the request to state, then close without an
            answer); ``truncated`` (the real answer cut in half); ``garbage`` (200 with random bytes instead of the
            answer); ``wrong_content_type`` (the real answer as ``text/plain``); ``clock_skew`` (``delay`` seconds
            added to the fake's clock for the timestamp check and the ``Date`` header).
        path: the request path it applies to (``fnmatch`` pattern, e.g. ``"/open/order*"``); ``None``: any.
        method: the HTTP method it applies to; ``None``: any.
        times: how many requests it fires on before it is removed; ``None``: forever.
        probability: the chance of firing on a matching request, drawn from the fake's seeded generator.
        delay: seconds of latency, or of skew for ``clock_skew`` (may be negative).
        retry_after: the ``Retry-After`` seconds of ``http_429`` and ``http_503``.
    """

    kind: FaultKind = attrs.field(validator=attrs.validators.in_(_KINDS))
    path: str | None = None
    times: int | None = attrs.field(default=1, validator=_check_times)
    probability: float = attrs.field(default=1.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])
    delay: float = 0.0
    retry_after: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    method: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind == "latency" and self.delay < 0:
            raise ValueError(f"a latency fault needs delay >= 0, got {self.delay}")

    def matches(self, method: str, path: str) -> bool:
        """Tell whether the fault applies to a request."""
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


@attrs.define
class _Armed:
    fault: Fault
    remaining: int | None


@attrs.frozen
class Firing:
    """The faults that fired on one request: any number of modifiers and at most one primary fault."""

    faults: tuple[Fault, ...] = ()

    @property
    def skew(self) -> float:
        """Seconds the ``clock_skew`` faults add to the fake's clock."""
        return sum(f.delay for f in self.faults if f.kind == "clock_skew")

    @property
    def latencies(self) -> tuple[float, ...]:
        """The delays to sleep, in order."""
        return tuple(f.delay for f in self.faults if f.kind == "latency")

    @property
    def primary(self) -> Fault | None:
        """The fault that shapes the answer (not a modifier), if one fired."""
        return next((f for f in self.faults if f.kind not in _MODIFIERS), None)

    @property
    def label(self) -> str | None:
        """The kind the request log records: the primary fault's, else the first modifier's."""
        primary = self.primary
        return primary.kind if primary else (self.faults[0].kind if self.faults else None)


class FaultBoard:
    """The armed faults of one fake, tried in injection order; draws come from the fake's seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._armed: list[_Armed] = []

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The armed faults that have not run out."""
        return tuple(armed.fault for armed in self._armed)

    def inject(self, fault: Fault) -> None:
        """Arm a fault after the others."""
        self._armed.append(_Armed(fault, fault.times))

    def clear(self) -> None:
        """Disarm every fault."""
        self._armed.clear()

    def fire(self, method: str, path: str) -> Firing:
        """Fire the faults matching a request: every matching modifier, the first matching primary fault."""
        fired: list[Fault] = []
        primary_taken = False
        for armed in list(self._armed):
            fault = armed.fault
            if not fault.matches(method, path):
                continue
            if fault.kind not in _MODIFIERS and primary_taken:
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            fired.append(fault)
            primary_taken = primary_taken or fault.kind not in _MODIFIERS
            if armed.remaining is not None:
                armed.remaining -= 1
                if armed.remaining == 0:
                    self._armed.remove(armed)
        return Firing(tuple(fired))


def fault_answer(fault: Fault, error: ErrorAnswer) -> Answer | None:
    """Return the answer of a fault of :data:`BEFORE` (``None``: drop the connection)."""
    if fault.kind == "drop_before":
        return None
    if fault.kind == "http_500":
        return error(500, 500, "系统异常 (injected fault http_500)", ())
    if fault.kind == "http_503":
        return error(503, 503, "服务不可用 (injected fault http_503)", (("retry-after", str(fault.retry_after)),))
    if fault.kind == "http_429":
        return error(
            429, 429, "rate limit exceeded (injected fault http_429)", (("retry-after", str(fault.retry_after)),)
        )
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
        b"</h1></center><hr><center>nginx</center></body></html>"
    )
    return Answer(200, page, content_type="text/html; charset=utf-8")


def mangle(answer: Answer, fault: Fault, rng: random.Random) -> Answer:
    """Spoil a real answer as a fault that fires after the state does (``truncated``, ``garbage``...)."""
    if fault.kind == "truncated":
        return attrs.evolve(answer, body=answer.body[: len(answer.body) // 2], code=None)
    if fault.kind == "garbage":
        noise = bytes(rng.getrandbits(8) for _ in range(64))
        return Answer(200, noise, content_type=JSON_CONTENT_TYPE)
    if fault.kind == "wrong_content_type":
        return attrs.evolve(answer, content_type="text/plain; charset=utf-8")
    return answer
