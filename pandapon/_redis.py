"""What the Redis-backed parts (rate limiter, push de-duplication) accept, an asyncio Redis client and nothing else,
and how they survive ``os.fork()``.

A ``redis.asyncio.Redis`` that a parent process used holds open connections bound to the parent's event loop;
a forked child (a Celery prefork worker, a gunicorn worker after ``--preload``) that went on using them would
share the parent's sockets (replies to one read by the other) or fail with "attached to a different loop". So
every Redis-backed object of the SDK registers here, and in the child it swaps its client for a copy with the
same settings and no connections (:func:`unconnected_copy`); the parent's sockets are left to the parent. No
cost on the call path: the swap happens once, in ``os.register_at_fork``'s child hook.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from ._backend import ForkAware, register_for_fork
from ._exceptions import ConfigurationError

__all__ = ["ForkAware", "register_for_fork", "require_async_redis", "unconnected_copy"]


def unconnected_copy(client: Any) -> Any:
    """A client of the same class with the same connection settings and an empty connection pool of its own.

    Built from the public ``connection_pool`` (its class, ``connection_class``, ``max_connections`` and
    ``connection_kwargs``); a client without one (a custom stand-in) is returned as it is.
    """
    pool: Any = getattr(client, "connection_pool", None)
    kwargs: object = getattr(pool, "connection_kwargs", None)
    if pool is None or not isinstance(kwargs, dict):
        return client
    settings = cast("dict[str, Any]", kwargs)
    fresh_pool = type(pool)(connection_class=pool.connection_class, max_connections=pool.max_connections, **settings)
    kind: Any = client.__class__
    from_pool = getattr(kind, "from_pool", None)  # redis >= 5.0.1: the client owns (closes) its pool
    return from_pool(fresh_pool) if from_pool is not None else kind(connection_pool=fresh_pool)


def require_async_redis(client: object, where: str) -> None:
    """Refuse, at construction, a client whose commands cannot be awaited (``redis.Redis`` rather than
    ``redis.asyncio.Redis``): otherwise the first call fails deep inside with ``object int can't be used in 'await'
    expression``.

    Raises:
        ConfigurationError: naming the client given and the asyncio client to use instead.
    """
    execute = getattr(client, "execute_command", None)
    if execute is not None and inspect.iscoroutinefunction(execute):
        return
    kind = f"{type(client).__module__}.{type(client).__qualname__}"
    if execute is None:
        got = f"a {kind}, which has no execute_command"
    else:
        got = f"a {kind}, whose commands are synchronous"
    raise ConfigurationError(
        f"{where} needs an asyncio Redis client, got {got}. Use redis.asyncio.Redis "
        "(`from redis.asyncio import Redis; Redis.from_url(url)`), the same package's asyncio client"
        + (", or pass url= instead" if where == "RedisDedupe" else "")
        + "."
    )
