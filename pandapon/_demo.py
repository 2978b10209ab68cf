"""``pandapon demo``: a full purchase flow, once with ``AsyncPandaPon`` and once with ``PandaPon``.

Without credentials in the environment it runs against an in-process :class:`~pandapon.testing.FakePandaPon`, with
a real push receiver (:class:`~pandapon.webhooks.WebhookReceiver`) verifying the fake's signed callbacks. With
``PANDAPON_ACCESS_KEY`` / ``PANDAPON_ACCESS_SECRET`` / ``PANDAPON_USER_ID`` set it makes read-only calls against the
real platform (nothing is bought).

The flow is written once, as a sequence of calls; each call is awaited on the async client or run on the sync
client from a worker thread, so both clients walk exactly the same steps.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx

from ._client import AsyncPandaPon
from ._converter import to_wire
from ._exceptions import PandaPonInferredEndpointWarning
from ._sync import PandaPon
from ._types import JSON

__all__ = ["run_demo"]

T = TypeVar("T")
Call = Callable[[Callable[[Any], Any]], Awaitable[Any]]


def _yuan(fen: object) -> str:
    try:
        return f"¥{Decimal(str(fen)) / 100:.2f}"
    except ArithmeticError:
        return str(fen)


class _Printer:
    def __init__(self, label: str) -> None:
        self.label = label
        self.step = 0
        self.started = time.perf_counter()

    def __call__(self, text: str, *details: str) -> None:
        self.step += 1
        print(f"  {self.step:>2}. {text}")
        for line in details:
            print(f"      {line}")


def _get(value: JSON, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value


async def _flow(call: Call, say: _Printer, fake: Any, events: list[Any], run_id: str) -> None:
    """The purchase flow against the fake: search → … → after-sales."""
    from .types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver

    page = await call(lambda c: c.taobao.products.search(keyword="", page_no=1, page_size=5))
    rows: list[dict[str, Any]] = _get(page, "data") or []
    row = next(r for r in rows if r.get("mpId"))
    say(f"search Taobao: {len(rows)} products on page 1", f"picked “{row['title']}” (itemId {row['itemId']})")

    product = await call(lambda c: c.taobao.products.get(str(row["itemId"])))
    sku = product.sku_list[0]
    say(
        f"product detail: {len(product.sku_list)} SKUs, price {_yuan(sku.price)}",
        f"SKU {sku.mp_sku_id}: {sku.quantity} in stock",
    )

    cart_row = await call(lambda c: c.taobao.cart.add(product.mp_id, sku.mp_sku_id, quantity=2))
    cart_id = _get(cart_row, "id")
    say(f"add to cart: record {cart_id}, quantity {_get(cart_row, 'quantity')}")

    preview = await call(lambda c: c.taobao.cart.preview_order({"ids": [cart_id]}))
    total = int(_get(preview, "purchaseAmount"))
    say(
        f"preview: {len(_get(preview, 'items') or [])} line(s), total {_yuan(total)}, post fee {_yuan(_get(preview, 'postFee'))}"
    )

    receiver = TaobaoOrdersCreateReceiver(
        name="张三",
        mobile_phone="15068763421",
        country="中国",
        state="浙江省",
        city="杭州市",
        district="余杭区",
        address="文一西路 969 号",
        zip="311121",
    )
    quantity = int(_get(cart_row, "quantity"))
    line = TaobaoOrdersCreateOrderLine(
        item_id=product.mp_id,
        sku_id=sku.mp_sku_id,
        quantity=str(quantity),
        price=str(sku.price),
        currency="CNY",
        order_line_no="1",
    )
    number = f"DEMO-{run_id}"
    # The fake drops the connection after creating the order: the answer is lost, as on a flaky network. A create
    # is never retried blindly; the SDK looks the order up by its sellerOrderNumber instead.
    from .testing import Fault

    orders_before = len(fake.orders)
    fake.inject(Fault("drop_after", path="/open/order", times=1))
    order = await call(lambda c: c.taobao.orders.create([line], total, receiver, seller_order_number=number))
    order_id = str(_get(order, "orderId"))
    say(
        f"create order {order_id} ({number}): status {_get(order, 'status')}",
        "the answer was lost on the way back (injected fault); the SDK found the order by its sellerOrderNumber",
        f"orders created: {len(fake.orders) - orders_before} (never twice)",
    )
    await call(lambda c: c.taobao.cart.delete({"ids": [cart_id]}))

    paid = await call(lambda c: c.taobao.orders.pay({"orderId": order_id}))
    say(f"pay: status {_get(paid, 'status')}")

    before = len(events)
    await fake.deliver_pending()
    mine = [e for e in events[before:] if e.order_id == order_id]
    statuses = [getattr(e, "status", None) for e in mine if e.kind == "status_change"]
    say(
        f"callbacks: {len(mine)} signed push(es) received and verified (HMAC-SHA256, de-duplicated)",
        f"status changes: {' → '.join(s for s in statuses if s) or 'none'}",
    )
    if "WAIT_SELLER_SEND_GOODS" not in statuses:
        raise RuntimeError("the payment's status callback did not arrive")

    fake.advance(order_id)  # the seller ships
    fake.advance(order_id)  # one more trace event
    sub_id = _get(order, "orderLines", 0, "subPurchaseOrderId")
    logistics = await call(lambda c: c.taobao.orders.get_logistics(str(sub_id)))
    detail = logistics.pnm_logistics_details[0]
    traces: list[Any] = detail.logistics_traces or []
    say(
        f"logistics: parcel {detail.mail_no}, {len(traces)} trace event(s)",
        *(f"{t.time}  {t.standerd_desc or t.status_desc or t.action}" for t in traces[-2:]),
    )

    refund = await call(
        lambda c: c.taobao.refunds.create(
            {"subOrderId": str(sub_id), "refundType": 1, "goodsStatus": 1, "reasonId": 1, "refundDesc": "尺码不合适"}
        )
    )
    refund_id = str(_get(refund, "refundId"))
    say(f"after-sales: case {refund_id} opened (refundStatus {_get(refund, 'refundStatus')})")
    await call(lambda c: c.taobao.refunds.submit_message(refund_id, "请尽快处理, 谢谢"))
    messages = await call(lambda c: c.taobao.refunds.list_messages({"refundId": refund_id}))
    fake.advance_refund(refund_id)
    case = await call(lambda c: c.taobao.refunds.get(refund_id))
    before = len(events)
    await fake.deliver_pending()
    refunds = [e for e in events[before:] if e.kind == "refund"]
    say(
        f"after-sales: {len(_get(messages, 'data') or [])} message(s) in the case; seller answered,"
        f" refundStatus now {_get(to_wire(case), 'refundOrderAggregate', 'refundOrder', 'refundStatus')}",
        f"refund callbacks received and verified: {len(refunds)}",
    )
    if not refunds:
        raise RuntimeError("the after-sales refund callback did not arrive")


async def _async_call(client: AsyncPandaPon) -> Call:
    async def call(step: Callable[[Any], Any]) -> Any:
        return await step(client)

    return call


def _sync_call(client: PandaPon) -> Call:
    async def call(step: Callable[[Any], Any]) -> Any:
        return await anyio.to_thread.run_sync(step, client)

    return call


async def _run_fake() -> None:
    from .testing import FakePandaPon
    from .webhooks import WebhookEvent, WebhookReceiver

    fake = FakePandaPon(seed=7)
    creds = fake.credentials
    receiver = WebhookReceiver(creds.access_secret)
    events: list[WebhookEvent] = []
    receiver.on("*")(events.append)
    fake.callback_transport = httpx.ASGITransport(app=receiver)
    fake.register_callback("https://hooks.example.test/pandapon")
    print("pandapon demo: against the embedded FakePandaPon (no PANDAPON_* credentials in the environment)")
    kwargs: dict[str, Any] = {
        "access_key": creds.access_key,
        "access_secret": creds.access_secret,
        "user_id": creds.user_id,
        "transport": httpx.ASGITransport(app=fake),
    }
    run = str(int(time.time()))
    t0 = time.perf_counter()
    print("\nAsyncPandaPon (awaited):")
    async with AsyncPandaPon(**kwargs) as aclient:
        await _flow(await _async_call(aclient), _Printer("async"), fake, events, run + "-A")
    print("\nPandaPon (sync, through its portal):")
    kwargs["transport"] = httpx.ASGITransport(app=fake)
    with PandaPon(**kwargs) as sclient:
        await _flow(_sync_call(sclient), _Printer("sync"), fake, events, run + "-S")
    orders = len(fake.orders)
    print(
        f"\ndone in {time.perf_counter() - t0:.2f}s: {len(fake.request_log)} signed requests, {orders} orders "
        f"(each created once), {len(events)} pushes verified."
    )


def _where() -> str:
    """Where PANDAPON_BASE_URL points, in words: the platform, or the local server it names."""
    import urllib.parse

    from ._options import DEFAULT_BASE_URL

    url = os.environ.get("PANDAPON_BASE_URL") or DEFAULT_BASE_URL
    host = urllib.parse.urlsplit(url).hostname or ""
    if url.rstrip("/") == DEFAULT_BASE_URL.rstrip("/"):
        return f"the real platform ({url})"
    if host in ("localhost", "::1") or host.startswith("127."):
        return f"a local server at {url} (e.g. `pandapon fake-server`), not the real platform"
    return f"{url} (PANDAPON_BASE_URL)"


async def _run_real() -> None:
    print(f"pandapon demo: read-only calls against {_where()} (PANDAPON_* credentials found)")
    async with AsyncPandaPon() as client:
        print("\nAsyncPandaPon (awaited):")
        page = await client.alibaba.products.search_by_keyword(keyword="T恤", begin_page=1, page_size=3, country="en")
        print(
            f"   1. 1688 keyword search: {page.total_records} records; first: {page.data[0].subject if page.data else '-'}"
        )
    with PandaPon() as sync_client:
        print("\nPandaPon (sync):")
        page = sync_client.alibaba.products.search_by_keyword(keyword="T恤", begin_page=1, page_size=3, country="en")
        print(
            f"   1. 1688 keyword search: {page.total_records} records; first: {page.data[0].subject if page.data else '-'}"
        )


def run_demo(*, real: bool = False) -> int:
    """Run the demo; return the exit status."""
    have_credentials = all(
        os.environ.get(v) for v in ("PANDAPON_ACCESS_KEY", "PANDAPON_ACCESS_SECRET", "PANDAPON_USER_ID")
    )
    if real and not have_credentials:
        print("pandapon demo --real needs PANDAPON_ACCESS_KEY, PANDAPON_ACCESS_SECRET and PANDAPON_USER_ID")
        return 2
    try:
        with warnings.catch_warnings():
            if not have_credentials:  # the fake serves the inferred paths; the warnings are about the platform
                warnings.simplefilter("ignore", PandaPonInferredEndpointWarning)
            anyio.run(_run_real if have_credentials else _run_fake)
    except Exception as exc:  # the demo reports, it never shows a traceback
        print(f"\npandapon demo failed: {type(exc).__name__}: {exc}")
        return 1
    return 0
