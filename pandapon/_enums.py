"""Open enums: the order, refund and logistics statuses the evidence shows, as enum members with their meaning, where
a value nobody has documented is kept as it came and never an error.

``OpenStrEnum`` and ``OpenIntEnum`` members compare equal to their wire values (``TaobaoOrderStatus.WAIT_BUYER_P ==
"WAIT_BUYER_P"``), so code written against plain strings keeps working. An unknown value (``TaobaoOrderStatus("NEW")``)
becomes a member-like instance of the class that is not in the class's member list: ``status.known`` is ``False``, its
``name`` is ``"UNKNOWN"``, its ``value`` is what the platform sent, and it round-trips to the wire unchanged.

Where the values come from: ``../shared/pandapon-api/upstream-shapes.md`` ("Status value sets") — the 1688 values from
1688's own API documentation (upstream-official), the Taobao ones from a PandaPon mirror (its ``TaoBaoOrderStatusEnum``
and ``RefundStatusEnum``) and the Taobao distribution upstream. Each class says which.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "AlibabaItemRefundStatus",
    "AlibabaLogisticsStatus",
    "AlibabaOrderStatus",
    "AlibabaRefundStatus",
    "OpenIntEnum",
    "OpenStrEnum",
    "TaobaoLogisticsTraceStatus",
    "TaobaoOrderStatus",
    "TaobaoRefundStatus",
]


def _unknown(cls: Any, value: object) -> Any:
    """A pseudo-member of ``cls`` for a value it does not list (cached, so one value gives one object)."""
    base: type = cls._member_type_  # str or int
    if not isinstance(value, base) or isinstance(value, bool):
        return None  # the Enum machinery then raises ValueError naming the class and the value
    cache: dict[object, Any] = cls.__dict__.get("_pandapon_unknown") or {}
    if not cache:
        type.__setattr__(cls, "_pandapon_unknown", cache)
    member: Any = cache.get(value)
    if member is None:
        member = base.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        cache[value] = member
    return member


class _Open:
    """What both open enums add to ``enum.Enum`` (a mixin without data: the data type comes after it)."""

    _name_: str
    _value_: object

    @classmethod
    def _missing_(cls, value: object) -> Any:
        return _unknown(cls, value)

    @property
    def known(self) -> bool:
        """Whether the value is one the evidence documents (a member of the class)."""
        return self._name_ != "UNKNOWN"

    def __str__(self) -> str:
        return str(self._value_)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"


class OpenStrEnum(_Open, str, enum.Enum):
    """A string enum that keeps values it does not list (see the module docstring)."""


class OpenIntEnum(_Open, int, enum.Enum):
    """An integer enum that keeps values it does not list (see the module docstring)."""


class TaobaoOrderStatus(OpenStrEnum):
    """A Taobao purchase order's ``status`` (evidence: the upstream's raw strings, upstream-third-party, and a PandaPon
    mirror's ``TaoBaoOrderStatusEnum``; the full list is not published)."""

    #: Being created (``BULIDING``, sic, as the platform spells it).
    BULIDING = "BULIDING"
    #: Created, waiting for the buyer to pay (``WAIT_BUYER_P``).
    WAIT_BUYER_P = "WAIT_BUYER_P"
    #: Paid, waiting for the seller to ship.
    WAIT_SELLER_SEND_GOODS = "WAIT_SELLER_SEND_GOODS"
    #: Shipped, waiting for the buyer to confirm receipt.
    WAIT_BUYER_CONFIRM_GOODS = "WAIT_BUYER_CONFIRM_GOODS"
    #: Closed (cancelled before payment, or refunded in full); the mirror maps it to CANCEL.
    TRADE_CLOSED = "TRADE_CLOSED"


class TaobaoRefundStatus(OpenIntEnum):
    """A Taobao reverse order's ``refundStatus`` (evidence: a PandaPon mirror's ``RefundStatusEnum`` values 0, 10, 20,
    30, 100, -10, -20; the mirror names the meaning of 10 and 100 only, the rest are inferred from the flow and say
    so)."""

    #: Meaning not published (the mirror lists the value; the v1 reverse-order query example shows it).
    NONE = 0
    #: Applied for: waiting for the seller (mirror; Taobao's own refund API also uses 10 for "created").
    APPLIED = 10
    #: The seller agreed to a return: waiting for the buyer to send the goods back (inferred from the flow).
    WAIT_BUYER_RETURN = 20
    #: The goods were sent back: waiting for the seller to receive them (inferred from the flow).
    WAIT_SELLER_RECEIVE = 30
    #: Refunded (mirror; Taobao's own refund API also uses 100 for "success").
    SUCCESS = 100
    #: Meaning not published (the mirror lists the value; a closed or refused case, presumably).
    CLOSED = -10
    #: Meaning not published (the mirror lists the value; a refused or cancelled case, presumably).
    REFUSED = -20


