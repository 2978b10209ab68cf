"""1688 endpoints: goods, orders, after-sales, cart, marketing (31 routes)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from . import _serialize as wire
from ._base import Context, Params, RouteTable, bad, is_array, not_found
from ._records import AlibabaCartItem, AlibabaLine, AlibabaOrder, AlibabaRefund, Offer, Seller, Spec
from ._state import ALIBABA_PAID, State

__all__ = ["TABLE"]

TABLE = RouteTable()
route = TABLE.route

FREE_SHIPPING_FROM = Decimal("99")
SHIPPING_FEE = Decimal("6.00")

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


def shipping_fee(product_total: Decimal) -> Decimal:
    return Decimal(0) if product_total >= FREE_SHIPPING_FROM else SHIPPING_FEE


# --------------------------------------------------------------------------- goods


def _page(rows: Sequence[object], begin_page: int, page_size: int) -> dict[str, object]:
    """The 1688 page: ``{totalRecords, totalPage, pageSize, currentPage, data}``."""
    start = (begin_page - 1) * page_size
    return {
        "totalRecords": len(rows),
        "totalPage": math.ceil(len(rows) / page_size),
        "pageSize": page_size,
        "currentPage": begin_page,
        "data": list(rows[start : start + page_size]),
    }


def _paging(p: Params) -> tuple[int, int]:
    # The searches document beginPage; the v2 recommendation calls use pageNo. Either is accepted.
    key = "beginPage" if p.has("beginPage") or not p.has("pageNo") else "pageNo"
    return p.integer_or(key, 1, minimum=1), p.integer_or("pageSize", 20, minimum=1, maximum=50)


def _filtered(p: Params, offers: Iterable[Offer]) -> list[Offer]:
    keyword = (p.text_or_none("keyword") or "").lower()
    low = p.decimal_or_none("priceStart", minimum=Decimal(0))
    high = p.decimal_or_none("priceEnd", minimum=Decimal(0))
    if low is not None and high is not None and low > high:
        raise bad(f"param 'priceStart' ({low}) must not exceed 'priceEnd' ({high})")
    category = p.integer_or_none("categoryId")
    p.text_or_none("filter")  # comma-separated flags; the fake accepts and ignores them
    sort = p.json_text_or_none("sort", "object")
    found = [
        o
        for o in offers
        if (not keyword or keyword in o.subject.lower() or keyword in o.subject_trans.lower())
        and (low is None or o.price >= low)
        and (high is None or o.price <= high)
        and (category is None or o.category_id == category)
    ]
    if sort is not None:
        for field, direction in sort.items():
            if field not in ("price", "monthSold"):
                raise bad(f"param 'sort': expected keys 'price' or 'monthSold', got {field!r}")
            if direction not in ("asc", "desc"):
                raise bad(f"param 'sort.{field}': expected 'asc' or 'desc', got {direction!r}")
            key: Callable[[Offer], Decimal] = (
                (lambda o: o.price) if field == "price" else (lambda o: Decimal(o.month_sold))
            )
            found.sort(key=key, reverse=direction == "desc")
    return found


def _search(ctx: Context, offers: Iterable[Offer] | None = None) -> object:
    p = ctx.params
    begin_page, size = _paging(p)
    found = _filtered(p, ctx.state.offers if offers is None else offers)
    return _page([wire.offer_row(o) for o in found], begin_page, size)


@route("POST", "/alibaba/product/detail/get")
def detail_get(ctx: Context) -> object:
    p = ctx.params
    offer = ctx.state.offer(p.integer("offerId", minimum=1))
    p.text_or_none("country")
    return wire.offer_detail(offer)


@route("POST", "/alibaba/product/openuid/decrypt")
def openuid_decrypt(ctx: Context) -> object:
    p = ctx.params
    ctx.state.offer(p.text("offerId"))
    open_uid = p.text("openUid")
    seller = next((s for s in ctx.state.sellers if s.open_id == open_uid), None)
    if seller is None:
        raise not_found("openUid", open_uid)
    return {
        "wangwangNick": seller.wangwang,
        "wangwangUrl": f"https://amos.alicdn.com/getcid.aw?uid={seller.wangwang}&site=cnalichn",
    }


@route("POST", "/alibaba/product/keywords/query")
def keywords_query(ctx: Context) -> object:
    return _search(ctx)


@route("POST", "/alibaba/product/image/query")
def image_query(ctx: Context) -> object:
    p = ctx.params
    image = p.text_or_none("imageBase64") or p.text_or_none("imageAddress")
    if image is None:
        raise p.missing("imageBase64", "a base64 image (or imageAddress)")
    p.text_or_none("region")
    ranked = sorted(ctx.state.offers, key=lambda o: hashlib.sha256((image + str(o.offer_id)).encode()).digest())
    return _search(ctx, ranked)


@route("POST", "/alibaba/product/query/selleroffer")
def seller_offer_query(ctx: Context) -> object:
    open_id = ctx.params.text_or_none("sellerOpenId")
    return _search(ctx, [o for o in ctx.state.offers if open_id is None or o.seller.open_id == open_id])


@route("POST", "/alibaba/product/category/get")
def category_get(ctx: Context) -> object:
    p = ctx.params
    category_id = p.integer("categoryId", minimum=1)
    language = p.text_or_none("language") or p.text_or_none("country") or "en"
    offer = next((o for o in ctx.state.offers if o.category_id == category_id), None)
    if offer is None:
        raise not_found("categoryId", category_id)
    return {
        "categoryId": category_id,
        "chineseName": offer.category_name,
        "translatedName": offer.subject_trans.split()[-1],
        "language": language,
        "leaf": True,
        "level": "3",
        "parentCateId": 10166,
    }


@route("POST", "/alibaba/product/productRecommendQuery")
def recommend(ctx: Context) -> object:
    p = ctx.params
    page_no = p.integer_or("pageNo", 1, minimum=1)
    size = p.integer_or("pageSize", 10, minimum=1, maximum=50)
    rows = sorted(ctx.state.offers, key=lambda o: -o.month_sold)
    start = (page_no - 1) * size
    return {"pageNo": page_no, "pageSize": size, "data": [wire.offer_row(o) for o in rows[start : start + size]]}


@route("POST", "/alibaba/product/productRelatedRecommendQuery")
def related(ctx: Context) -> object:
    p = ctx.params
    offer = ctx.state.offer(p.text("offerId"))
    page_no = p.integer_or("pageNo", 1, minimum=1)
    size = p.integer_or("pageSize", 10, minimum=1, maximum=50)
    p.text_or_none("language")
    rows = [o for o in ctx.state.offers if o.category_id == offer.category_id and o is not offer]
    start = (page_no - 1) * size
    return {"pageNo": page_no, "pageSize": size, "data": [wire.offer_row(o) for o in rows[start : start + size]]}


@route("POST", "/alibaba/product/global/keywords/query")
def global_selection(ctx: Context) -> object:
    return _search(ctx, [o for o in ctx.state.offers if o.month_sold % 2 == 0])


@route("POST", "/alibaba/product/strict/keywords/query")
def strict_selection(ctx: Context) -> object:
    return _search(ctx, [o for o in ctx.state.offers if o.month_sold % 3 != 0])


@route("POST", "/alibaba/product/hotlist/query")
def hot_list(ctx: Context) -> object:
    return _search(ctx, sorted(ctx.state.offers, key=lambda o: -o.month_sold)[:8])


# --------------------------------------------------------------------------- orders

Cargo = tuple[Offer, Spec, int]


def _cargo(state: State, p: Params, *, check_seller: bool = False) -> list[Cargo]:
    out: list[Cargo] = []
    wanted: dict[str, int] = {}
    for q in p.objects("cargoParamList", non_empty=True):
        offer = state.offer(q.integer("offerId", minimum=1))
        spec_id = q.text("specId")
        spec = offer.spec(spec_id)
        if spec is None:
            raise not_found(f"{q.name('specId')} on offer {offer.offer_id}:", spec_id)
        quantity = q.integer("quantity", minimum=1)
        if check_seller and q.has("sellerOpenId") and q.text("sellerOpenId") != offer.seller.open_id:
            raise q.fail(
                "sellerOpenId", f"the seller of offer {offer.offer_id} ({offer.seller.open_id})", q.raw("sellerOpenId")
            )
        wanted[spec_id] = wanted.get(spec_id, 0) + quantity
        if wanted[spec_id] > spec.stock:
            raise q.fail("quantity", f"at most the stock of {spec.stock} for specId {spec_id}", quantity)
        out.append((offer, spec, quantity))
    return out


def _by_seller(cargo: list[Cargo]) -> list[tuple[Seller, list[Cargo]]]:
    groups: dict[str, tuple[Seller, list[Cargo]]] = {}
    for entry in cargo:
        groups.setdefault(entry[0].seller.open_id, (entry[0].seller, []))[1].append(entry)
    return list(groups.values())


def _address(p: Params, key: str, *, required: bool) -> dict[str, object]:
    raw = p.obj(key) if required else (p.obj_or_none(key) or {})
    q = p.nested(key, raw)
    if required:
        for field in ("fullName", "mobile", "provinceText", "cityText", "address"):
            q.text(field)
    return dict(raw)


def _preview(cargo: list[Cargo], flow: str) -> dict[str, object]:
    results: list[dict[str, object]] = []
    for _, entries in _by_seller(cargo):
        total = sum((spec.price * quantity for _, spec, quantity in entries), Decimal(0))
        carriage = shipping_fee(total)
        results.append(
            {
                "discountFee": None,
                "tradeModeNameList": ["assureTrade"],
                "status": True,
                "taoSampleSinglePromotion": False,
                "sumPayment": wire.fen(total + carriage),
                "message": None,
                "sumCarriage": wire.fen(carriage),
                "resultCode": None,
                "sumPaymentNoCarriage": wire.fen(total),
                "additionalFee": None,
                "flowFlag": flow,
                "cargoList": [
                    {
                        "amount": spec.price * quantity,
                        "message": None,
                        "finalUnitPrice": spec.price,
                        "specId": spec.spec_id,
                        "skuId": spec.sku_id,
                        "resultCode": None,
                        "offerId": offer.offer_id,
                        "cargoPromotionList": [],
                        "openOfferId": None,
                    }
                    for offer, spec, quantity in entries
                ],
                "shopPromotionList": [],
                "tradeModelList": [
                    {
                        "tradeWay": "fxassure",
                        "name": "担保交易",
                        "tradeType": "fxassure",
                        "description": "分销担保交易",
                        "opSupport": True,
                    }
                ],
            }
        )
    return {
        "orderPreviewResuslt": results,
        "success": True,
        "errorCode": None,
        "errorMsg": None,
        "postFeeByDescOfferList": [],
        "consignOfferList": [],
        "unsupportedCrossBorderPayOfferList": [],
    }


def _create(
    state: State, p: Params, seller: Seller, entries: list[Cargo], address: dict[str, object], now: float
) -> AlibabaOrder:
    lines: list[AlibabaLine] = []
    for offer, spec, quantity in entries:
        spec.stock -= quantity
        lines.append(
            AlibabaLine(
                entry_id=int(state.new_id(19, "2")), offer=offer, spec=spec, quantity=quantity, price=spec.price
            )
        )
    order = AlibabaOrder(
        order_id=state.new_id(19, "20"),
        seller=seller,
        flow=p.text_or_none("flow") or "general",
        message=p.text_or_none("message"),
        trade_type=p.text_or_none("tradeType") or "fxassure",
        address=address,
        lines=lines,
        status="waitbuyerpay",
        created_at=now,
        shipping_fee=Decimal(0),
    )
    order.shipping_fee = shipping_fee(order.product_total)
    state.orders[order.order_id] = order
    state.push_alibaba_status(order, now)
    return order


def _created(order: AlibabaOrder) -> dict[str, object]:
    return {
        "orderId": order.order_id,
        "totalSuccessAmount": wire.fen(order.total),
        "postFee": wire.fen(order.shipping_fee),
        "failedOfferList": [],
    }


@route("POST", "/alibaba/order/batch/submit/to/pay")
def batch_pay(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    order_ids = p.ids("orderIds", non_empty=True)
    orders = [state.alibaba_order(order_id) for order_id in order_ids]
    paid: list[str] = []
    cant: list[str] = []
    for order in orders:
        if order.status == "waitbuyerpay":
            state.pay_alibaba(order, ctx.now)
            paid.append(order.order_id)
        else:
            cant.append(order.order_id)
    return {
        "success": not cant,
        "payedOrderIds": paid,
        "cantPayOrderList": cant,
        "errorMsg": None if not cant else "some orders are not awaiting payment",
    }


@route("POST", "/alibaba/order/create/previewbatch")
def preview_batch(ctx: Context) -> object:
    p = ctx.params
    _address(p, "addressParam", required=False)
    return _preview(_cargo(ctx.state, p, check_seller=True), "general")


@route("POST", "/alibaba/order/batch/create", create=True)
def batch_create(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    address = _address(p, "addressParam", required=True)
    cargo = _cargo(state, p, check_seller=True)
    return [
        wire.alibaba_order(_create(state, p, seller, entries, address, ctx.now))
        for seller, entries in _by_seller(cargo)
    ]


@route("GET", "/alibaba/order/logistics/trace")
def logistics_trace(ctx: Context) -> object:
    order = ctx.state.alibaba_order(ctx.params.text("orderId"))
    traces: list[dict[str, object]] = []
    if order.logistics_bill_no is not None:
        traces.append(
            {
                "logisticsId": "LP" + order.logistics_bill_no,
                "logisticsBillNo": order.logistics_bill_no,
                "logisticsCompanyName": "中通快递",
                "logisticsSteps": [dict(step) for step in order.logistics_steps],
            }
        )
    return {"orderId": order.order_id, "logisticsTrace": traces}


@route("POST", "/alibaba/order/page")
def order_page(ctx: Context) -> object:
    p = ctx.params
    begin_page, size = _paging(p)
    status = p.text_or_none("status") or p.text_or_none("orderStatus")
    orders = [
        o for o in ctx.state.orders.values() if isinstance(o, AlibabaOrder) and (status is None or o.status == status)
    ]
    orders.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
    return _page([wire.alibaba_order(o) for o in orders], begin_page, size)


@route("POST", "/alibaba/order/create/preview")
def preview(ctx: Context) -> object:
    p = ctx.params
    _address(p, "addressParam", required=False)
    return _preview(_cargo(ctx.state, p), p.text_or_none("flow") or "general")


@route("POST", "/alibaba/order/create", create=True)
def create(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    p.text("flow")
    address = _address(p, "addressParam", required=True)
    groups = _by_seller(_cargo(state, p))
    if len(groups) > 1:
        raise bad(
            f"param 'cargoParamList': expected goods of one seller, got {len(groups)} sellers; "
            "use POST /alibaba/order/batch/create for several sellers"
        )
    seller, entries = groups[0]
    return _created(_create(state, p, seller, entries, address, ctx.now))


@route("POST", "/alibaba/order/cancel")
def cancel(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    p.text("webSite")
    order = state.alibaba_order(p.integer("orderId", minimum=1))
    reason = p.text("cancelReason")
    if order.status != "waitbuyerpay":
        raise bad(f"order {order.order_id} cannot be cancelled in status {order.status}; only waitbuyerpay can")
    order.status, order.cancel_reason, order.remark = "cancel", reason, p.text_or_none("remark")
    order.close_reason = reason
    for line in order.lines:
        line.spec.stock += line.quantity
    state.push_alibaba_status(order, ctx.now)
    return True


@route("GET", "/alibaba/order/pay/url")
def pay_url(ctx: Context) -> object:
    order = ctx.state.alibaba_order(ctx.params.text("orderId"))
    payable = order.status == "waitbuyerpay"
    return {
        "orderId": order.order_id,
        "protocolPaySuccess": False,
        "payUrl": f"https://trade.1688.com/order/cashier.htm?orderId={order.order_id}" if payable else None,
        "cantPayOrderList": [] if payable else [int(order.order_id)],
    }


@route("POST", "/alibaba/order/receivegoods")
def receive_goods(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    order = state.alibaba_order(p.integer("orderId", minimum=1))
    entries = p.ids("orderEntryIds") if p.has("orderEntryIds") else []
    known = {str(line.entry_id) for line in order.lines}
    unknown = [e for e in entries if e not in known and e != "0"]
    if unknown:
        raise bad(
            f"param 'orderEntryIds': {unknown} are not entries of order {order.order_id}; expected some of {sorted(known)}"
        )
    if order.status == "waitbuyerreceive":
        state.confirm_alibaba_receipt(order, ctx.now)
        return {"success": True, "errorInfo": "", "errorCode": ""}
    # The business failure travels inside data, as the documented model has it.
    return {
        "success": False,
        "errorInfo": f"order status is {order.status}, expected waitbuyerreceive",
        "errorCode": "ORDER_STATUS_NOT_SUPPORT",
    }


@route("POST", "/alibaba/order/detail")
def detail(ctx: Context) -> object:
    p = ctx.params
    p.text("webSite")
    return wire.alibaba_order(ctx.state.alibaba_order(p.text("orderId")))


# --------------------------------------------------------------------------- after-sales


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
    limit = wire.fen(sum((known[e].amount for e in entry_ids), Decimal(0)))
    if payment > limit:
        raise p.fail("applyPayment", f"at most {limit} fen, the amount of the entries", payment)
    if carriage > wire.fen(order.shipping_fee):
        raise p.fail("applyCarriage", f"at most the shipping fee of {wire.fen(order.shipping_fee)} fen", carriage)
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
    return True


@route("GET", "/alibaba/refund/logistics/company/list")
def logistics_companies(ctx: Context) -> object:
    return [dict(c) for c in LOGISTICS_COMPANIES]


# --------------------------------------------------------------------------- cart


def _cart_items(state: State, p: Params) -> list[AlibabaCartItem]:
    key = "cartIds" if p.has("cartIds") or not p.has("ids") else "ids"
    items: list[AlibabaCartItem] = []
    for cart_id in p.ids(key, non_empty=True):
        item = state.alibaba_cart.get(int(cart_id)) if cart_id.isdigit() else None
        if item is None:
            raise not_found(f"{key} cart item", cart_id)
        items.append(item)
    return items


@route("POST", "/alibaba/cart/create/order", create=True)
def cart_create_order(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    p.text("flow")
    items = _cart_items(state, p)
    address = _address(p, "addressParam", required=True)
    for item in items:
        if item.quantity > item.spec.stock:
            raise bad(f"cart item {item.id}: quantity {item.quantity} exceeds the stock of {item.spec.stock}")
    cargo = [(item.offer, item.spec, item.quantity) for item in items]
    created = [_create(state, p, seller, entries, address, ctx.now) for seller, entries in _by_seller(cargo)]
    for item in items:
        del state.alibaba_cart[item.id]
    return [_created(order) for order in created]


@route("POST", "/alibaba/cart/delete")
def cart_delete(ctx: Context) -> object:
    p = ctx.params
    key = "cartIds" if p.has("cartIds") or not p.has("ids") else "ids"
    for cart_id in p.ids(key, non_empty=True):
        if cart_id.isdigit():
            ctx.state.alibaba_cart.pop(int(cart_id), None)
    return True


@route("POST", "/alibaba/cart/preview/order")
def cart_preview(ctx: Context) -> object:
    p = ctx.params
    items = _cart_items(ctx.state, p)
    _address(p, "addressParam", required=False)
    return _preview([(item.offer, item.spec, item.quantity) for item in items], p.text_or_none("flow") or "general")


@route("POST", "/alibaba/cart/edit-quantity")
def cart_edit_quantity(ctx: Context) -> object:
    p = ctx.params
    cart_id = p.integer("id", minimum=1)
    quantity = p.integer("quantity", minimum=1)
    p.text_or_none("productNo")
    p.text_or_none("container")
    item = ctx.state.alibaba_cart.get(cart_id)
    if item is None:
        raise not_found("id", cart_id)
    if quantity > item.spec.stock:
        raise p.fail("quantity", f"at most the stock of {item.spec.stock}", quantity)
    item.quantity = quantity
    return True


@route("POST", "/alibaba/cart/add")
def cart_add(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    offer = state.offer(p.integer("offerId", minimum=1))
    spec_id = p.text("specId")
    spec = offer.spec(spec_id)
    if spec is None:
        raise not_found(f"specId on offer {offer.offer_id}:", spec_id)
    quantity = p.integer_or("quantity", 1, minimum=1)
    for item in state.alibaba_cart.values():
        if item.spec is spec:
            if item.quantity + quantity > spec.stock:
                raise p.fail("quantity", f"at most {spec.stock - item.quantity} more (stock {spec.stock})", quantity)
            item.quantity += quantity
            return wire.alibaba_cart_row(item)
    if quantity > spec.stock:
        raise p.fail("quantity", f"at most the stock of {spec.stock}", quantity)
    item = AlibabaCartItem(
        id=state.counter("alibaba-cart", 1), offer=offer, spec=spec, quantity=quantity, created_at=ctx.now
    )
    state.alibaba_cart[item.id] = item
    return wire.alibaba_cart_row(item)


@route("GET", "/alibaba/cart/list")
def cart_list(ctx: Context) -> object:
    groups: dict[tuple[bool, str], dict[str, object]] = {}
    for item in ctx.state.alibaba_cart.values():
        enabled = item.spec.stock >= item.quantity
        seller = item.offer.seller
        group = groups.setdefault(
            (enabled, seller.open_id),
            {"sellerOpenId": seller.open_id, "sellerNickName": seller.nick, "cartItemInfos": []},
        )
        rows = group["cartItemInfos"]
        assert is_array(rows)
        rows.append(wire.alibaba_cart_row(item))
    return {
        "disableList": [g for (enabled, _), g in groups.items() if not enabled],
        "enableList": [g for (enabled, _), g in groups.items() if enabled],
    }
