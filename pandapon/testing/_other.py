"""Foundations (addresses) and warehouse logistics (the query-signed ``/open/pp/logistics/*`` family): 6 routes."""

from __future__ import annotations

from decimal import Decimal

from . import _serialize as wire
from ._base import Params, bad, not_found
from ._routes import Context, RouteTable

__all__ = ["TABLE"]

TABLE = RouteTable()
route = TABLE.route

#: (serviceId, companyName, serviceCategory, price per unit in CNY)
FREIGHT_SERVICES = [
    ("1", "云途物流", "STANDARD", Decimal("45.00")),
    ("2", "燕文专线", "ECONOMY", Decimal("30.00")),
    ("3", "DHL", "EXPRESS", Decimal("120.00")),
]
_SERVICES = {service_id: (name, category, price) for service_id, name, category, price in FREIGHT_SERVICES}


# --------------------------------------------------------------------------- addresses


@route("POST", "/open/address/get")
def address_get(ctx: Context) -> object:
    address_id = ctx.params.integer_or_none("id", minimum=1)
    if address_id is not None:
        if address_id not in ctx.state.addresses:
            raise not_found("id", address_id)
        return [dict(ctx.state.addresses[address_id])]
    return [dict(a) for a in ctx.state.addresses.values()]


@route("POST", "/open/address/addOrUpdate", envelope="code-msg-only")
def address_add_or_update(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    address_id = p.integer_or("id", 0, minimum=0)
    fields = ("name", "province", "city", "district", "address", "phone")
    if address_id:
        record: dict[str, object] | None = state.addresses.get(address_id)
        if record is None:
            raise not_found("id", address_id)
        for field in fields:
            value = p.text_or_none(field)
            if value is not None:
                record[field] = value
        return None
    record = {"id": state.counter("address", 2)}
    for field in fields:
        record[field] = p.text(field) if field in ("name", "address", "phone") else p.text_or_none(field)
    state.addresses[int(str(record["id"]))] = record
    return None


# --------------------------------------------------------------------------- warehouse logistics


def _service(p: Params, key: str) -> tuple[str, str, str, Decimal]:
    info = p.nested(key, p.obj(key))
    service_id = info.text("serviceId")
    if service_id not in _SERVICES:
        raise info.fail("serviceId", f"one of {sorted(_SERVICES)} (from itemLogisticsPrice)", service_id)
    name, category, price = _SERVICES[service_id]
    return service_id, name, category, price


def _receiver(p: Params, *, required: bool) -> None:
    raw = p.obj("receiverAddress") if required else p.obj_or_none("receiverAddress")
    if raw is not None:
        p.nested("receiverAddress", raw).text("country")


@route("POST", "/open/pp/logistics/itemLogisticsPrice", auth="query-sign")
def item_logistics_price(ctx: Context) -> object:
    p = ctx.params
    product = ctx.state.product(p.text("itemId"))
    sku_id = p.text("skuId")
    if product.sku(sku_id) is None:
        raise not_found("skuId", sku_id)
    _receiver(p, required=True)
    quantity = p.integer("quantity", minimum=1)
    currency = p.text("currency")
    if p.decimal_or_none("price", minimum=Decimal(0)) is None:
        raise p.missing("price", "the item price as a decimal string")
    return [
        {
            "serviceId": service_id,
            "companyName": name,
            "serviceCategory": category,
            "price": str(price * quantity),
            "currency": currency,
            "estimatedDeliveryDays": {"STANDARD": "7-12", "ECONOMY": "12-20", "EXPRESS": "3-5"}[category],
        }
        for service_id, name, category, price in FREIGHT_SERVICES
    ]


@route("POST", "/open/pp/logistics/orderRenderFreight", auth="query-sign")
def order_render_freight(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    _receiver(p, required=False)
    items: list[dict[str, object]] = []
    total = Decimal(0)
    for q in p.objects("renderItems", non_empty=True):
        item_id, sku_id = q.text("itemId"), q.text("skuId")
        quantity = q.integer("quantity", minimum=1)
        service_id, name, _, price = _service(q, "freightInfo")
        freight = price * quantity
        total += freight
        items.append(
            {
                "itemId": item_id,
                "skuId": sku_id,
                "quantity": quantity,
                "serviceId": service_id,
                "companyName": name,
                "freight": str(freight),
            }
        )
    render_id = "FF" + wire.china_time(ctx.now)[:10].replace("-", "") + state.new_id(5, "1")
    render: dict[str, object] = {"renderId": render_id, "currency": "CNY", "totalFreight": str(total), "items": items}
    state.freight_renders[render_id] = render
    return render


@route("POST", "/open/pp/logistics/updateLogisticInfo", auth="query-sign")
def update_logistic_info(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    order_id, tmall_order_id = p.text_or_none("orderId"), p.text_or_none("tmallOrderId")
    if order_id is None and tmall_order_id is None:
        raise p.missing("orderId", "orderId or tmallOrderId")
    infos: list[object] = []
    for q in p.objects("logisticInfos") if p.has("logisticInfos") else iter(()):
        if q.has("lineItem"):
            line = q.nested("lineItem", q.obj("lineItem"))
            line.text("itemId")
            line.text("skuId")
        for d in q.objects("domesticLogisticInfo") if q.has("domesticLogisticInfo") else iter(()):
            d.text("logisticNumer")
            rts = d.text_or_none("rtsTime")
            if rts is not None and not (rts.isdigit() and len(rts) == 10):
                raise d.fail("rtsTime", "a 10-digit epoch in seconds, as a string", rts)
        infos.append(q.raw("logisticNumer"))
    key = order_id or str(tmall_order_id)
    state.domestic_logistics[key] = {"orderId": order_id, "tmallOrderId": tmall_order_id, "logisticNumers": infos}
    return True


@route("POST", "/open/pp/logistics/orderBookingFreight", auth="query-sign")
def order_booking_freight(ctx: Context) -> object:
    p, state = ctx.params, ctx.state
    render_id = p.text_or_none("renderId")
    if render_id is not None:
        if render_id not in state.freight_renders:
            raise not_found("renderId", render_id)
        if any(b.get("renderId") == render_id for b in state.freight_bookings.values()):
            raise bad(f"renderId {render_id!r} is already booked")
    _receiver(p, required=False)
    lines = list(p.objects("lineItems")) if p.has("lineItems") else []
    for q in lines:
        q.text("itemId")
        q.text("skuId")
        q.integer("quantity", minimum=1)
        if q.has("freightInfo"):
            _service(q, "freightInfo")
    if render_id is None and not lines:
        raise p.missing("renderId", "a renderId from orderRenderFreight, or lineItems")
    tmall = p.obj_or_none("tmallOrderInfo")
    if tmall is not None:
        p.nested("tmallOrderInfo", tmall).text("tmallOrderId")
    booking_id = "FB" + state.new_id(14, "2")
    render = state.freight_renders.get(render_id or "", {})
    booking: dict[str, object] = {
        "bookingId": booking_id,
        "renderId": render_id,
        "status": "CREATED",
        "totalFreight": render.get("totalFreight", "0"),
        "currency": "CNY",
        "remark": p.text_or_none("remark"),
    }
    state.freight_bookings[booking_id] = booking
    return booking
