"""De-duplication stores: remember which pushes are being handled and which are done.

A key moves ``new -> in_progress -> done``; a failed handler releases it so the redelivery is handled again.
``in_progress`` carries a lease so a crashed worker does not block a message forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .._redis import register_for_fork, require_async_redis, unconnected_copy

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["Claim", "DedupeStore", "InMemoryDedupe", "RedisDedupe"]

Claim = Literal["new", "in_progress", "done"]


@runtime_checkable
class DedupeStore(Protocol):
    """Where a receiver records the pushes it has seen."""

    async def claim(self, key: str, lease: float) -> Claim:
        """Atomically claim ``key`` for ``lease`` seconds; return ``"new"`` when this caller got it."""
        ...

    async def complete(self, key: str, ttl: float) -> None:
        """Mark ``key`` handled for ``ttl`` seconds."""
        ...

    async def release(self, key: str) -> None:
        """Forget an in-progress claim (the handler failed; the redelivery must be handled)."""
        ...


class InMemoryDedupe:
    """A per-process store with expiry (one worker; use :class:`RedisDedupe` for several)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max = max_keys
        self._keys: dict[str, tuple[Claim, float]] = {}

    def _purge(self, now: float) -> None:
        if len(self._keys) >= self._max:
            for key in [k for k, (_, exp) in self._keys.items() if exp <= now]:
                del self._keys[key]
            while len(self._keys) >= self._max:  # oldest insertion first
                del self._keys[next(iter(self._keys))]

    async def claim(self, key: str, lease: float) -> Claim:
        now = self._clock()
        entry = self._keys.get(key)
        if entry is not None and entry[1] > now:
            return entry[0]
        self._purge(now)
        self._keys[key] = ("in_progress", now + lease)
        return "new"

    async def complete(self, key: str, ttl: float) -> None:
        self._keys[key] = ("done", self._clock() + ttl)

    async def release(self, key: str) -> None:
        entry = self._keys.get(key)
        if entry is not None and entry[0] == "in_progress":
            del self._keys[key]


class RedisDedupe:
    """A store shared by several workers: ``SET key in_progress NX EX lease``, then ``SET key done EX ttl``.

    Args:
        redis: a ``redis.asyncio.Redis`` client (``pip install 'pandapon[redis]'``), used from its own event loop.
        url: instead of ``redis``, a Redis URL: a client is created for each event loop that uses the store (an
            ASGI server's loop, a WSGI receiver's portal), since ``redis.asyncio`` clients are bound to one loop.
            Fork-safe either way: a forked child (gunicorn after ``--preload``) gets connections of its own.
        prefix: key prefix.
    """

    _RELEASE = "if redis.call('GET', KEYS[1]) == 'in_progress' then return redis.call('DEL', KEYS[1]) end return 0"

    def __init__(self, redis: Redis | Any = None, *, url: str | None = None, prefix: str = "pandapon:push:") -> None:
        if (redis is None) == (url is None):
            raise ValueError("pass either a redis.asyncio client or url=")
        if redis is not None:
            require_async_redis(redis, "RedisDedupe")
        self._given = redis
        self._url = url
        self._clients: dict[int, Any] = {}
        self._prefix = prefix
        register_for_fork(self)

    def _after_fork_in_child(self) -> None:
        """In a forked child: connections of our own, never the parent's (see ``pandapon._redis``)."""
        if self._given is not None:
            self._given = unconnected_copy(self._given)
        self._clients = {}

    @property
    def _redis(self) -> Any:
        if self._given is not None:
            return self._given
        import asyncio

        from redis.asyncio import Redis as _Redis

        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            assert self._url is not None
            client = self._clients[loop] = _Redis.from_url(self._url)  # pyright: ignore[reportUnknownMemberType]
        return client

    async def aclose(self) -> None:
        """Close the client this store created for the running event loop (a given client is the caller's)."""
        if self._given is not None:
            return
        import asyncio

        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()

    async def claim(self, key: str, lease: float) -> Claim:
        name = self._prefix + key
        if await self._redis.set(name, "in_progress", nx=True, px=max(1, int(lease * 1000))):
            return "new"
        state = await self._redis.get(name)
        if state is None:  # expired between the two calls: try once more
            return (
                "new"
                if await self._redis.set(name, "in_progress", nx=True, px=max(1, int(lease * 1000)))
                else "in_progress"
            )
        return "done" if state in (b"done", "done") else "in_progress"

    async def complete(self, key: str, ttl: float) -> None:
        await self._redis.set(self._prefix + key, "done", px=max(1, int(ttl * 1000)))

    async def release(self, key: str) -> None:
        await self._redis.eval(self._RELEASE, 1, self._prefix + key)
