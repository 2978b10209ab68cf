"""1688 cart endpoints."""

from __future__ import annotations

from . import _serialize_1688 as wire
from ._alibaba_orders import by_seller, create_order, created_view, preview_data, read_address
from ._base import Params, bad, is_array, not_found
from ._records import AlibabaCartItem
from ._routes import Context, RouteTable
from ._state import State

__all__ = ["TABLE"]

TABLE = RouteTable()
route = TABLE.route


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
    address = read_address(p, "addressParam", required=True)
    for item in items:
        if item.quantity > item.spec.stock:
            raise bad(f"cart item {item.id}: quantity {item.quantity} exceeds the stock of {item.spec.stock}")
    cargo = [(item.offer, item.spec, item.quantity) for item in items]
    created = [create_order(state, p, seller, entries, address, ctx.now) for seller, entries in by_seller(cargo)]
    for item in items:
        del state.alibaba_cart[item.id]
    return [created_view(order) for order in created]


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
    read_address(p, "addressParam", required=False)
    return preview_data([(item.offer, item.spec, item.quantity) for item in items], p.text_or_none("flow") or "general")


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
