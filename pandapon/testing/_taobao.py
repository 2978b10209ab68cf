"""Taobao endpoints: goods and orders; the ``pageNo`` page the other Taobao modules share."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from . import _serialize as wire
from ._base import Params, bad, is_object, not_found
from ._records import Product, Sku, TaobaoLine, TaobaoOrder
from ._routes import Context, RouteTable
from ._state import State

__all__ = ["TABLE", "find_line", "new_order", "page", "paging", "read_receiver"]

TABLE = RouteTable()
route = TABLE.route


def page(rows: Sequence[object], page_no: int, page_size: int) -> dict[str, object]:
    """The ``pageNo`` / ``pageSize`` family's page (invented shape; rows in ``data`` like the 1688 pages)."""
    start = (page_no - 1) * page_size
    return {"pageNo": page_no, "pageSize": page_size, "total": len(rows), "data": list(rows[start : start + page_size])}


def paging(p: Params, *, max_size: int = 100, size_required: bool = False) -> tuple[int, int]:
    page_no = p.integer_or("pageNo", 1, minimum=1)
    size = (
        p.integer("pageSize", minimum=1, maximum=max_size)
        if size_required
        else p.integer_or("pageSize", 20, minimum=1, maximum=max_size)
    )
    return page_no, size


# --------------------------------------------------------------------------- goods


def _search(products: list[Product], keyword: str | None) -> list[Product]:
    if not keyword:
        return list(products)
    needle = keyword.lower()
    return [p for p in products if needle in p.title.lower() or needle in p.category_name.lower()]


@route("POST", "/open/product/image/search")
def image_search(ctx: Context) -> object:
    p = ctx.params
    image = p.text_or_none("imageUrl") or p.text_or_none("imageBase64") or p.text_or_none("imageId")
    if image is None:
        raise p.missing("imageUrl", "an image URL (or imageBase64 / imageId)")
    page_no, size = paging(p, max_size=40)
    # Deterministic "similarity": the same picture always ranks the catalogue the same way.
    ranked = sorted(ctx.state.products, key=lambda prod: hashlib.sha256((image + prod.item_id).encode()).digest())
    return page([wire.product_row(prod) for prod in ranked[:10]], page_no, size)


@route("POST", "/open/product/item/search")
def item_search(ctx: Context) -> object:
    p = ctx.params
    page_no, size = paging(p, max_size=40)
    found = _search(ctx.state.products, p.text_or_none("keyword"))
    sort = p.text_or_none("sort")
    if sort in ("price_asc", "price_desc"):
        found.sort(key=lambda prod: prod.price, reverse=sort == "price_desc")
    return page([wire.product_row(prod) for prod in found], page_no, size)


@route("POST", "/open/product/batch/check")
def batch_check(ctx: Context) -> object:
    p = ctx.params
    entries = p.json_text("params", "array")
    found: list[object] = []
    missing: list[object] = []
    reasons: list[object] = []
    for index, entry in enumerate(entries):
        if not is_object(entry):
            raise p.fail(f"params[{index}]", "an object {itemId, skuIds}", entry)
        q = Params(entry, prefix=f"params[{index}].")
        item_id = q.text("itemId")
        sku_ids = q.ids("skuIds") if q.has("skuIds") else []
        product = ctx.state.by_item_id.get(item_id)
        if product is None or product.mp_id is None:
            missing.append(item_id)
            reasons.append(
                {
                    "itemId": item_id,
                    "reason": "item not found" if product is None else "item is not a distribution product",
                }
            )
            continue
        skus = [s for s in product.skus if not sku_ids or s.sku_id in sku_ids]
        found.append(
            {
                "itemId": item_id,
                "mpId": product.mp_id,
                "skuList": [{"skuId": s.sku_id, "mpSkuId": s.mp_sku_id} for s in skus],
            }
        )
    return {"mpProducts": found, "noMpProductItemIds": missing, "noMpReasonList": reasons}


@route("GET", "/open/product/get")
def product_get(ctx: Context) -> object:
    return wire.product(ctx.state.product(ctx.params.text("itemId")))


@route("GET", "/open/product/source/get")
def product_source_get(ctx: Context) -> object:
    p = ctx.params
    product = ctx.state.product(p.text("itemId"))
    return {
        "itemId": int(product.item_id),
        "title": product.title,
        "description": product.description,
        "language": p.text_or_none("language") or "zh",
    }


