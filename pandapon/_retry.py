"""Retry decisions as pure functions: what may be retried, and after how long.

The core's loop asks :func:`decide` after every failed attempt. Nothing here sleeps or does I/O.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

import attrs

from ._types import fields_repr

__all__ = ["RetryPolicy", "backoff", "decide", "parse_retry_after"]

#: HTTP statuses worth another attempt for idempotent calls.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@attrs.frozen(repr=False)  # repr: _types.fields_repr (import time)
class RetryPolicy:
    """Backoff settings.

    Attributes:
        base: first backoff in seconds (doubled per attempt).
        cap: longest backoff between two attempts.
        max_retry_after: the longest ``Retry-After`` honoured; beyond it the call fails with a
            :class:`~pandapon.RateLimitError` carrying the wait.
    """

    base: float = 0.25
    cap: float = 8.0
    max_retry_after: float = 60.0

    __repr__ = fields_repr


def backoff(attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> float:
    """Return the sleep before retry number ``attempt + 1``: exponential, capped, with jitter in [50 %, 100 %]."""
    ceiling = min(policy.cap, policy.base * (2.0**attempt))
    return ceiling * (0.5 + rand() / 2)


def parse_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Return the ``Retry-After`` wait in seconds (delta-seconds or HTTP date), or ``None`` when absent or bad."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now()
    return max(0.0, seconds) if seconds == seconds else None  # NaN check


@attrs.frozen(repr=False, eq=False)  # a verdict, never compared; repr: _types.fields_repr
class Decision:
    """The answer of :func:`decide`: retry after ``delay`` seconds, or not (``reason`` says why)."""

    retry: bool
    delay: float = 0.0
    reason: str = ""

    __repr__ = fields_repr


def decide(
    *,
    attempt: int,
    max_retries: int,
    idempotent: bool,
    request_sent: bool,
    status: int | None = None,
    retry_after: float | None = None,
    transient_code: bool = False,
    policy: RetryPolicy = RetryPolicy(),
    rand: Callable[[], float] = random.random,
) -> Decision:
    """Decide whether a failed attempt is retried.

    Args:
        attempt: how many retries were already made (0 after the first attempt).
        max_retries: the budget of retries.
        idempotent: whether repeating the call is harmless.
        request_sent: ``False`` when the request provably never reached the server.
        status: the HTTP status, when a response arrived.
        retry_after: the server's ``Retry-After`` in seconds, when given.
        transient_code: the envelope carried a business code known to be transient.
    """
    if attempt >= max_retries:
        return Decision(False, reason=f"no retries left ({max_retries} allowed)")
    if status is None:
        if not request_sent:
            return Decision(True, backoff(attempt, policy, rand), "connection failed before sending")
        if not idempotent:
            return Decision(False, reason="the request may have reached the server and the call is not idempotent")
        return Decision(True, backoff(attempt, policy, rand), "connection failed after sending (idempotent)")
    refused = status == 429 or transient_code
    if not (refused or status in RETRYABLE_STATUSES):
        return Decision(False, reason=f"HTTP {status} is not retryable")
    if not idempotent and not refused:
        return Decision(False, reason=f"HTTP {status} on a call that is not idempotent")
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return Decision(False, reason=f"Retry-After {retry_after:g}s exceeds {policy.max_retry_after:g}s")
        return Decision(True, retry_after, "Retry-After")
    return Decision(True, backoff(attempt, policy, rand), f"HTTP {status}")
