"""Taobao endpoints: goods, orders, after-sales, cart (31 routes)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from . import _serialize as wire
from ._base import Context, Params, RouteTable, bad, is_array, is_object, not_found
from ._records import Product, Sku, TaobaoCartItem, TaobaoLine, TaobaoOrder, TaobaoRefund
from ._state import TAOBAO_PAID, State

__all__ = ["TABLE", "page"]

TABLE = RouteTable()
route = TABLE.route

REFUND_REASONS = [
    {"reasonId": 1, "reasonDesc": "不想要了", "tips": ""},
    {"reasonId": 2, "reasonDesc": "商品质量问题", "tips": "请上传商品照片"},
    {"reasonId": 3, "reasonDesc": "少件/漏发", "tips": ""},
    {"reasonId": 4, "reasonDesc": "与商品描述不符", "tips": "请上传商品照片"},
]
RETURN_CARRIERS = [
    {"logisticCompanyCode": "SF", "logisticsCompanyName": "顺丰快递"},
    {"logisticCompanyCode": "ZTO", "logisticsCompanyName": "中通快递"},
    {"logisticCompanyCode": "YTO", "logisticsCompanyName": "圆通速递"},
]


def page(rows: Sequence[object], page_no: int, page_size: int) -> dict[str, object]:
    """The ``pageNo`` / ``pageSize`` family's page (invented shape; rows in ``data`` like the 1688 pages)."""
    start = (page_no - 1) * page_size
    return {"pageNo": page_no, "pageSize": page_size, "total": len(rows), "data": list(rows[start : start + page_size])}


def _paging(p: Params, *, max_size: int = 100, size_required: bool = False) -> tuple[int, int]:
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
    page_no, size = _paging(p, max_size=40)
    # Deterministic "similarity": the same picture always ranks the catalogue the same way.
    ranked = sorted(ctx.state.products, key=lambda prod: hashlib.sha256((image + prod.item_id).encode()).digest())
    return page([wire.product_row(prod) for prod in ranked[:10]], page_no, size)


@route("POST", "/open/product/item/search")
def item_search(ctx: Context) -> object:
    p = ctx.params
    page_no, size = _paging(p, max_size=40)
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


def _receiver(p: Params, key: str, *, json_text: bool) -> dict[str, object]:
    raw = p.json_text(key, "object") if json_text else p.obj(key)
    q = p.nested(key, raw)
    q.text("name")
    q.text("address")
    if not (q.has("mobile_phone") or q.has("phone")):
        raise q.missing("mobile_phone", "a mobile_phone or phone number")
    return dict(raw)


