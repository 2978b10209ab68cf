"""Taobao after-sales endpoints: reverse orders, their logistics and messages."""

from __future__ import annotations

from . import _serialize as wire
from ._base import Params, bad, is_array
from ._records import TaobaoRefund
from ._routes import Context, RouteTable
from ._state import TAOBAO_PAID, State
from ._taobao import find_line, page, paging

__all__ = ["TABLE"]

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


def _refund_view(r: TaobaoRefund) -> dict[str, object]:
    return {
        "distributorId": wire.DISTRIBUTOR_ID,
        "currency": "CNY",
        "refundOrderAggregate": wire.taobao_refund_aggregate(r),
    }


@route("POST", "/open/order/refund/queryList")
def refund_list(ctx: Context) -> object:
    p = ctx.params
    page_no, size = paging(p, size_required=True)
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
    page_no, size = paging(p)
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
