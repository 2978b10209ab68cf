"""Rate limiters: a one-method protocol, the in-memory token bucket and the Redis-backed limiter.

The core calls ``await limiter.acquire(cost)`` once per attempt, before the request is signed and sent. A limiter
may also offer ``async pause(seconds)``: the core calls it when the platform answers 429 with ``Retry-After``, so
that every call sharing the limiter (every process, with Redis) waits together.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import anyio

from ._redis import register_for_fork, require_async_redis, unconnected_copy

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RateLimiter", "RedisRateLimiter", "TokenBucket", "Unlimited"]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything with ``async acquire(cost)`` that returns once ``cost`` units may be spent."""

    async def acquire(self, cost: float = 1) -> None:
        """Wait until ``cost`` units are available and take them."""
        ...


class Unlimited:
    """The default: no rate limit, but calls still pause together when the platform says ``Retry-After``."""

    def __init__(self) -> None:
        self._paused_until = float("-inf")

    async def pause(self, seconds: float) -> None:
        """Make every ``acquire`` wait at least ``seconds`` from now."""
        self._paused_until = max(self._paused_until, anyio.current_time() + seconds)

    async def acquire(self, cost: float = 1) -> None:
        """Return at once, unless a pause is in force."""
        if self._paused_until != float("-inf"):
            wait = self._paused_until - anyio.current_time()
            if wait > 0:
                await anyio.sleep(wait)

    def __repr__(self) -> str:
        return "Unlimited()"


class TokenBucket:
    """An in-memory token bucket: ``rate`` units per second on average, bursts of up to ``burst``.

    Scheduled, not polled (GCRA, like :class:`RedisRateLimiter`): each ``acquire`` reserves the next free slot on
    a fixed timeline and sleeps until it, so callers are served in arrival order and a late wake-up never loses
    capacity — the achieved rate is the configured one. Written on anyio: runs on asyncio and trio. One bucket
    serves one event loop; the sync client's bucket lives in its portal's loop.

    Args:
        rate: units per second, > 0.
        burst: how many units may go at once after a quiet period, >= 1; defaults to ``max(1, rate)``.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be a positive number of calls per second, got {rate!r}")
        burst = max(1.0, float(rate)) if burst is None else float(burst)
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self._interval = 1.0 / self.rate
        self._tat = float("-inf")  # theoretical arrival time of the next unit
        self._paused_until = float("-inf")

    async def pause(self, seconds: float) -> None:
        """Make every ``acquire`` wait at least ``seconds`` from now (the platform said Retry-After)."""
        self._paused_until = max(self._paused_until, anyio.current_time() + seconds)
        self._tat = max(self._tat, self._paused_until)

    async def acquire(self, cost: float = 1) -> None:
        """Reserve ``cost`` units and wait for the reserved slot."""
        if cost > self.burst:
            raise ValueError(f"cost {cost!r} exceeds the bucket's burst {self.burst!r}; it could never be acquired")
        now = anyio.current_time()
        self._tat = max(self._tat, now) + self._interval * cost
        allow_at = max(self._tat - self._interval * self.burst, self._paused_until)
        if allow_at > now:
            await anyio.sleep(allow_at - now)

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate!r}, burst={self.burst!r})"


class RedisRateLimiter:
    """A limiter shared by every process and machine using the same Redis key (``pip install 'pandapon[redis]'``).

    One round trip per acquire: a Lua script (GCRA on Redis's own clock, so hosts need not agree on the time)
    reserves the caller's slot and returns how long to wait for it, so callers are served in arrival order and the
    achieved rate stays at the configured one. ``pause()`` pushes every slot past the pause, in every process.

    Fork-safe: in a process forked after this limiter was made (a Celery prefork child), it uses a copy of
    ``redis`` with the same settings and no connections, never the parent's sockets (``limiter.redis`` is then
    that copy). Still, make clients in the child where you can: Celery's ``worker_process_init``.

    Args:
        redis: a ``redis.asyncio.Redis`` client.
        rate: units per second, > 0.
        burst: how many units may go at once after a quiet period (default ``max(1, rate)``).
        key: the Redis key prefix; one limit per key (e.g. per access key).
    """

    _SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local pause = tonumber(ARGV[4])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > 0 then
  paused = math.max(paused, now + pause)
  redis.call('SET', KEYS[2], paused, 'PX', math.ceil(pause / 1000) + 1000)
  return 0
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now, paused)
local new_tat = start + interval * cost
local allow_at = math.max(new_tat - interval * burst, paused)
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
if allow_at > now then return allow_at - now end
return 0
"""

    def __init__(
        self, redis: Redis | Any, rate: float, burst: float | None = None, *, key: str = "pandapon:rate"
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be a positive number of calls per second, got {rate!r}")
        burst = max(1.0, float(rate)) if burst is None else float(burst)
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        require_async_redis(redis, "RedisRateLimiter")
        self.redis = redis
        self.rate = float(rate)
        self.burst = burst
        self.key = key
        self._interval = 1_000_000 / self.rate
        self._script: Any = None
        register_for_fork(self)

    def _after_fork_in_child(self) -> None:
        self.redis, self._script = unconnected_copy(self.redis), None

    async def _run(self, cost: float, pause_us: float) -> float:
        if self._script is None:
            self._script = self.redis.register_script(self._SCRIPT)
        wait_us = await self._script(
            keys=[self.key + ":tat", self.key + ":pause"],
            args=[repr(self._interval), repr(self.burst), repr(cost), repr(pause_us)],
        )
        return float(wait_us) / 1_000_000

    async def acquire(self, cost: float = 1) -> None:
        """Reserve ``cost`` units and wait for the reserved slot."""
        if cost > self.burst:
            raise ValueError(f"cost {cost!r} exceeds the limiter's burst {self.burst!r}; it could never be acquired")
        wait = await self._run(cost, 0)
        if wait > 0:
            await anyio.sleep(wait)

    async def pause(self, seconds: float) -> None:
        """Make every process sharing this key wait ``seconds`` before its next slot."""
        if seconds > 0:
            await self._run(0, math.ceil(seconds * 1_000_000))

    def __repr__(self) -> str:
        return f"RedisRateLimiter(rate={self.rate!r}, burst={self.burst!r}, key={self.key!r})"
