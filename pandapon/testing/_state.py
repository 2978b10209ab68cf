"""The fake's world: catalogue, carts, orders, after-sales cases, addresses; status transitions and their pushes."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from . import _serialize as wire
from . import _serialize_1688 as wire_1688
from ._base import bad, not_found
from ._catalogue import build_catalogue
from ._records import (
    AlibabaCartItem,
    AlibabaOrder,
    AlibabaRefund,
    Offer,
    Order,
    Product,
    TaobaoCartItem,
    TaobaoOrder,
    TaobaoRefund,
    digits,
)

__all__ = ["MESSAGE_TYPES", "Emit", "State"]

#: Push message types. The PRICE_MODIFY pair is documented; the others follow the documented naming pattern
#: (platform prefix + 1688 buyer-view topic), as the catalogue proposes.
MESSAGE_TYPES = {
    ("taobao", "price"): "TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY",
    ("taobao", "status"): "TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE",
    ("taobao", "refund"): "TAOBAO_ORDER_BUYER_VIEW_ORDER_BUYER_REFUND",
    ("1688", "price"): "1688_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY",
    ("1688", "status"): "1688_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE",
    ("1688", "refund"): "1688_ORDER_BUYER_VIEW_ORDER_BUYER_REFUND",
}

#: (message type, body, messagePlatform, simulated time)
Emit = Callable[[str, dict[str, object], int, float], None]

# Trace events appended one per step once a Taobao order has shipped (newest first on the wire, as the example).
_TAOBAO_TRACE = [
    ("ACCEPT", "ACCEPT", "已揽收", "杭州市", "余杭区", "杭州仓", "【杭州市】 快件已被揽收"),
    ("TRANSPORT", "TMS_STATION_IN", "运输中", "杭州市", "余杭区", "杭州转运中心", "【杭州市】 快件已到达 杭州转运中心"),
    ("TRANSPORT", "TMS_STATION_OUT", "运输中", "杭州市", "余杭区", "杭州转运中心", "【杭州市】 快件已发往 广州中心"),
    ("DELIVERING", "TMS_DELIVERING", "派送中", "广州市", "白云区", "广州白云站", "【广州市】 快递员正在派送"),
    ("SIGN", "TMS_SIGN", "已签收", "广州市", "白云区", "广州白云站", "【广州市】 已签收,签收人: 前置仓"),
]
_ALIBABA_TRACE = ["卖家已发货", "快件已揽收", "运输中,到达义乌转运中心", "派送中", "已签收"]

TAOBAO_PAID = ("WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS")
ALIBABA_PAID = ("waitsellersend", "waitbuyerreceive", "confirm_goods", "success")


class State:
    """Everything the fake remembers. Mutated only by synchronous code, so no request sees a half-done change."""

    def __init__(self, *, seed: int, step_interval: float | None, emit: Emit) -> None:
        self.rng = random.Random(f"pandapon-fake:{seed}:ids")
        catalogue = build_catalogue(random.Random(f"pandapon-fake:{seed}:catalogue"))
        self.products = catalogue.products
        self.offers = catalogue.offers
        self.sellers = catalogue.sellers
        self.by_item_id = {p.item_id: p for p in self.products}
        self.by_mp_id = {p.mp_id: p for p in self.products if p.mp_id}
        self.by_offer_id = {o.offer_id: o for o in self.offers}
        self.step_interval = step_interval
        self.emit = emit
        self.orders: dict[str, Order] = {}
        self.by_seller_order_number: dict[str, TaobaoOrder] = {}
        self.dedupe_seller_order_number = False
        self.taobao_refunds: dict[str, TaobaoRefund] = {}
        self.alibaba_refunds: dict[str, AlibabaRefund] = {}
        self.taobao_cart: dict[int, TaobaoCartItem] = {}
        self.alibaba_cart: dict[int, AlibabaCartItem] = {}
        self.addresses: dict[int, dict[str, object]] = {}
        self.freight_renders: dict[str, dict[str, object]] = {}
        self.freight_bookings: dict[str, dict[str, object]] = {}
        self.domestic_logistics: dict[str, dict[str, object]] = {}
        self.vouchers: list[dict[str, object]] = []
        self.addresses[1] = {
            "id": 1,
            "name": "a测试aa",
            "province": "浙江省",
            "city": "杭州市",
            "district": "余杭区",
            "address": "测试地址",
            "phone": "15068763421",
        }
        self._used: set[str] = set()
        self._counters: dict[str, int] = {}

    # ------------------------------------------------------------------ ids

    def new_id(self, count: int, first: str) -> str:
        """Draw a fresh id of ``count`` digits starting with ``first``."""
        while True:
            value = digits(self.rng, count, first)
            if value not in self._used:
                self._used.add(value)
                return value

    def counter(self, name: str, start: int = 1) -> int:
        """Return the next small sequential id of a kind (cart records, addresses)."""
        value = self._counters.get(name, start)
        self._counters[name] = value + 1
        return value

    # ------------------------------------------------------------------ lookups (404 when unknown)

    def product(self, item_id: str) -> Product:
        found = self.by_item_id.get(item_id) or self.by_mp_id.get(item_id)
        if found is None:
            raise not_found("itemId", item_id)
        return found

    def offer(self, offer_id: object) -> Offer:
        try:
            found = self.by_offer_id.get(int(str(offer_id)))
        except ValueError:
            found = None
        if found is None:
            raise not_found("offerId", offer_id)
        return found

    def taobao_order(self, order_id: str) -> TaobaoOrder:
        found = self.orders.get(order_id)
        if not isinstance(found, TaobaoOrder):
            raise not_found("orderId", order_id)
        return found

    def alibaba_order(self, order_id: object) -> AlibabaOrder:
        found = self.orders.get(str(order_id))
        if not isinstance(found, AlibabaOrder):
            raise not_found("orderId", order_id)
        return found

    def taobao_refund(self, refund_id: str) -> TaobaoRefund:
        found = self.taobao_refunds.get(refund_id)
        if found is None:
            raise not_found("refundId", refund_id)
        return found

    def alibaba_refund(self, refund_id: str) -> AlibabaRefund:
        found = self.alibaba_refunds.get(refund_id)
        if found is None:
            raise not_found("refundId", refund_id)
        return found

    # ------------------------------------------------------------------ pushes

    def push_taobao_status(self, order: TaobaoOrder, now: float) -> None:
        body: dict[str, object] = {
            "orderId": order.order_id,
            "salesOrderId": order.seller_order_number,
            "purchaseOrderId": order.purchase_order_id,
            "status": order.status,
            "businessTime": int(now * 1000),
            "subOrders": [
                {
                    "sub_purchase_order_id": line.sub_purchase_order_id,
                    "purchase_order_outer_id": line.purchase_order_outer_id,
                    "item_id": line.product.mp_id,
                    "sku_id": line.sku.mp_sku_id,
                    "order_line_no": line.line_no,
                    "quantity": line.quantity,
                    "logistic_company_name": "中通快递" if order.mail_no else None,
                    "logistic_number": order.mail_no,
                    "status": order.status,
                }
                for line in order.lines
            ],
        }
        self.emit(MESSAGE_TYPES["taobao", "status"], body, 0, now)

    def push_taobao_price(self, order: TaobaoOrder, now: float) -> None:
        body: dict[str, object] = {
            "orderId": order.order_id,
            "salesOrderId": order.seller_order_number,
            "subOrders": [
                {
                    "purchase_order_outer_id": line.sub_purchase_order_id,
                    "purchase_order_line_outer_id": line.purchase_order_outer_id,
                    "close_time_without_payment": wire.china_time(order.created_at + 86400),
                    "detail_error_code": None,
                    "product_amount": str(line.amount),
                    "logistic_company_name": None,
                    "logistic_number": None,
                    "quantity": line.quantity,
                }
                for line in order.lines
            ],
            "purchaseOrderPriceDTO": {
                "purchaseCurrency": "CNY",
                "purchaseTotalFee": order.purchase_amount,
                "purchaseProductFee": order.line_total,
                "purchaseShippingFee": order.purchase_amount - order.line_total,
            },
        }
        self.emit(MESSAGE_TYPES["taobao", "price"], body, 0, now)

    def push_taobao_refund(self, refund: TaobaoRefund, now: float) -> None:
        body: dict[str, object] = {
            "refundId": refund.refund_id,
            "orderId": refund.order.order_id,
            "subPurchaseOrderId": refund.line.sub_purchase_order_id,
            "refundStatus": refund.status,
            "refundType": refund.refund_type,
            "goodsStatus": refund.goods_status,
            "refundFee": refund.refund_fee,
            "currency": "CNY",
        }
        self.emit(MESSAGE_TYPES["taobao", "refund"], body, 0, now)

    def push_alibaba_status(self, order: AlibabaOrder, now: float) -> None:
        body: dict[str, object] = {
            "orderId": order.order_id,
            "currentStatus": order.status,
            "status": order.status,
            "msgSendTime": wire.china_time(now),
            "buyerMemberId": "b2b-fakebuyer",
            "sellerMemberId": order.seller.open_id,
        }
        self.emit(MESSAGE_TYPES["1688", "status"], body, 1, now)

    def push_alibaba_refund(self, refund: AlibabaRefund, action: str, now: float) -> None:
        body: dict[str, object] = {
            "refundId": refund.refund_id,
            "orderId": refund.order.order_id,
            "refundStatus": refund.status,
            "refundAction": action,
            "applyPayment": refund.apply_payment,
            "msgSendTime": wire.china_time(now),
        }
        self.emit(MESSAGE_TYPES["1688", "refund"], body, 1, now)

    # ------------------------------------------------------------------ Taobao transitions

    def pay_taobao(self, order: TaobaoOrder, now: float) -> None:
        if order.status != "WAIT_BUYER_P":
            raise bad(f"order {order.order_id} cannot be paid in status {order.status}; expected WAIT_BUYER_P")
        order.status = "WAIT_SELLER_SEND_GOODS"
        order.paid_at = now
        order.next_step_at = None if self.step_interval is None else now + self.step_interval
        self.push_taobao_status(order, now)

    def cancel_taobao(self, order: TaobaoOrder, reason: str | None, now: float) -> None:
        if order.status != "WAIT_BUYER_P":
            raise bad(f"order {order.order_id} cannot be cancelled in status {order.status}; only WAIT_BUYER_P can")
        order.status = "TRADE_CLOSED"
        order.cancel_reason = reason
        order.next_step_at = None
        for line in order.lines:
            line.sku.stock += line.quantity
        self.push_taobao_status(order, now)

    def _step_taobao(self, order: TaobaoOrder, now: float) -> None:
        if order.status == "WAIT_BUYER_P":
            self.pay_taobao(order, now)
        elif order.status == "WAIT_SELLER_SEND_GOODS":
            order.status = "WAIT_BUYER_CONFIRM_GOODS"
            order.mail_no = self.new_id(14, "78")
            self._add_trace(order, now)
            self.push_taobao_status(order, now)
        elif order.status == "WAIT_BUYER_CONFIRM_GOODS" and len(order.traces) < len(_TAOBAO_TRACE):
            self._add_trace(order, now)

    def _add_trace(self, order: TaobaoOrder, now: float) -> None:
        status, action, status_desc, city, district, facility, text = _TAOBAO_TRACE[len(order.traces)]
        order.traces.insert(
            0,
            {
                "statusDesc": status_desc,
                "province": None,
                "city": city,
                "district": district,
                "action": action,
                "facilityName": facility,
                "time": wire.china_time(now),
                "standerdDesc": text,
                "status": status,
                "nextCity": None,
                "nextNodeName": None,
            },
        )

    # ------------------------------------------------------------------ 1688 transitions

    def pay_alibaba(self, order: AlibabaOrder, now: float) -> None:
        order.status = "waitsellersend"
        order.paid_at = now
        order.next_step_at = None if self.step_interval is None else now + self.step_interval
        self.push_alibaba_status(order, now)

    def _step_alibaba(self, order: AlibabaOrder, now: float) -> None:
        before = order.status
        if order.status == "waitbuyerpay":
            self.pay_alibaba(order, now)
            return
        if order.status == "waitsellersend":
            order.status = "waitbuyerreceive"
            order.logistics_bill_no = self.new_id(14, "73")
            self._add_alibaba_step(order, now)
        elif order.status == "waitbuyerreceive":
            if len(order.logistics_steps) < len(_ALIBABA_TRACE):
                self._add_alibaba_step(order, now)
            else:
                order.status = "confirm_goods"
        elif order.status == "confirm_goods":
            order.status = "success"
        if order.status != before:
            self.push_alibaba_status(order, now)

    def _add_alibaba_step(self, order: AlibabaOrder, now: float) -> None:
        order.logistics_steps.append(
            {"acceptTime": wire.time_1688(now), "remark": _ALIBABA_TRACE[len(order.logistics_steps)]}
        )

    def confirm_alibaba_receipt(self, order: AlibabaOrder, now: float) -> None:
        order.status = "confirm_goods"
        order.next_step_at = None if self.step_interval is None else now + self.step_interval
        self.push_alibaba_status(order, now)

    # ------------------------------------------------------------------ progression

    def _finished(self, order: Order) -> bool:
        if isinstance(order, TaobaoOrder):
            return order.status == "TRADE_CLOSED" or len(order.traces) >= len(_TAOBAO_TRACE)
        return order.status in ("success", "cancel", "terminated")

    def _step(self, order: Order, now: float) -> None:
        """Move one step, then schedule the next clock-driven step (paid, unfinished orders only)."""
        if isinstance(order, TaobaoOrder):
            self._step_taobao(order, now)
            paid = order.status in TAOBAO_PAID
        else:
            self._step_alibaba(order, now)
            paid = order.status in ALIBABA_PAID
        if self.step_interval is None or not paid or self._finished(order):
            order.next_step_at = None
        else:
            order.next_step_at = now + self.step_interval

    def advance(self, order_id: str, now: float) -> str:
        """Move one order one step forward and return its status (``KeyError`` for an unknown id)."""
        order = self.orders.get(order_id)
        if order is None:
            raise KeyError(f"no order {order_id!r}; known: {sorted(self.orders)}")
        self._step(order, now)
        return order.status

    def progress(self, now: float) -> None:
        """Apply every clock-driven step due at ``now``: a paid order moves one step per ``step_interval``."""
        for order in list(self.orders.values()):
            while order.next_step_at is not None and order.next_step_at <= now:
                self._step(order, order.next_step_at)

    def change_price(self, order_id: str, amount: int | Decimal | str, now: float) -> None:
        """Change an order's payable amount as a seller would (fen for Taobao, yuan for 1688) and push it."""
        order = self.orders.get(order_id)
        if order is None:
            raise KeyError(f"no order {order_id!r}")
        if isinstance(order, TaobaoOrder):
            order.purchase_amount = int(amount)
            self.push_taobao_price(order, now)
        else:
            order.total_override = Decimal(str(amount))
            self.emit(MESSAGE_TYPES["1688", "price"], wire_1688.alibaba_order(order), 1, now)

    def advance_refund(self, refund_id: str, now: float) -> str | int:
        """Move an after-sales case one step as the seller would; return its new status."""
        taobao = self.taobao_refunds.get(refund_id)
        if taobao is not None:
            # refundType 1 = refund only, anything else = return and refund (the platform's codes are unknown).
            transitions = {10: 100 if taobao.refund_type == 1 else 20, 20: 30, 30: 100, -10: -20}
            if taobao.status in transitions:
                taobao.status = transitions[taobao.status]
                self.push_taobao_refund(taobao, now)
            return taobao.status
        alibaba = self.alibaba_refunds.get(refund_id)
        if alibaba is None:
            raise KeyError(f"no refund {refund_id!r}")
        steps = {
            "waitselleragree": (
                "refundsuccess" if alibaba.dispute_request == "refund" else "waitbuyersend",
                "SELLER_AGREE_REFUND",
            ),
            "waitbuyersend": ("waitsellerreceive", "BUYER_SEND_GOODS"),
            "waitsellerreceive": ("refundsuccess", "SELLER_RECEIVE_GOODS"),
        }
        if alibaba.status in steps:
            alibaba.status, action = steps[alibaba.status]
            alibaba.updated_at = now
            alibaba.order.refund_status = alibaba.status
            self.push_alibaba_refund(alibaba, action, now)
        return alibaba.status