def _new_order(
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
    receiver = _receiver(p, "receiver", json_text=True)
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
    order = _new_order(
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
    page_no, size = _paging(p)
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


# --------------------------------------------------------------------------- after-sales


def _refund_view(r: TaobaoRefund) -> dict[str, object]:
    return {
        "distributorId": wire.DISTRIBUTOR_ID,
        "currency": "CNY",
        "refundOrderAggregate": wire.taobao_refund_aggregate(r),
    }


@route("POST", "/open/order/refund/queryList")
def refund_list(ctx: Context) -> object:
    p = ctx.params
    page_no, size = _paging(p, size_required=True)
    refund_id = p.text_or_none("refundId")
    purchase_order_id = p.text_or_none("purchaseOrderId")
    sales_order_id = p.text_or_none("salesOrderId")
    status = p.integer_or_none("refundStatus")
    start = p.integer_or_none("refundStartTime", minimum=0)
    end = p.integer_or_none("refundEndTime", minimum=0)
    rows: list[dict[str, object]] = []
    for r in ctx.state.taobao_refunds.values():
        created = int(r.created_at * 1000)
        if (
            (refund_id is None or r.refund_id == refund_id)
            and (purchase_order_id is None or purchase_order_id in (str(r.order.purchase_order_id), r.order.order_id))
            and (sales_order_id is None or r.order.seller_order_number == sales_order_id)
            and (status is None or r.status == status)
            and (start is None or created >= start)
            and (end is None or created <= end)
        ):
            rows.append(_refund_view(r))
    return page(rows, page_no, size)


@route("POST", "/open/order/refund/render")
def refund_render(ctx: Context) -> object:
    p = ctx.params
    order, line = find_line(ctx.state, p.text("subOrderId"), "subOrderId")
    refund_type = p.integer("refundType", minimum=0)
    goods_status = p.integer("goodsStatus", minimum=0)
    sale_flag = order.status in TAOBAO_PAID
    draft = TaobaoRefund(
        refund_id="",
        order=order,
        line=line,
        refund_type=refund_type,
        goods_status=goods_status,
        reason_id=0,
        reason_desc="",
        refund_fee=line.amount,
        refund_desc="",
        status=0,
        created_at=ctx.now,
    )
    template_order = wire.taobao_refund_order(draft, status_as_text=True)
    template_order["refundId"] = None
    return {
        "refundOrderTemplate": {
            "refundReasons": [dict(r) for r in REFUND_REASONS],
            "goodsStatusList": ["NOT_RECEIVED", "RECEIVED"],
            "refundOrder": template_order,
            "maxRefundFee": {
                "minRefundFee": 1,
                "feeTips": f"最多可退 {line.amount} 分",
                "refundFee": line.amount,
                "canEditRefundFee": True,
            },
        },
        "distributorId": wire.DISTRIBUTOR_ID,
        "currency": "CNY",
        "saleFlag": sale_flag,
    }


@route("GET", "/open/order/refund/render/logistics")
def refund_render_logistics(ctx: Context) -> object:
    refund = ctx.state.taobao_refund(ctx.params.text("refundId"))
    return {
        "refundId": refund.refund_id,
        "canSubmit": refund.status == 20,
        "receiverAddress": {
            "detailAddress": "浙江省杭州市余杭区仓前街道1号",
            "phone": "18123594991",
            "receiver": "售后部",
        },
        "logisticsCompanies": [dict(c) for c in RETURN_CARRIERS],
    }


@route("POST", "/open/order/refund/submit/logistics")
def refund_submit_logistics(ctx: Context) -> object:
    p = ctx.params
    refund = ctx.state.taobao_refund(p.text("refundId"))
    code = p.text_or_none("logisticsCompanyCode") or p.text_or_none("logisticCompanyCode")
    if code is None:
        raise p.missing(
            "logisticsCompanyCode", f"a carrier code, one of {[c['logisticCompanyCode'] for c in RETURN_CARRIERS]}"
        )
    names = {str(c["logisticCompanyCode"]): str(c["logisticsCompanyName"]) for c in RETURN_CARRIERS}
    if code not in names:
        raise p.fail("logisticsCompanyCode", f"one of {sorted(names)}", code)
    number = p.text("logisticsNo")
    if refund.status != 20:
        raise bad(
            f"refund {refund.refund_id} is not waiting for a return shipment (refundStatus {refund.status}, expected 20)"
        )
    refund.logistics_company_code, refund.logistics_company_name = code, names[code]
    refund.logistics_no = number
    refund.buyer_phone = p.text_or_none("buyerPhone") or refund.buyer_phone
    refund.status = 30
    ctx.state.push_taobao_refund(refund, ctx.now)
    return True


@route("GET", "/open/order/refund/cancel/{refundId}")
def refund_cancel(ctx: Context) -> object:
    refund = ctx.state.taobao_refund(ctx.params.text("refundId"))
    cancelled = refund.status in (10, 20, -10)
    if cancelled:
        refund.status = -20
        ctx.state.push_taobao_refund(refund, ctx.now)
    view = _refund_view(refund)
    return {"cancelSuccess": cancelled, **view}


def _message(
    state: State, refund: TaobaoRefund, owner: str, content: str, images: list[str], now: float
) -> dict[str, object]:
    message: dict[str, object] = {
        "messageId": state.new_id(12, "9"),
        "refundId": refund.refund_id,
        "owner": owner,
        "content": content,
        "images": images,
        "createTime": wire.china_time(now),
    }
    refund.messages.append(message)
    return message


def _images(p: Params, key: str) -> list[str]:
    raw = p.raw(key)
    if raw is None or raw == "":
        return []
    if is_array(raw) and all(isinstance(x, str) for x in raw):
        return [str(x) for x in raw]
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    raise p.fail(key, "image URLs as a comma-separated string", raw)


@route("POST", "/open/order/refund/submit/message")
def refund_submit_message(ctx: Context) -> object:
    p = ctx.params
    refund = ctx.state.taobao_refund(p.text("refundId"))
    message = _message(ctx.state, refund, "BUYER", p.text("refundMessage"), _images(p, "refundImages"), ctx.now)
    return {"refundId": refund.refund_id, "messageId": message["messageId"]}


@route("POST", "/open/order/refund/submit")
def refund_submit(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    order, line = find_line(state, p.text("subOrderId"), "subOrderId")
    refund_type = p.integer("refundType", minimum=0)
    goods_status = p.integer("goodsStatus", minimum=0)
    reason_id = p.integer_or("reasonId", 1)
    reasons = {int(str(r["reasonId"])): str(r["reasonDesc"]) for r in REFUND_REASONS}
    if reason_id not in reasons:
        raise p.fail("reasonId", f"a reasonId from the render template, one of {sorted(reasons)}", reason_id)
    fee = p.integer_or("refundFee", line.amount, minimum=1)
    if fee > line.amount:
        raise p.fail("refundFee", f"at most the line amount of {line.amount} fen", fee)
    if order.status not in TAOBAO_PAID:
        raise bad(f"order {order.order_id} is in status {order.status}; after-sales needs a paid order")
    for other in state.taobao_refunds.values():
        if other.line is line and other.status not in (100, -20):
            raise bad(f"sub-order {line.sub_purchase_order_id} already has an open refund {other.refund_id}")
    refund = TaobaoRefund(
        refund_id=state.new_id(12, "1100"),
        order=order,
        line=line,
        refund_type=refund_type,
        goods_status=goods_status,
        reason_id=reason_id,
        reason_desc=reasons[reason_id],
        refund_fee=fee,
        refund_desc=p.text_or_none("refundDesc") or "",
        status=10,
        created_at=ctx.now,
        images=_images(p, "refundImages"),
        buyer_phone=str(order.receiver.get("mobile_phone") or order.receiver.get("phone") or "") or None,
    )
    state.taobao_refunds[refund.refund_id] = refund
    _message(state, refund, "SYSTEM", "买家发起了退款申请", [], ctx.now)
    state.push_taobao_refund(refund, ctx.now)
    return {"refundId": refund.refund_id, "refundStatus": refund.status}


@route("POST", "/open/order/refund/message/queryList")
def refund_messages(ctx: Context) -> object:
    p = ctx.params
    refund = ctx.state.taobao_refund(p.text("refundId"))
    page_no, size = _paging(p)
    return page([dict(m) for m in refund.messages], page_no, size)


@route("POST", "/open/order/refund/modify")
def refund_modify(ctx: Context) -> object:
    p = ctx.params
    refund = ctx.state.taobao_refund(p.text("refundId"))
    if refund.status not in (10, -10):
        raise bad(f"refund {refund.refund_id} cannot be modified in refundStatus {refund.status}; only 10 or -10 can")
    fee = p.integer_or_none("refundFee", minimum=1)
    if fee is not None:
        if fee > refund.line.amount:
            raise p.fail("refundFee", f"at most the line amount of {refund.line.amount} fen", fee)
        refund.refund_fee = fee
    reason_id = p.integer_or_none("reasonId")
    if reason_id is not None:
        reasons = {int(str(r["reasonId"])): str(r["reasonDesc"]) for r in REFUND_REASONS}
        if reason_id not in reasons:
            raise p.fail("reasonId", f"one of {sorted(reasons)}", reason_id)
        refund.reason_id, refund.reason_desc = reason_id, reasons[reason_id]
    refund.refund_desc = p.text_or_none("refundDesc") or refund.refund_desc
    refund.refund_type = p.integer_or("refundType", refund.refund_type, minimum=0)
    refund.goods_status = p.integer_or("goodsStatus", refund.goods_status, minimum=0)
    refund.status = 10
    ctx.state.push_taobao_refund(refund, ctx.now)
    return wire.taobao_refund_order(refund)


@route("GET", "/open/order/refund/query")
def refund_query(ctx: Context) -> object:
    return _refund_view(ctx.state.taobao_refund(ctx.params.text("refundId")))


# --------------------------------------------------------------------------- cart


def _cart_items(state: State, p: Params, key: str = "ids") -> list[TaobaoCartItem]:
    items: list[TaobaoCartItem] = []
    for cart_id in p.ids(key, non_empty=True):
        item = state.taobao_cart.get(int(cart_id)) if cart_id.isdigit() else None
        if item is None:
            raise not_found(f"{key} cart record", cart_id)
        items.append(item)
    return items


def _preview_rows(items: list[TaobaoCartItem]) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    for item in items:
        row = wire.taobao_cart_row(item)
        row["amount"] = item.sku.price * item.quantity
        rows.append(row)
    total = sum(item.sku.price * item.quantity for item in items)
    return {"items": rows, "postFee": 0, "totalAmount": total, "purchaseAmount": total, "currency": "CNY"}


@route("POST", "/open/cart/create/order", create=True)
def cart_create_order(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    items = _cart_items(state, p)
    receiver = _receiver(p, "orderAddress", json_text=False)
    lines = [
        (item.product, item.sku.sku_id, item.quantity, item.sku.price, str(index + 1), "CNY")
        for index, item in enumerate(items)
    ]
    total = sum(item.sku.price * item.quantity for item in items)
    order = _new_order(
        state, lines, receiver=receiver, purchase_amount=total, seller_order_number=None, order_source=None, now=ctx.now
    )
    for item in items:
        del state.taobao_cart[item.id]
    return wire.taobao_order(order)


@route("POST", "/open/cart/preview/order")
def cart_preview(ctx: Context) -> object:
    p = ctx.params
    items = _cart_items(ctx.state, p)
    if p.has("orderAddress"):
        _receiver(p, "orderAddress", json_text=False)
    return _preview_rows(items)


@route("GET", "/open/cart/list")
def cart_list(ctx: Context) -> object:
    groups: dict[tuple[bool, int], dict[str, object]] = {}
    for item in ctx.state.taobao_cart.values():
        enabled = item.sku.stock >= item.quantity
        group = groups.setdefault(
            (enabled, item.product.shop_id),
            {"shopId": item.product.shop_id, "shopName": item.product.shop_name, "cartItemInfos": []},
        )
        rows = group["cartItemInfos"]
        assert is_array(rows)
        rows.append(wire.taobao_cart_row(item))
    return {
        "enableList": [g for (enabled, _), g in groups.items() if enabled],
        "disableList": [g for (enabled, _), g in groups.items() if not enabled],
    }


@route("POST", "/open/cart/delete")
def cart_delete(ctx: Context) -> object:
    p = ctx.params
    ids = p.ids("ids", non_empty=True) if p.has("ids") or not p.has("id") else [p.text("id")]
    for cart_id in ids:
        if cart_id.isdigit():
            ctx.state.taobao_cart.pop(int(cart_id), None)
    return True


@route("POST", "/open/cart/add")
def cart_add(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    mp_id = p.text("mpId")
    mp_sku_id = p.text("mpSkuId")
    quantity = p.integer_or("quantity", 1, minimum=1)
    properties = p.json_text_or_none("properties", "array")
    product = state.by_mp_id.get(mp_id)
    if product is None:
        raise not_found("mpId", mp_id)
    sku = product.sku(mp_sku_id)
    if sku is None or sku.mp_sku_id != mp_sku_id:
        raise not_found("mpSkuId", mp_sku_id)
    for item in state.taobao_cart.values():
        if item.sku is sku:
            if item.quantity + quantity > sku.stock:
                raise p.fail("quantity", f"at most {sku.stock - item.quantity} more (stock {sku.stock})", quantity)
            item.quantity += quantity
            return wire.taobao_cart_row(item)
    if quantity > sku.stock:
        raise p.fail("quantity", f"at most the stock of {sku.stock}", quantity)
    item = TaobaoCartItem(
        id=state.counter("taobao-cart", 75),
        product=product,
        sku=sku,
        quantity=quantity,
        properties=list(properties) if isinstance(properties, list) else [],
        user_id=p.text_or_none("userId"),
        platform=p.integer_or_none("platform"),
        created_at=ctx.now,
    )
    state.taobao_cart[item.id] = item
    return wire.taobao_cart_row(item)


@route("POST", "/open/cart/edit-quantity")
def cart_edit_quantity(ctx: Context) -> object:
    p = ctx.params
    cart_id = p.integer("id", minimum=1)
    quantity = p.integer("quantity", minimum=1)
    item = ctx.state.taobao_cart.get(cart_id)
    if item is None:
        raise not_found("id", cart_id)
    if quantity > item.sku.stock:
        raise p.fail("quantity", f"at most the stock of {item.sku.stock}", quantity)
    item.quantity = quantity
    return True