@route("POST", "/open/product/source/get")
def product_source_search(ctx: Context) -> object:
    p = ctx.params
    product = ctx.state.product(p.text("itemId"))
    p.text_or_none("language")
    return {"description": product.description, "itemId": int(product.item_id)}


# --------------------------------------------------------------------------- orders


def read_receiver(p: Params, key: str, *, json_text: bool) -> dict[str, object]:
    raw = p.json_text(key, "object") if json_text else p.obj(key)
    q = p.nested(key, raw)
    q.text("name")
    q.text("address")
    if not (q.has("mobile_phone") or q.has("phone")):
        raise q.missing("mobile_phone", "a mobile_phone or phone number")
    return dict(raw)


def new_order(
    state: State,
    lines: list[tuple[Product, str, int, int, str, str]],
    *,
    receiver: dict[str, object],
    purchase_amount: int,
    seller_order_number: str | None,
    order_source: str | None,
    now: float,
) -> TaobaoOrder:
    """Create an order from (product, sku id, quantity, unit price, line no, currency); checks stock first."""
    wanted: dict[str, int] = {}
    resolved: list[tuple[Product, Sku, int, int, str, str]] = []
    for index, (product, sku_id, quantity, price, line_no, currency) in enumerate(lines):
        sku = product.sku(sku_id)
        if sku is None:
            raise not_found(f"orderLineList[{index}].skuId", sku_id)
        wanted[sku.sku_id] = wanted.get(sku.sku_id, 0) + quantity
        if wanted[sku.sku_id] > sku.stock:
            raise bad(
                f"orderLineList[{index}]: quantity {wanted[sku.sku_id]} exceeds the stock of {sku.stock} for skuId {sku_id}"
            )
        resolved.append((product, sku, quantity, price, line_no, currency))
    order = TaobaoOrder(
        order_id=state.new_id(19, "10"),
        purchase_order_id=int(state.new_id(12, "3")),
        seller_order_number=seller_order_number,
        order_source=order_source,
        purchase_amount=purchase_amount,
        receiver=receiver,
        lines=[],
        status="WAIT_BUYER_P",
        created_at=now,
    )
    for product, sku, quantity, price, line_no, currency in resolved:
        sku.stock -= quantity
        order.lines.append(
            TaobaoLine(
                line_no=line_no,
                product=product,
                sku=sku,
                quantity=quantity,
                price=price,
                currency=currency,
                sub_purchase_order_id=state.new_id(12, "2000"),
                purchase_order_outer_id=state.new_id(19, "36"),
                purchase_order_line_id=int(state.new_id(13, "7")),
            )
        )
    state.orders[order.order_id] = order
    if seller_order_number:
        state.by_seller_order_number[seller_order_number] = order
    state.push_taobao_status(order, now)
    return order


