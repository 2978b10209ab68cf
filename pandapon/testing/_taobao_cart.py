"""Taobao cart endpoints."""

from __future__ import annotations

from . import _serialize as wire
from ._base import Params, is_array, not_found
from ._records import TaobaoCartItem
from ._routes import Context, RouteTable
from ._state import State
from ._taobao import new_order, read_receiver

__all__ = ["TABLE"]

TABLE = RouteTable()
route = TABLE.route


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
    receiver = read_receiver(p, "orderAddress", json_text=False)
    lines = [
        (item.product, item.sku.sku_id, item.quantity, item.sku.price, str(index + 1), "CNY")
        for index, item in enumerate(items)
    ]
    total = sum(item.sku.price * item.quantity for item in items)
    order = new_order(
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
        read_receiver(p, "orderAddress", json_text=False)
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
