"""End to end over loopback: FakePandaPon pushes real signed callbacks to receivers served by uvicorn."""

from __future__ import annotations

import collections
import hashlib
import hmac
import time

import anyio
import httpx
import pytest

from pandapon.testing import FakePandaPon
from pandapon.webhooks import DedupeStore, InMemoryDedupe, RedisDedupe, WebhookEvent, WebhookReceiver
from tests.helpers import create_taobao_order, free_port, push_body, serve_asgi

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the test drives the fake's outbox; the receivers run in uvicorn threads


def make_orders(fake: FakePandaPon, n: int) -> list[str]:
    """Create and pay n Taobao orders directly on the fake's state (each change queues pushes)."""
    ids = []
    for _ in range(n):
        with fake.client() as client:
            order = create_taobao_order(client)
            client.taobao.orders.pay({"orderId": order["orderId"]})
            ids.append(str(order["orderId"]))
    return ids


class Counting:
    """A handler that counts deliveries per push and fails the first time for chosen orders."""

    def __init__(self, fail_once_for: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.handled: collections.Counter[str] = collections.Counter()
        self.failed: set[str] = set()
        self.fail_once_for = set(fail_once_for)

    async def __call__(self, event: WebhookEvent) -> None:
        key = event.dedupe_key
        if event.order_id in self.fail_once_for and key not in self.failed:
            self.failed.add(key)
            raise RuntimeError("the database is down")
        self.handled[key] += 1


async def deliver_until_settled(fake: FakePandaPon, rounds: int = 8) -> None:
    for _ in range(rounds):
        await fake.deliver_pending()
        if not fake.outbox:
            return
        fake.tick(1800)  # the platform retries after half an hour


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_receiver_down_then_back_every_event_exactly_once(store: str, request: pytest.FixtureRequest) -> None:
    dedupe: DedupeStore
    if store == "redis":
        # One client per worker loop, as separate worker processes would have.
        dedupe = RedisDedupe(url=request.getfixturevalue("redis_url"), prefix=f"test:{time.time_ns()}:")
    else:
        dedupe = InMemoryDedupe()
    fake = FakePandaPon(seed=5, redelivery_interval=1800, step_interval=None)
    port = free_port()
    fake.register_callback(f"http://127.0.0.1:{port}/push")
    orders = make_orders(fake, 3)
    handler = Counting(fail_once_for={orders[1]})
    # Two workers share one de-duplication store (with Redis: as separate processes would).
    workers = [WebhookReceiver(fake.credentials.access_secret, dedupe=dedupe) for _ in range(2)]
    for w in workers:
        w.on("*")(handler)

    # The receiver is down: every delivery fails and is scheduled again.
    await fake.deliver_pending()
    await fake.deliver_pending()
    assert fake.pushes and all(a.status is None for a in fake.pushes)
    fake.tick(1800)
    await fake.deliver_pending()
    assert not fake.dead_letters

    # Back up (worker 0), then a duplicate burst: every message sent again to worker 1 as well.
    with serve_asgi(workers[0], port=port), serve_asgi(workers[1]) as other:
        fake.tick(1800)
        await deliver_until_settled(fake)
        async with httpx.AsyncClient() as http:
            for message in fake.messages:
                signature = hmac.new(fake.credentials.access_secret.encode(), message.raw, hashlib.sha256).hexdigest()
                answer = await http.post(other + "/push", content=message.raw, headers={"Authorization": signature})
                assert answer.status_code == 200, (
                    answer.text,
                    [(a.attempt, a.status) for a in fake.pushes if a.message is message],
                )
    assert not fake.outbox and not fake.dead_letters
    keys = {WebhookReceiverKey.of(m.raw) for m in fake.messages}
    assert set(handler.handled) == keys  # every event handled...
    assert all(count == 1 for count in handler.handled.values())  # ...exactly once
    assert handler.failed  # the failing handler's events were redelivered, not lost


class WebhookReceiverKey:
    @staticmethod
    def of(raw: bytes) -> str:
        from pandapon.webhooks import parse_event

        return parse_event(raw).dedupe_key


async def test_forged_tampered_and_replayed_pushes_are_rejected_over_loopback() -> None:
    secret = "loopback-secret"
    receiver = WebhookReceiver(secret)
    seen: list[WebhookEvent] = []
    receiver.on("*")(seen.append)
    body = push_body("TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE", "{}", 0)
    old = body.replace(b'"timestamp": "', b'"timestamp": "1').replace(
        b'"timestamp": "1' + body.split(b'"timestamp": "')[1][:13],
        b'"timestamp": "' + str(int((time.time() - 86400) * 1000)).encode(),
    )

    def sign(data: bytes, key: str = secret) -> dict[str, str]:
        return {"Authorization": hmac.new(key.encode(), data, hashlib.sha256).hexdigest()}

    with serve_asgi(receiver) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.post("/push", content=body, headers=sign(body, "forged"))).status_code == 401
            assert (
                await http.post("/push", content=body.replace(b"{}", b'{"a":1}'), headers=sign(body))
            ).status_code == 401
            assert (await http.post("/push", content=old, headers=sign(old))).status_code == 401
            assert (await http.post("/push", content=body, headers=sign(body))).status_code == 200
            with anyio.fail_after(5):
                while not seen:
                    await anyio.sleep(0.01)
    assert len(seen) == 1
