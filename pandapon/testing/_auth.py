"""Who may call the fake, and how often: credentials, the signature, timestamp and nonce checks, the rate limit.

The checks follow the API notes §3–§5: ``UPPER(HEX(MD5(access_key + timestamp + nonce + secret)))`` in the
``signature`` header (or the query ``sign`` of ``/open/pp/logistics/*``), a timestamp within the tolerance of the
fake's clock. The rules the docs do not state are switchable (see :mod:`._strict`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import OrderedDict
from typing import Literal

import attrs

from ._exchange import Request
from ._strict import NONCE_LENGTH, NONCE_REUSE, SIGNATURE_CASE

__all__ = [
    "NONCE_CHARACTERS",
    "FakeCredentials",
    "NonceLedger",
    "TimestampUnit",
    "TokenBucket",
    "authenticate",
    "timestamp_seconds",
]

#: The length of a ``nonce-str`` (API notes §3: "a random string of 32 characters").
NONCE_CHARACTERS = 32

TimestampUnit = Literal["s", "ms", "auto"]


@attrs.frozen(repr=False)
class FakeCredentials:
    """The one developer account the fake accepts."""

    access_key: str
    access_secret: str
    user_id: str

    def __repr__(self) -> str:
        return f"FakeCredentials(access_key={self.access_key[:4]!r}…, user_id={self.user_id!r})"


class NonceLedger:
    """The nonces accepted recently, each kept until its timestamp can no longer be accepted (bounded in size)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._expiries: OrderedDict[str, float] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, nonce: str) -> bool:
        return nonce in self._expiries

    def forget(self, now: float) -> None:
        """Drop the nonces expired at ``now``."""
        while self._expiries:
            nonce, expiry = next(iter(self._expiries.items()))
            if expiry > now:
                break
            del self._expiries[nonce]

    def remember(self, nonce: str, expiry: float) -> None:
        """Keep a nonce until ``expiry``; the oldest is dropped beyond the capacity."""
        self._expiries[nonce] = expiry
        if len(self._expiries) > self._capacity:
            self._expiries.popitem(last=False)


def authenticate(
    request: Request,
    scheme: Literal["headers", "query-sign"],
    wall: float,
    *,
    credentials: FakeCredentials,
    tolerance: float,
    unit: TimestampUnit,
    strict: frozenset[str],
    nonces: NonceLedger,
) -> str | None:
    """Check a request's credentials, signature, timestamp and nonce; return why it is refused, or ``None``.

    ``wall`` is the fake's clock (skew faults included); ``strict`` the strict rules on.
    """
    h = request.headers
    needed: tuple[str, ...] = ("access-key", "timestamp", "nonce-str", "user-id", "signature")
    if scheme == "query-sign":
        needed = ("access-key", "nonce-str", "user-id")
    for name in needed:
        if not h.get(name):
            return f"missing header '{name}'"
    if scheme == "query-sign":
        for name in ("timestamp", "sign"):
            if not request.query.get(name):
                return f"missing query parameter '{name}'"
        timestamp, given, what = request.query["timestamp"], request.query["sign"], "sign"
    else:
        timestamp, given, what = h["timestamp"], h["signature"], "signature"
    key = h["access-key"]
    if not hmac.compare_digest(key.encode("utf-8", "replace"), credentials.access_key.encode()):
        return "unknown access-key"
    if h["user-id"] != credentials.user_id:
        return f"user-id {h['user-id']!r} is not an account of this access-key"
    nonce = h["nonce-str"]
    text = key + timestamp + nonce + credentials.access_secret
    expected = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
    given = given.strip() if SIGNATURE_CASE in strict else given.strip().upper()
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        return f"{what} mismatch"
    seconds = timestamp_seconds(timestamp, unit)
    if seconds is None:
        expected_unit = {"s": "10-digit seconds", "ms": "13-digit milliseconds"}.get(
            unit, "epoch seconds (10 digits) or milliseconds (13 digits)"
        )
        return f"timestamp malformed: expected {expected_unit}, got {timestamp[:20]!r}"
    if abs(wall - seconds) > tolerance:
        return (
            f"timestamp expired: {timestamp} is {seconds - wall:+.0f}s from server time, "
            f"more than the {tolerance:g}s allowed"
        )
    if NONCE_LENGTH in strict and len(nonce) != NONCE_CHARACTERS:
        return f"nonce-str malformed: expected {NONCE_CHARACTERS} characters, got {len(nonce)}"
    if NONCE_REUSE in strict:
        nonces.forget(wall)
        if nonce in nonces:
            return "nonce reused"
        nonces.remember(nonce, max(wall, seconds) + tolerance)
    return None


def timestamp_seconds(text: str, unit: TimestampUnit) -> float | None:
    """Read a request timestamp as epoch seconds (``auto``: 10 digits = seconds, 13 = milliseconds)."""
    text = text.strip()
    if not text.isdigit():
        return None
    if unit == "auto":
        if len(text) not in (10, 13):
            return None
        unit = "s" if len(text) == 10 else "ms"
    if unit == "s":
        return float(text)
    return int(text) / 1000


class TokenBucket:
    """The fake's own rate limit: ``rate`` requests per second, up to ``burst`` at once."""

    def __init__(self, burst: int) -> None:
        self._tokens = float(burst)
        self._at: float | None = None

    def take(self, now: float, rate: float, burst: int) -> int | None:
        """Spend one request at ``now``; return ``None`` when allowed, else the seconds to wait (at least 1)."""
        if self._at is not None:
            self._tokens = min(float(burst), self._tokens + max(0.0, now - self._at) * rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return max(1, math.ceil((1 - self._tokens) / rate))
