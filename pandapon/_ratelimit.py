"""Rate limiters: a one-method protocol and the default in-memory token bucket.

The core calls ``await limiter.acquire(cost)`` once per attempt, before the request is signed and sent.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import anyio

__all__ = ["RateLimiter", "TokenBucket", "Unlimited"]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything with ``async acquire(cost)`` that returns once ``cost`` units may be spent."""

    async def acquire(self, cost: float = 1) -> None:
        """Wait until ``cost`` units are available and take them."""
        ...


class Unlimited:
    """A limiter that never waits."""

    async def acquire(self, cost: float = 1) -> None:
        """Return at once."""
        return None

    def __repr__(self) -> str:
        return "Unlimited()"


class TokenBucket:
    """An in-memory token bucket: ``rate`` units per second on average, bursts of up to ``burst``.

    Waiters are served first come, first served (one waiter at a time holds the bucket's lock while it sleeps for
    its deficit), so a burst of callers is spread evenly instead of stampeding. Written on anyio: runs on asyncio
    and trio. One bucket serves one event loop; the sync client's bucket lives in its portal's loop.

    Args:
        rate: units per second, > 0.
        burst: bucket capacity, >= 1; defaults to ``max(1, rate)``.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be a positive number of calls per second, got {rate!r}")
        burst = max(1.0, float(rate)) if burst is None else float(burst)
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self._tokens = burst
        self._updated: float | None = None
        self._lock: anyio.Lock | None = None

    def _refill(self, now: float) -> None:
        if self._updated is None:
            self._updated = now
            return
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, cost: float = 1) -> None:
        """Wait until ``cost`` tokens are available and take them."""
        if cost > self.burst:
            raise ValueError(f"cost {cost!r} exceeds the bucket's burst {self.burst!r}; it could never be acquired")
        now = anyio.current_time()
        self._refill(now)
        if self._lock is None:
            self._lock = anyio.Lock()
        # Fast path: tokens available and nobody queued ahead of us.
        if self._tokens >= cost and not self._lock.locked():
            self._tokens -= cost
            return
        async with self._lock:
            while True:
                self._refill(anyio.current_time())
                if self._tokens >= cost:
                    self._tokens -= cost
                    return
                await anyio.sleep((cost - self._tokens) / self.rate)

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate!r}, burst={self.burst!r})"