class TaobaoLogisticsTraceStatus(OpenStrEnum):
    """The ``status`` of a Taobao logistics trace event (evidence: the documented example of
    ``taobao.orders.get_logistics``, which shows one value; the list is not published — expect unknown ones, and read
    ``statusDesc`` and ``action`` beside it)."""

    #: In transit (the example's ``statusDesc``: 运输中).
    TRANSPORT = "TRANSPORT"


class AlibabaOrderStatus(OpenStrEnum):
    """A 1688 order's ``baseInfo.status`` / ``productItems[].status`` (evidence: 1688's own API documentation,
    upstream-official; PandaPon's Vietnamese product-detail schema lists the 7 most common)."""

    #: Waiting for the buyer to pay.
    WAITBUYERPAY = "waitbuyerpay"
    #: Paid, waiting for the seller to ship.
    WAITSELLERSEND = "waitsellersend"
    #: Waiting for the carrier to pick the goods up.
    WAITLOGISTICSTAKEIN = "waitlogisticstakein"
    #: Shipped, waiting for the buyer to receive.
    WAITBUYERRECEIVE = "waitbuyerreceive"
    #: Delivered, waiting for the buyer to sign.
    WAITBUYERSIGN = "waitbuyersign"
    #: The buyer has signed.
    SIGNINSUCCESS = "signinsuccess"
    #: The goods were received (confirmed).
    CONFIRM_GOODS = "confirm_goods"
    #: Trade successful.
    SUCCESS = "success"
    #: Trade cancelled.
    CANCEL = "cancel"
    #: Trade terminated.
    TERMINATED = "terminated"


class AlibabaRefundStatus(OpenStrEnum):
    """A 1688 refund's ``baseInfo.refundStatus`` and the refund list filter (lower case; evidence: 1688's own API
    documentation, upstream-official)."""

    #: Waiting for the seller to agree.
    WAITSELLERAGREE = "waitselleragree"
    #: Refunded.
    REFUNDSUCCESS = "refundsuccess"
    #: Closed without a refund.
    REFUNDCLOSE = "refundclose"
    #: Waiting for the buyer to modify the request.
    WAITBUYERMODIFY = "waitbuyermodify"
    #: Waiting for the buyer to send the goods back.
    WAITBUYERSEND = "waitbuyersend"
    #: Waiting for the seller to confirm receipt of the returned goods.
    WAITSELLERRECEIVE = "waitsellerreceive"


class AlibabaItemRefundStatus(OpenStrEnum):
    """A 1688 order line's ``productItems[].refundStatus`` (upper case; evidence: 1688's own API documentation,
    upstream-official)."""

    #: Waiting for the seller to agree.
    WAIT_SELLER_AGREE = "WAIT_SELLER_AGREE"
    #: Refunded.
    REFUND_SUCCESS = "REFUND_SUCCESS"
    #: Closed without a refund.
    REFUND_CLOSED = "REFUND_CLOSED"
    #: Waiting for the buyer to modify the request.
    WAIT_BUYER_MODIFY = "WAIT_BUYER_MODIFY"
    #: Waiting for the buyer to send the goods back.
    WAIT_BUYER_SEND = "WAIT_BUYER_SEND"
    #: Waiting for the seller to confirm receipt of the returned goods.
    WAIT_SELLER_RECEIVE = "WAIT_SELLER_RECEIVE"


class AlibabaLogisticsStatus(OpenIntEnum):
    """A 1688 order line's ``productItems[].logisticsStatus`` (evidence: 1688's own API documentation,
    upstream-official)."""

    #: Not shipped.
    NOT_SHIPPED = 1
    #: Shipped.
    SHIPPED = 2
    #: Received.
    RECEIVED = 3
    #: Returned.
    RETURNED = 4
    #: Partially shipped.
    PARTIALLY_SHIPPED = 5
    #: No logistics order yet.
    NO_LOGISTICS_ORDER = 8
