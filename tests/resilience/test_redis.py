"""The Redis-backed limiter and de-duplication store, against a real Redis server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from redis.asyncio import Redis

from pandapon import ConfigurationError, RedisRateLimiter
from pandapon.webhooks import RedisDedupe

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis.asyncio is asyncio-only


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_limiter_spaces_calls_at_the_configured_rate(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, rate=50, burst=1, key=f"test:{uuid.uuid4()}")
    t0 = anyio.current_time()
    for _ in range(26):
        await limiter.acquire()
    elapsed = anyio.current_time() - t0
    assert 0.45 <= elapsed < 1.5  # 25 intervals of 20 ms after the first


async def test_limiter_burst_then_rate(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, rate=20, burst=5, key=f"test:{uuid.uuid4()}")
    t0 = anyio.current_time()
    for _ in range(5):
        await limiter.acquire()
    assert anyio.current_time() - t0 < 0.1
    await limiter.acquire()
    assert anyio.current_time() - t0 >= 0.04


async def test_two_limiters_on_one_key_share_the_limit(redis: Redis) -> None:
    key = f"test:{uuid.uuid4()}"
    a = RedisRateLimiter(redis, rate=40, burst=1, key=key)
    b = RedisRateLimiter(redis, rate=40, burst=1, key=key)
    t0 = anyio.current_time()
    async with anyio.create_task_group() as tg:
        for limiter in (a, b):
            for _ in range(10):
                tg.start_soon(limiter.acquire)
    assert anyio.current_time() - t0 >= 19 / 40 - 0.03


async def test_pause_is_shared(redis: Redis) -> None:
    key = f"test:{uuid.uuid4()}"
    a = RedisRateLimiter(redis, rate=1000, burst=10, key=key)
    b = RedisRateLimiter(redis, rate=1000, burst=10, key=key)
    await a.pause(0.3)
    t0 = anyio.current_time()
    await b.acquire()
    assert anyio.current_time() - t0 >= 0.25


async def test_cost_above_burst_is_refused(redis: Redis) -> None:
    with pytest.raises(ValueError, match="exceeds"):
        await RedisRateLimiter(redis, rate=10, burst=2).acquire(3)


async def test_redis_dedupe_states(redis: Redis) -> None:
    store = RedisDedupe(redis, prefix=f"test:{uuid.uuid4()}:")
    assert await store.claim("k", lease=10) == "new"
    assert await store.claim("k", lease=10) == "in_progress"
    await store.release("k")
    assert await store.claim("k", lease=10) == "new"
    await store.complete("k", ttl=100)
    assert await store.claim("k", lease=10) == "done"
    await store.release("k")  # releasing a done key changes nothing
    assert await store.claim("k", lease=10) == "done"


async def test_redis_dedupe_lease_expires(redis: Redis) -> None:
    store = RedisDedupe(redis, prefix=f"test:{uuid.uuid4()}:")
    assert await store.claim("k", lease=0.05) == "new"
    await anyio.sleep(0.1)
    assert await store.claim("k", lease=10) == "new"


# Issue 16, item 5: a Django codebase's sync client is refused at construction, naming the asyncio client.
@pytest.mark.parametrize("build", [lambda r: RedisRateLimiter(r, rate=5), lambda r: RedisDedupe(r)])
def test_a_sync_redis_client_is_refused_at_construction(build: Any, redis_url: str) -> None:
    import redis as sync_redis

    client = sync_redis.Redis.from_url(redis_url)
    try:
        with pytest.raises(ConfigurationError) as caught:
            build(client)
    finally:
        client.close()
    message = str(caught.value)
    assert "redis.client.Redis" in message and "synchronous" in message
    assert "redis.asyncio.Redis" in message


def test_something_that_is_not_a_redis_client_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"needs an asyncio Redis client, got a builtins.dict"):
        RedisRateLimiter({}, rate=5)


async def test_the_asyncio_client_is_accepted_and_works(redis: Redis) -> None:
    store = RedisDedupe(redis, prefix=f"test:{uuid.uuid4()}:")
    assert await store.claim("k", 5) == "new"
