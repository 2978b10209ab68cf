"""What the Redis-backed parts (rate limiter, push de-duplication) accept: an asyncio Redis client, nothing else."""

from __future__ import annotations

import inspect

from ._exceptions import ConfigurationError

__all__ = ["require_async_redis"]


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
