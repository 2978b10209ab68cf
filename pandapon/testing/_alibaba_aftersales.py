"""1688 after-sales endpoints: refund reasons, vouchers, disputes, returns."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from . import _serialize_1688 as wire
from ._base import bad
from ._records import AlibabaRefund
from ._routes import Context, RouteTable
from ._serialize import fen
from ._state import ALIBABA_PAID

__all__ = ["TABLE"]

TABLE = RouteTable()
route = TABLE.route

REFUND_REASONS = [
    {"id": 20006, "name": "不想要了", "needVoucher": False, "noRefundCarriage": True, "tipInfo": None},
    {"id": 20007, "name": "商品质量问题", "needVoucher": True, "noRefundCarriage": False, "tipInfo": "请上传商品照片"},
    {"id": 20008, "name": "未按约定时间发货", "needVoucher": False, "noRefundCarriage": False, "tipInfo": None},
    {"id": 20009, "name": "少件/漏发", "needVoucher": True, "noRefundCarriage": False, "tipInfo": None},
]
LOGISTICS_COMPANIES = [
    {"id": 1, "companyNo": "SF", "companyName": "顺丰速运", "companyPhone": "95338", "spelling": "shunfeng"},
    {"id": 2, "companyNo": "ZTO", "companyName": "中通快递", "companyPhone": "95311", "spelling": "zhongtong"},
    {"id": 3, "companyNo": "YTO", "companyName": "圆通速递", "companyPhone": "95554", "spelling": "yuantong"},
    {"id": 4, "companyNo": "STO", "companyName": "申通快递", "companyPhone": "95543", "spelling": "shentong"},
    {"id": 5, "companyNo": "YUNDA", "companyName": "韵达快递", "companyPhone": "95546", "spelling": "yunda"},
]
DISPUTE_REQUESTS = ("refund", "returnRefund")
GOODS_STATUSES = (
    "refundWaitSellerSend",
    "refundWaitBuyerReceive",
    "refundBuyerReceived",
    "aftersaleBuyerNotReceived",
    "aftersaleBuyerReceived",
)


@route("POST", "/alibaba/refund/info")
def refund_info(ctx: Context) -> object:
    return wire.alibaba_refund(ctx.state.alibaba_refund(ctx.params.text("refundId")))


@route("POST", "/alibaba/refund/reason/list")
def refund_reasons(ctx: Context) -> object:
    p = ctx.params
    order = ctx.state.alibaba_order(p.text("orderId"))
    goods_status = p.text_or_none("goodsStatus", choices=GOODS_STATUSES)
    reasons = [dict(r) for r in REFUND_REASONS]
    if order.status == "waitsellersend" or goods_status == "refundWaitSellerSend":
        reasons = [r for r in reasons if r["id"] in (20006, 20008)]
    return {"reasons": reasons}


@route("POST", "/alibaba/refund/voucher/upload")
def refund_voucher_upload(ctx: Context) -> object:
    p = ctx.params
    data = p.text_or_none("imageData") or p.text_or_none("imageBase64") or p.text_or_none("image")
    if data is None:
        raise p.missing("imageData", "the voucher image as base64 text")
    digest = hashlib.sha256(data.encode()).hexdigest()[:24]
    ctx.state.vouchers.append({"digest": digest, "size": len(data)})
    return {"imageDomain": "cbu01.alicdn.com", "imageRelativeUrl": f"img/ibank/refund/{digest}.jpg"}


@route("POST", "/alibaba/refund/detail/create")
def refund_create(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    order = state.alibaba_order(p.integer("orderId", minimum=1))
    dispute = p.text("disputeRequest", choices=DISPUTE_REQUESTS)
    payment = p.integer("applyPayment", minimum=0)
    carriage = p.integer("applyCarriage", minimum=0)
    reason_id = p.integer("applyReasonId")
    reasons = {int(str(r["id"])): str(r["name"]) for r in REFUND_REASONS}
    if reason_id not in reasons:
        raise p.fail(
            "applyReasonId", f"an id from POST /alibaba/refund/reason/list, one of {sorted(reasons)}", reason_id
        )
    description = p.text("description")
    if not 2 <= len(description) <= 150:
        raise p.fail("description", "2 to 150 characters", description)
    goods_status = p.text("goodsStatus", choices=GOODS_STATUSES)
    vouchers = [str(v) for v in p.array_or_none("vouchers") or []]
    known = {line.entry_id: line for line in order.lines}
    entry_ids = [int(e) for e in p.ids("orderEntryIds")] if p.has("orderEntryIds") else list(known)
    if any(e not in known for e in entry_ids):
        raise bad(
            f"param 'orderEntryIds': expected entries of order {order.order_id} ({sorted(known)}), got {entry_ids}"
        )
    if order.status not in ALIBABA_PAID:
        raise bad(f"order {order.order_id} is in status {order.status}; after-sales needs a paid order")
    limit = fen(sum((known[e].amount for e in entry_ids), Decimal(0)))
    if payment > limit:
        raise p.fail("applyPayment", f"at most {limit} fen, the amount of the entries", payment)
    if carriage > fen(order.shipping_fee):
        raise p.fail("applyCarriage", f"at most the shipping fee of {fen(order.shipping_fee)} fen", carriage)
    if any(
        r.order is order and r.status not in ("refundsuccess", "refundclose") for r in state.alibaba_refunds.values()
    ):
        raise bad(f"order {order.order_id} already has an open after-sales case")
    refund = AlibabaRefund(
        refund_id="TQ" + state.new_id(17, "1"),
        record_id=state.counter("alibaba-refund", 1001),
        order=order,
        entry_ids=entry_ids,
        dispute_request=dispute,
        apply_payment=payment,
        apply_carriage=carriage,
        apply_reason_id=reason_id,
        apply_reason=reasons[reason_id],
        description=description,
        goods_status=goods_status,
        vouchers=vouchers,
        status="waitselleragree",
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    state.alibaba_refunds[refund.refund_id] = refund
    order.refund_status = refund.status
    state.push_alibaba_refund(refund, "BUYER_APPLY_REFUND", ctx.now)
    return {"refundId": refund.refund_id}


@route("POST", "/alibaba/refund/goods/return")
def refund_goods_return(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    refund = state.alibaba_refund(p.text("refundId"))
    companies = {str(c["companyNo"]): str(c["companyName"]) for c in LOGISTICS_COMPANIES}
    company = p.text("logisticsCompanyNo")
    if company not in companies:
        raise p.fail(
            "logisticsCompanyNo",
            f"a companyNo from GET /alibaba/refund/logistics/company/list, one of {sorted(companies)}",
            company,
        )
    bill = p.text("freightBill")
    if refund.status != "waitbuyersend":
        raise bad(
            f"refund {refund.refund_id} is in status {refund.status}; goods can be returned only in waitbuyersend"
        )
    refund.logistics_company_no, refund.logistics_company_name, refund.freight_bill = company, companies[company], bill
    refund.vouchers.extend(str(v) for v in p.array_or_none("vouchers") or [])
    refund.status, refund.updated_at = "waitsellerreceive", ctx.now
    refund.order.refund_status = refund.status
    state.push_alibaba_refund(refund, "BUYER_SEND_GOODS", ctx.now)
    # The upstream returnGoods result object (receivegoods' {success, errorInfo, errorCode} shape).
    return {"success": True, "errorCode": None, "errorInfo": None}


@route("GET", "/alibaba/refund/logistics/company/list")
def logistics_companies(ctx: Context) -> object:
    return [dict(c) for c in LOGISTICS_COMPANIES]
