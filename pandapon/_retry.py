"""Every retry judgment, as pure functions: what a failure tells, whether to retry and after how long, whether
the outcome of a write is unknown, and whether a clock-skew retry is due.

The pipeline's loop asks :func:`facts_of`, then :func:`decide` (or :func:`retry_for_skew`) after every failed
attempt, and :func:`outcome_unknown` before it gives up. Nothing here sleeps or does I/O.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

import attrs

from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    HTTPStatusError,
    PandaPonError,
    RateLimitError,
    ResponseValidationError,
)
from ._types import fields_repr

__all__ = [
    "Facts",
    "RetryPolicy",
    "backoff",
    "decide",
    "facts_of",
    "outcome_unknown",
    "parse_retry_after",
    "retry_for_skew",
]

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
    remaining: float | None = None,
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
        remaining: seconds left before the call's deadline (``None``: no deadline); a retry whose wait would
            reach it is not made.
    """
    decision = _decide(
        attempt, max_retries, idempotent, request_sent, status, retry_after, transient_code, policy, rand
    )
    if decision.retry and remaining is not None and decision.delay >= remaining:
        return Decision(False, reason="the deadline leaves no time for a retry")
    return decision


def _decide(
    attempt: int,
    max_retries: int,
    idempotent: bool,
    request_sent: bool,
    status: int | None,
    retry_after: float | None,
    transient_code: bool,
    policy: RetryPolicy,
    rand: Callable[[], float],
) -> Decision:
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


@attrs.frozen(repr=False, eq=False)
class Facts:
    """What a failed attempt tells the retry judgments.

    Attributes:
        request_sent: the request may have reached the server.
        status: the HTTP status, when an answer came.
        retry_after: the server's ``Retry-After`` in seconds (429 and 5xx), when given.
        transient_code: the envelope carried a business code known to be transient.
        definitive: the server answered and refused (a 4xx, an error ``code``): the call did not take effect.
    """

    request_sent: bool
    status: int | None = None
    retry_after: float | None = None
    transient_code: bool = False
    definitive: bool = False

    __repr__ = fields_repr


def facts_of(failure: PandaPonError, transient_codes: frozenset[int]) -> Facts:
    """Read the :class:`Facts` of one failed attempt from its typed error."""
    if isinstance(failure, APIConnectionError):
        return Facts(request_sent=failure.request_sent)
    if not isinstance(failure, APIResponseError):
        return Facts(request_sent=True)
    status = failure.response.status_code
    if isinstance(failure, RateLimitError):
        return Facts(True, status=429 if status < 400 else status, retry_after=failure.retry_after, definitive=True)
    if isinstance(failure, ResponseValidationError):  # a 2xx whose body is unreadable or does not fit
        return Facts(True, status=status)
    if isinstance(failure, HTTPStatusError):
        retry_after = parse_retry_after(failure.response.headers) if status >= 500 else None
        return Facts(True, status=status, retry_after=retry_after, definitive=status < 500)
    code = failure.code if isinstance(failure, APIError) else None
    transient = isinstance(code, int) and not isinstance(code, bool) and code in transient_codes
    return Facts(True, status=status, transient_code=transient, definitive=True)


def outcome_unknown(*, idempotent: bool, facts: Facts) -> bool:
    """Whether a failed write may have taken effect: any failure after the request may have reached the server,
    unless the server answered with a refusal."""
    return not idempotent and facts.request_sent and not facts.definitive


def retry_for_skew(*, already_retried: bool, offset_before: float, offset_after: float) -> bool:
    """Whether an authentication failure is retried once: the server's ``Date`` moved our clock by more than 2 s."""
    return not already_retried and abs(offset_after - offset_before) > 2
