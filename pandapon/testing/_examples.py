"""The ids the docs' examples use, made real in a fake built with ``doc_examples=True`` (``pandapon fake-server``
does), so that a snippet copied from the docs finds what it names instead of a 404."""

from __future__ import annotations

import attrs

from ._records import TaobaoLine, TaobaoOrder
from ._state import State

__all__ = ["EXAMPLE_ITEM_ID", "EXAMPLE_ORDER_ID", "add_doc_examples"]

#: The Taobao item id of PandaPon's product-detail and batch-check examples.
EXAMPLE_ITEM_ID = "672991141190"
#: The order id of PandaPon's order examples (update warehouse, order detail).
EXAMPLE_ORDER_ID = "1024285237573584051"


def add_doc_examples(state: State, now: float) -> None:
    """Add a product with :data:`EXAMPLE_ITEM_ID` (a copy of the first distributable product, with its own stock)
    and an unpaid Taobao order :data:`EXAMPLE_ORDER_ID` of one unit of it."""
    source = next(p for p in state.products if p.mp_id)
    product = attrs.evolve(
        source,
        item_id=EXAMPLE_ITEM_ID,
        mp_id=state.new_id(16, "20"),
        skus=[attrs.evolve(sku, properties=list(sku.properties)) for sku in source.skus],
    )
    state.products.append(product)
    state.by_item_id[product.item_id] = product
    assert product.mp_id is not None
    state.by_mp_id[product.mp_id] = product
    sku = product.skus[0]
    sku.stock -= 1
    state._used.add(EXAMPLE_ORDER_ID)
    order = TaobaoOrder(
        order_id=EXAMPLE_ORDER_ID,
        purchase_order_id=int(state.new_id(12, "3")),
        seller_order_number=None,
        order_source=None,
        purchase_amount=sku.price,
        receiver={"name": "张三", "mobilePhone": "15068763421", "country": "中国", "address": "文一西路 969 号"},
        lines=[
            TaobaoLine(
                line_no="1",
                product=product,
                sku=sku,
                quantity=1,
                price=sku.price,
                currency="CNY",
                sub_purchase_order_id=state.new_id(12, "2000"),
                purchase_order_outer_id=state.new_id(19, "36"),
                purchase_order_line_id=int(state.new_id(13, "7")),
            )
        ],
        status="WAIT_BUYER_P",
        created_at=now,
    )
    state.orders[order.order_id] = order
