"""Every fault FakePandaPon offers, on reads, creates and payments: no duplicates, only typed errors, no hangs."""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from pandapon import (
    APITimeoutError,
    AsyncPandaPon,
    MalformedResponseError,
    OutcomeUnknownError,
    PandaPonError,
    RetryPolicy,
)
from pandapon.testing import FakePandaPon, Fault, FaultKind
from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver
from tests.helpers import serve_asgi

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(base=0.001, cap=0.005, max_retry_after=5)
KINDS = list(typing.get_args(FaultKind))  # every fault the fake offers


class World:
    """A fake with one product and a client on it."""

    def __init__(self, fake: FakePandaPon, client: AsyncPandaPon) -> None:
        self.fake = fake
        self.client = client

    async def order_inputs(self) -> tuple[list[TaobaoOrdersCreateOrderLine], int, TaobaoOrdersCreateReceiver]:
        page = await self.client.taobao.products.search(keyword="", page_no=1, page_size=20)
        assert isinstance(page, dict)
        row = next(r for r in page["data"] if r.get("mpId"))
        product = await self.client.taobao.products.get(str(row["itemId"]))
        sku = product.sku_list[0]
        line = TaobaoOrdersCreateOrderLine(
            item_id=product.mp_id, sku_id=sku.mp_sku_id, quantity="1", price=str(sku.price)
        )
        return [line], int(sku.price), TaobaoOrdersCreateReceiver(name="n", mobile_phone="1", address="a")

    def orders_numbered(self, number: str) -> int:
        return sum(1 for o in self.fake.orders.values() if getattr(o, "seller_order_number", None) == number)


def _creds(fake: FakePandaPon) -> dict[str, str]:
    c = fake.credentials
    return {"access_key": c.access_key, "access_secret": c.access_secret, "user_id": c.user_id}


@pytest.fixture(params=["in-process", "loopback"])
def fake_url(request: pytest.FixtureRequest) -> Iterator[tuple[FakePandaPon, str | None]]:
    fake = FakePandaPon(seed=11, step_interval=None)
    if request.param == "in-process":
        yield fake, None
    else:
        with serve_asgi(fake) as url:
            yield fake, url


@pytest.fixture
async def world(fake_url: tuple[FakePandaPon, str | None]) -> AsyncIterator[World]:
    fake, url = fake_url
    kwargs: dict[str, Any] = {"retry_policy": FAST, "timeout": 5.0}
    if url is None:
        kwargs["transport"] = httpx.ASGITransport(app=fake)
    else:
        kwargs["base_url"] = url
    async with AsyncPandaPon(**_creds(fake), **kwargs) as client:
        yield World(fake, client)


def fault(kind: str, path: str) -> Fault:
    if kind == "latency":
        return Fault("latency", path=path, delay=0.05)
    if kind == "clock_skew":
        return Fault("clock_skew", path=path, delay=3600, times=None)
    return Fault(kind, path=path)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
async def test_read_under_every_fault(world: World, kind: str) -> None:
    page = await world.client.taobao.products.search(keyword="", page_no=1, page_size=1)
    assert isinstance(page, dict)
    item_id = str(page["data"][0]["itemId"])
    world.fake.inject(fault(kind, "/open/product/get"))
    with anyio.fail_after(20):
        try:
            product = await world.client.taobao.products.get(item_id)
        except PandaPonError as exc:
            # Only a garbled 200 is not retried (it is not a transport failure): typed, with the body excerpt.
            assert kind in ("truncated", "garbage", "html"), (kind, exc)
            assert isinstance(exc, MalformedResponseError)
        else:
            assert product.item_id == item_id
    world.fake.clear_faults()


@pytest.mark.parametrize("kind", KINDS)
async def test_create_under_every_fault_never_duplicates(world: World, kind: str) -> None:
    lines, amount, receiver = await world.order_inputs()
    number = f"F-{kind}"
    world.fake.inject(fault(kind, "/open/order"))
    calls_before = world.fake.create_calls
    with anyio.fail_after(20):
        try:
            order = await world.client.taobao.orders.create(lines, amount, receiver, seller_order_number=number)
        except PandaPonError as exc:
            outcome: object = exc
        else:
            outcome = order
    world.fake.clear_faults()
    created = world.orders_numbered(number)
    assert created <= 1, f"{kind}: {created} orders for one create"
    # The create reached the platform's state at most once: the SDK never re-sent a create that might have landed.
    assert world.fake.create_calls - calls_before <= 1
    if isinstance(outcome, PandaPonError):
        assert created == 0 or isinstance(outcome, (OutcomeUnknownError, MalformedResponseError)), (kind, outcome)
    else:
        assert created == 1, (kind, outcome)
        assert isinstance(outcome, dict)
        assert outcome["sellerOrderNumber"] == number
    if kind == "drop_after":
        assert outcome is not None and not isinstance(outcome, PandaPonError)  # reconciled, not raised


@pytest.mark.parametrize("kind", KINDS)
async def test_pay_under_every_fault_pays_at_most_once(world: World, kind: str) -> None:
    lines, amount, receiver = await world.order_inputs()
    order = await world.client.taobao.orders.create(lines, amount, receiver, seller_order_number=f"P-{kind}")
    assert isinstance(order, dict)
    order_id = str(order["orderId"])
    world.fake.inject(fault(kind, "/open/order/pay"))
    with anyio.fail_after(20):
        try:
            await world.client.taobao.orders.pay({"orderId": order_id})
        except PandaPonError as exc:
            if kind == "drop_after":
                assert isinstance(exc, OutcomeUnknownError)
                assert exc.body == {"orderId": order_id}
    world.fake.clear_faults()
    pays = [
        r for r in world.fake.request_log if r.path == "/open/order/pay" and r.status is not None and r.fault is None
    ]
    assert len(pays) <= 1


async def test_latency_beyond_the_deadline_is_a_timeout(world: World) -> None:
    world.fake.inject(Fault("latency", path="/open/product/item/search", delay=3.0, times=None))
    # Without the deadline the call would wait out the 3 s and succeed: the timeout error is the deadline's.
    with pytest.raises(APITimeoutError):
        await world.client.with_options(deadline=0.3).taobao.products.search(keyword="", page_no=1, page_size=1)
    world.fake.clear_faults()


async def test_clock_skew_is_corrected(world: World) -> None:
    world.fake.inject(Fault("clock_skew", delay=-1800, times=None))
    page = await world.client.taobao.products.search(keyword="", page_no=1, page_size=1)
    assert isinstance(page, dict)
    assert abs(world.client.clock_offset + 1800) < 5
    world.fake.clear_faults()
