"""The fake's in-memory records: goods, orders, after-sales cases and cart items of both platforms."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Literal

import attrs

__all__ = [
    "AlibabaCartItem",
    "AlibabaLine",
    "AlibabaOrder",
    "AlibabaRefund",
    "Offer",
    "Order",
    "Product",
    "Seller",
    "Sku",
    "Spec",
    "TaobaoCartItem",
    "TaobaoLine",
    "TaobaoOrder",
    "TaobaoRefund",
    "digits",
]


def digits(rng: random.Random, count: int, first: str = "") -> str:
    """Return ``count`` random digits starting with ``first`` (never a leading zero)."""
    head = first or str(rng.randint(1, 9))
    return head + "".join(str(rng.randint(0, 9)) for _ in range(count - len(head)))


# --------------------------------------------------------------------------- Taobao goods


@attrs.define
class Sku:
    sku_id: str
    mp_sku_id: str | None
    price: int  # fen
    promotion_price: int  # fen
    stock: int
    properties: list[dict[str, object]]
    pic_url: str | None = None


@attrs.define
class Product:
    item_id: str
    mp_id: str | None  # None: not available for distribution
    shop_id: int
    shop_name: str
    user_nick: str
    title: str
    category_id: str
    category_name: str
    category_path: str
    description: str
    pic_urls: list[str]
    price: int  # fen
    promotion_price: int  # fen
    skus: list[Sku]

    @property
    def quantity(self) -> int:
        return sum(sku.stock for sku in self.skus)

    def sku(self, sku_id: str) -> Sku | None:
        """Find a SKU by its Taobao id or its distribution (mp) id."""
        for sku in self.skus:
            if sku_id in (sku.sku_id, sku.mp_sku_id):
                return sku
        return None


# --------------------------------------------------------------------------- 1688 goods


@attrs.define
class Seller:
    open_id: str
    nick: str
    company: str
    wangwang: str


@attrs.define
class Spec:
    spec_id: str  # 32 hex
    sku_id: int
    price: Decimal  # yuan
    stock: int
    attributes: list[dict[str, object]]


@attrs.define
class Offer:
    offer_id: int
    subject: str
    subject_trans: str
    category_id: int
    category_name: str
    seller: Seller
    image_url: str
    price: Decimal  # yuan, the lowest spec price
    specs: list[Spec]
    month_sold: int
    min_order_quantity: int = 1

    def spec(self, spec_id: str) -> Spec | None:
        for spec in self.specs:
            if spec.spec_id == spec_id:
                return spec
        return None


# --------------------------------------------------------------------------- Taobao orders and after-sales


@attrs.define
class TaobaoLine:
    line_no: str
    product: Product
    sku: Sku
    quantity: int
    price: int  # fen, per unit
    currency: str
    sub_purchase_order_id: str  # 12 digits, "2000..."
    purchase_order_outer_id: str  # 19 digits, the Taobao sub-order id
    purchase_order_line_id: int

    @property
    def amount(self) -> int:
        return self.price * self.quantity


@attrs.define
class TaobaoOrder:
    order_id: str
    purchase_order_id: int
    seller_order_number: str | None
    order_source: str | None
    purchase_amount: int  # fen
    receiver: dict[str, object]
    lines: list[TaobaoLine]
    status: str
    created_at: float
    platform: Literal["taobao"] = "taobao"
    paid_at: float | None = None
    next_step_at: float | None = None
    warehouse_name: str | None = None
    warehouse_address: str | None = None
    vouchers: list[str] = attrs.Factory(list[str])
    mail_no: str | None = None
    traces: list[dict[str, object]] = attrs.Factory(list[dict[str, object]])
    cancel_reason: str | None = None
    domestic_logistics: list[dict[str, object]] = attrs.Factory(list[dict[str, object]])

    @property
    def line_total(self) -> int:
        return sum(line.amount for line in self.lines)


@attrs.define
class TaobaoRefund:
    refund_id: str  # 12 digits, "1100..."
    order: TaobaoOrder
    line: TaobaoLine
    refund_type: int
    goods_status: int
    reason_id: int
    reason_desc: str
    refund_fee: int  # fen
    refund_desc: str
    status: int  # 10 applied, 20 seller agreed, 30 returned, 100 refunded, -10 refused, -20 closed
    created_at: float
    images: list[str] = attrs.Factory(list[str])
    logistics_company_code: str | None = None
    logistics_company_name: str | None = None
    logistics_no: str | None = None
    buyer_phone: str | None = None
    messages: list[dict[str, object]] = attrs.Factory(list[dict[str, object]])


@attrs.define
class TaobaoCartItem:
    id: int
    product: Product
    sku: Sku
    quantity: int
    properties: list[object]
    user_id: str | None
    platform: int | None
    created_at: float


# --------------------------------------------------------------------------- 1688 orders and after-sales


@attrs.define
class AlibabaLine:
    entry_id: int
    offer: Offer
    spec: Spec
    quantity: int
    price: Decimal  # yuan, per unit

    @property
    def amount(self) -> Decimal:
        return self.price * self.quantity


@attrs.define
class AlibabaOrder:
    order_id: str
    seller: Seller
    flow: str
    message: str | None
    trade_type: str | None
    address: dict[str, object]
    lines: list[AlibabaLine]
    status: str  # waitbuyerpay, waitsellersend, waitbuyerreceive, confirm_goods, success, cancel
    created_at: float
    shipping_fee: Decimal
    platform: Literal["1688"] = "1688"
    #: Set when the seller changes the price (``FakePandaPon.change_price``); replaces the computed total.
    total_override: Decimal | None = None
    paid_at: float | None = None
    next_step_at: float | None = None
    cancel_reason: str | None = None
    remark: str | None = None
    close_reason: str | None = None
    refund_status: str | None = None
    logistics_bill_no: str | None = None
    logistics_steps: list[dict[str, object]] = attrs.Factory(list[dict[str, object]])

    @property
    def product_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        if self.total_override is not None:
            return self.total_override
        return self.product_total + self.shipping_fee


@attrs.define
class AlibabaRefund:
    refund_id: str  # "TQ" + digits
    record_id: int
    order: AlibabaOrder
    entry_ids: list[int]
    dispute_request: str
    apply_payment: int  # fen
    apply_carriage: int  # fen
    apply_reason_id: int
    apply_reason: str
    description: str
    goods_status: str
    vouchers: list[str]
    status: str  # waitselleragree, waitbuyermodify, waitbuyersend, waitsellerreceive, refundsuccess, refundclose
    created_at: float
    updated_at: float
    freight_bill: str | None = None
    logistics_company_no: str | None = None
    logistics_company_name: str | None = None


@attrs.define
class AlibabaCartItem:
    id: int
    offer: Offer
    spec: Spec
    quantity: int
    created_at: float


Order = TaobaoOrder | AlibabaOrder