@route("POST", "/open/order", create=True)
def order_create(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    seller_order_number = p.text_or_none("sellerOrderNumber")
    raw_lines = p.json_text("orderLineList", "array")
    receiver = read_receiver(p, "receiver", json_text=True)
    purchase_amount = p.integer("purchaseAmount", minimum=0)
    order_source = p.text_or_none("orderSource")
    if not raw_lines:
        raise bad("param 'orderLineList' must not be an empty array")
    lines: list[tuple[Product, str, int, int, str, str]] = []
    for index, raw in enumerate(raw_lines):
        if not is_object(raw):
            raise p.fail(
                f"orderLineList[{index}]", "an object {itemId, orderLineNo, quantity, price, currency, skuId}", raw
            )
        q = Params(raw, prefix=f"orderLineList[{index}].")
        item_id = q.text("itemId")
        product = state.product(item_id)
        if product.mp_id is None:
            raise bad(f"orderLineList[{index}].itemId {item_id!r} is not a distribution product (it has no mpId)")
        lines.append(
            (
                product,
                q.text("skuId"),
                q.integer("quantity", minimum=1),
                q.integer("price", minimum=0),
                q.text_or_none("orderLineNo") or str(index + 1),
                q.text_or_none("currency") or "CNY",
            )
        )
    # Idempotency by the buyer's own order number: a repeated create answers the order made the first time.
    if state.dedupe_seller_order_number and seller_order_number and seller_order_number in state.by_seller_order_number:
        return wire.taobao_order(state.by_seller_order_number[seller_order_number])
    total = sum(quantity * price for _, _, quantity, price, _, _ in lines)
    if purchase_amount != total:
        raise bad(
            f"param 'purchaseAmount': expected the sum of price x quantity over orderLineList ({total} fen), "
            f"got {purchase_amount}"
        )
    order = new_order(
        state,
        lines,
        receiver=receiver,
        purchase_amount=purchase_amount,
        seller_order_number=seller_order_number,
        order_source=order_source,
        now=ctx.now,
    )
    return wire.taobao_order(order)


@route("GET", "/open/order/page")
def order_page(ctx: Context) -> object:
    p = ctx.params
    page_no, size = paging(p)
    status = p.text_or_none("status")
    number = p.text_or_none("sellerOrderNumber")
    orders = [
        o
        for o in ctx.state.orders.values()
        if isinstance(o, TaobaoOrder)
        and (status is None or o.status == status)
        and (number is None or o.seller_order_number == number)
    ]
    orders.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
    return page([wire.taobao_order(o) for o in orders], page_no, size)


@route("POST", "/open/order/voucher/upload")
def order_voucher_upload(ctx: Context) -> object:
    p = ctx.params
    order = ctx.state.taobao_order(p.text("orderId"))
    voucher = p.text_or_none("voucherUrl") or p.text_or_none("voucher") or p.text_or_none("imageUrl")
    if voucher is None:
        raise p.missing("voucherUrl", "the URL of the payment voucher image")
    order.vouchers.append(voucher)
    return True


@route("POST", "/open/order/cancel")
def order_cancel(ctx: Context) -> object:
    p = ctx.params
    order = ctx.state.taobao_order(p.text("orderId"))
    ctx.state.cancel_taobao(order, p.text_or_none("cancelReason"), ctx.now)
    return True


@route("POST", "/open/order/updateWarehouse")
def order_update_warehouse(ctx: Context) -> object:
    p = ctx.params
    address, name = p.text("warehouseAddress"), p.text("warehouseName")
    order = ctx.state.taobao_order(p.text("orderId"))
    order.warehouse_address, order.warehouse_name = address, name
    return True


@route("POST", "/open/order/pay")
def order_pay(ctx: Context) -> object:
    order = ctx.state.taobao_order(ctx.params.text("orderId"))
    ctx.state.pay_taobao(order, ctx.now)
    return {"orderId": order.order_id, "status": order.status, "payTime": wire.china_time(ctx.now)}


@route("POST", "/open/order/page/link/get")
def order_im_link(ctx: Context) -> object:
    p = ctx.params
    p.text("loginName")
    p.text("password")
    p.text("pageName")
    params = p.json_text("pageParamMap", "object")
    token = hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest()[:48]
    return f"https://distributor.taobao.global/apps/open/imchat?loginToken={token}"


@route("GET", "/open/order/detail/get")
def order_detail(ctx: Context) -> object:
    return wire.taobao_order(ctx.state.taobao_order(ctx.params.text("orderId")))


def find_line(state: State, sub_id: str, key: str) -> tuple[TaobaoOrder, TaobaoLine]:
    for order in state.orders.values():
        if isinstance(order, TaobaoOrder):
            for line in order.lines:
                if line.sub_purchase_order_id == sub_id:
                    return order, line
    raise not_found(key, sub_id)


@route("GET", "/open/order/logistics/detail/get")
def order_logistics(ctx: Context) -> object:
    order, line = find_line(ctx.state, ctx.params.text("subPurchaseOrderId"), "subPurchaseOrderId")
    details: list[object] = []
    if order.mail_no is not None:
        receiver = order.receiver
        details.append(
            {
                "mailNo": order.mail_no,
                "logisticsTraces": [dict(t) for t in order.traces],
                "logisticsPartner": [{"companyImageUrl": None, "company": "中通快递", "companyContact": "95311"}],
                "receiver": {
                    "zipCode": receiver.get("zip"),
                    "address": receiver.get("address"),
                    "province": receiver.get("state"),
                    "city": receiver.get("city"),
                    "district": receiver.get("district"),
                    "phone": receiver.get("mobile_phone") or receiver.get("phone"),
                    "name": receiver.get("name"),
                },
                "logisticsGoods": [
                    {
                        "title": line.product.title,
                        "property": None,
                        "imageUrl": line.product.pic_urls[0],
                        "quantity": str(line.quantity),
                    }
                ],
            }
        )
    return {"purchaseOrderOuterId": line.purchase_order_outer_id, "pnmLogisticsDetails": details}
