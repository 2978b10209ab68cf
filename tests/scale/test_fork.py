"""Clients and Redis-backed parts made in a parent process, used in forked children (Celery prefork, gunicorn
``--preload``): each child gets its own loop thread, connection pool and Redis connections; the parent keeps its own.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

import pandapon
from pandapon.testing import FakePandaPon
from pandapon.webhooks import RedisDedupe
from tests.helpers import serve_asgi

pytestmark = [
    pytest.mark.loopback,
    pytest.mark.redis,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning"),
]

PRODUCT = "672991141190"  # one of the docs' example ids (doc_examples=True)


@pytest.fixture(scope="module")
def fake_url() -> Iterator[tuple[FakePandaPon, str]]:
    fake = FakePandaPon(seed=0, doc_examples=True, step_interval=None)
    with serve_asgi(fake) as url:
        yield fake, url


def in_children(target: Callable[[], object], children: int = 3) -> list[object]:
    """Run ``target`` in ``children`` processes forked from this one; return what each returned (or raised, as text)."""
    ctx = multiprocessing.get_context("fork")
    results: Any = ctx.Queue()

    def run() -> None:
        try:
            results.put(("ok", target()))
        except BaseException as exc:
            results.put(("error", f"{type(exc).__name__}: {exc}"))

    procs = [ctx.Process(target=run) for _ in range(children)]
    for p in procs:
        p.start()
    try:
        answers = [results.get(timeout=20) for _ in procs]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    assert [kind for kind, _ in answers] == ["ok"] * children, answers
    return [value for _, value in answers]


def test_a_sync_client_with_a_redis_limiter_used_before_the_fork_works_in_every_child(
    fake_url: tuple[FakePandaPon, str], redis_url: str
) -> None:
    fake, url = fake_url
    c = fake.credentials
    limiter = pandapon.RedisRateLimiter(Redis.from_url(redis_url), rate=1000, key=f"test:{uuid.uuid4()}")
    parents_redis = limiter.redis
    with pandapon.PandaPon(c.access_key, c.access_secret, c.user_id, base_url=url, rate_limiter=limiter) as client:
        assert client.taobao.products.get(PRODUCT).item_id == PRODUCT  # the parent's loop and Redis pool are open
        parent_thread = client._runner._running

        def child() -> tuple[str, bool, bool, int]:
            title = client.taobao.products.get(PRODUCT).title
            # the child runs its own loop thread and talks to Redis over connections of its own
            return title, limiter.redis is parents_redis, client._runner._running is parent_thread, os.getpid()

        answers = in_children(child)
        assert {a[0] for a in answers} == {client.taobao.products.get(PRODUCT).title}  # and the parent still works
        assert [a[1:3] for a in answers] == [(False, False)] * 3
        assert len({a[3] for a in answers} | {os.getpid()}) == 4
        assert limiter.redis is parents_redis  # the parent keeps its own
        client._runner.run(lambda _c: parents_redis.aclose())  # its connections live in the client's loop


def test_the_fork_copy_of_the_redis_client_keeps_its_settings(redis_url: str) -> None:
    limiter = pandapon.RedisRateLimiter(Redis.from_url(redis_url.rsplit("/", 1)[0] + "/3", socket_timeout=7), rate=10)

    def child() -> tuple[str, object, object, bool]:
        r = limiter.redis
        kwargs = r.connection_pool.connection_kwargs

        async def ping() -> bool:
            try:
                return bool(await r.ping())
            finally:
                await r.aclose()

        return type(r).__name__, kwargs["db"], kwargs["socket_timeout"], asyncio.run(ping())

    assert in_children(child, children=1) == [("Redis", 3, 7, True)]


def test_a_redis_dedupe_store_used_before_the_fork_claims_in_the_child(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    given = RedisDedupe(redis, prefix=f"test:{uuid.uuid4()}:")
    by_url = RedisDedupe(url=redis_url, prefix=f"test:{uuid.uuid4()}:")
    loop = asyncio.new_event_loop()  # one loop, kept across the fork: the store must not reuse its connections
    try:
        assert loop.run_until_complete(given.claim("parent", 60)) == "new"
        assert loop.run_until_complete(by_url.claim("parent", 60)) == "new"

        def child() -> list[str]:
            claims = [
                loop.run_until_complete(given.claim(f"child-{os.getpid()}", 60)),
                loop.run_until_complete(given.claim("parent", 60)),
                loop.run_until_complete(by_url.claim(f"child-{os.getpid()}", 60)),
                loop.run_until_complete(by_url.claim("parent", 60)),
            ]
            return [str(c) for c in claims]

        assert in_children(child, children=2) == [["new", "in_progress", "new", "in_progress"]] * 2
        assert loop.run_until_complete(given.claim("parent", 60)) == "in_progress"  # the parent's pool still works
        loop.run_until_complete(by_url.aclose())
        loop.run_until_complete(redis.aclose())
    finally:
        loop.close()


def test_an_async_client_used_before_the_fork_works_under_the_childs_own_loop(
    fake_url: tuple[FakePandaPon, str],
) -> None:
    fake, url = fake_url
    c = fake.credentials
    client = pandapon.AsyncPandaPon(c.access_key, c.access_secret, c.user_id, base_url=url)

    async def title() -> str:
        return (await client.taobao.products.get(PRODUCT)).title

    parent = asyncio.run(title())
    assert in_children(lambda: asyncio.run(title())) == [parent] * 3
    asyncio.run(client.aclose())


def test_an_async_client_on_a_loop_kept_across_the_fork_does_not_share_the_parents_connections(
    fake_url: tuple[FakePandaPon, str],
) -> None:
    fake, url = fake_url
    c = fake.credentials
    client = pandapon.AsyncPandaPon(c.access_key, c.access_secret, c.user_id, base_url=url)
    loop = asyncio.new_event_loop()  # the old style: one loop, run again and again (and here, in the children)

    async def title() -> str:
        return (await client.taobao.products.get(PRODUCT)).title

    try:
        parent = loop.run_until_complete(title())  # a keep-alive connection is now open, on this loop
        # before: the children used the parent's connection, read each other's answers, and one hung
        assert in_children(lambda: loop.run_until_complete(title()), children=4) == [parent] * 4
        assert loop.run_until_complete(title()) == parent
        loop.run_until_complete(client.aclose())
    finally:
        loop.close()
