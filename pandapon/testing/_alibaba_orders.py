"""1688 order endpoints: previews, creation, payment, logistics, receipt."""

from __future__ import annotations

from decimal import Decimal

from . import _serialize_1688 as wire
from ._alibaba import page, paging
from ._base import Params, bad, not_found
from ._records import AlibabaLine, AlibabaOrder, Offer, Seller, Spec
from ._routes import Context, RouteTable
from ._serialize import fen
from ._state import State

__all__ = [
    "TABLE",
    "Cargo",
    "by_seller",
    "create_order",
    "created_view",
    "preview_data",
    "read_address",
    "read_cargo",
    "shipping_fee",
]

TABLE = RouteTable()
route = TABLE.route

FREE_SHIPPING_FROM = Decimal("99")
SHIPPING_FEE = Decimal("6.00")


def shipping_fee(product_total: Decimal) -> Decimal:
    return Decimal(0) if product_total >= FREE_SHIPPING_FROM else SHIPPING_FEE


Cargo = tuple[Offer, Spec, int]


def read_cargo(state: State, p: Params, *, check_seller: bool = False) -> list[Cargo]:
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


def by_seller(cargo: list[Cargo]) -> list[tuple[Seller, list[Cargo]]]:
    groups: dict[str, tuple[Seller, list[Cargo]]] = {}
    for entry in cargo:
        groups.setdefault(entry[0].seller.open_id, (entry[0].seller, []))[1].append(entry)
    return list(groups.values())


def read_address(p: Params, key: str, *, required: bool) -> dict[str, object]:
    raw = p.obj(key) if required else (p.obj_or_none(key) or {})
    q = p.nested(key, raw)
    if required:
        for field in ("fullName", "mobile", "provinceText", "cityText", "address"):
            q.text(field)
    return dict(raw)


def preview_data(cargo: list[Cargo], flow: str) -> dict[str, object]:
    results: list[dict[str, object]] = []
    for _, entries in by_seller(cargo):
        total = sum((spec.price * quantity for _, spec, quantity in entries), Decimal(0))
        carriage = shipping_fee(total)
        results.append(
            {
                "discountFee": None,
                "tradeModeNameList": ["assureTrade"],
                "status": True,
                "taoSampleSinglePromotion": False,
                "sumPayment": fen(total + carriage),
                "message": None,
                "sumCarriage": fen(carriage),
                "resultCode": None,
                "sumPaymentNoCarriage": fen(total),
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


def create_order(
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


def created_view(order: AlibabaOrder) -> dict[str, object]:
    return {
        "orderId": order.order_id,
        "totalSuccessAmount": fen(order.total),
        "postFee": fen(order.shipping_fee),
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
    read_address(p, "addressParam", required=False)
    return preview_data(read_cargo(ctx.state, p, check_seller=True), "general")


@route("POST", "/alibaba/order/batch/create", create=True)
def batch_create(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    address = read_address(p, "addressParam", required=True)
    cargo = read_cargo(state, p, check_seller=True)
    return [
        wire.alibaba_order(create_order(state, p, seller, entries, address, ctx.now))
        for seller, entries in by_seller(cargo)
    ]


@route("GET", "/alibaba/order/logistics/trace")
def logistics_trace(ctx: Context) -> object:
    order = ctx.state.alibaba_order(ctx.params.text("orderId"))
    traces: list[dict[str, object]] = []
    if order.logistics_bill_no is not None:
        traces.append(
            {
                "logisticsId": "LP" + order.logistics_bill_no,
                "orderId": int(order.order_id),
                "logisticsBillNo": order.logistics_bill_no,
                "logisticsCompanyName": "中通快递",
                "logisticsSteps": [dict(step) for step in order.logistics_steps],
            }
        )
    return {"orderId": order.order_id, "logisticsTrace": traces}


@route("POST", "/alibaba/order/page")
def order_page(ctx: Context) -> object:
    p = ctx.params
    begin_page, size = paging(ctx)
    status = p.text_or_none("status") or p.text_or_none("orderStatus")
    orders = [
        o for o in ctx.state.orders.values() if isinstance(o, AlibabaOrder) and (status is None or o.status == status)
    ]
    orders.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
    answer = page([wire.alibaba_order(o) for o in orders], begin_page, size)
    # Also the upstream getBuyerOrderList keys the SDK's model reads (the rows once more, and the total).
    return {**answer, "result": answer["data"], "totalRecord": len(orders)}


@route("POST", "/alibaba/order/create/preview")
def preview(ctx: Context) -> object:
    p = ctx.params
    read_address(p, "addressParam", required=False)
    return preview_data(read_cargo(ctx.state, p), p.text_or_none("flow") or "general")


@route("POST", "/alibaba/order/create", create=True)
def create(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    p.text("flow")
    address = read_address(p, "addressParam", required=True)
    groups = by_seller(read_cargo(state, p))
    if len(groups) > 1:
        raise bad(
            f"param 'cargoParamList': expected goods of one seller, got {len(groups)} sellers; "
            "use POST /alibaba/order/batch/create for several sellers"
        )
    seller, entries = groups[0]
    return created_view(create_order(state, p, seller, entries, address, ctx.now))


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
