"""Typed push events: the wrapper parsed, the body decoded, unknown message types kept as generic events."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal

import attrs

from .._converter import CONVERTER
from .._generated.webhooks import WEBHOOKS
from .._types import as_object
from ._errors import WebhookPayloadError

__all__ = [
    "Platform",
    "PriceChangeEvent",
    "RefundEvent",
    "StatusChangeEvent",
    "UnknownEvent",
    "WebhookEvent",
    "parse_event",
]

EventKind = Literal["price_change", "status_change", "refund", "unknown"]


class Platform(enum.IntEnum):
    """``messagePlatform``: 0 Taobao, 1 1688."""

    TAOBAO = 0
    ALIBABA = 1


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One push from the platform.

    Attributes:
        message_type: ``messageType`` as sent (unknown values are kept).
        platform: ``messagePlatform``: :class:`Platform` for 0 and 1; any other integer (a JSON integer, or a string
            holding one, e.g. ``"7"``) as an ``int``; any other string as sent; ``None`` when absent or ``null``, or
            when the value is neither an integer nor a string (a boolean, a fraction, an object or an array). The
            value as sent is always in ``raw["messagePlatform"]``.
        timestamp: the push time (``timestamp``, epoch milliseconds), when present and readable.
        body: ``messageBody`` decoded (it may arrive as an object or as JSON text).
        raw: the whole wrapper as received.
        dedupe_key: a stable key for de-duplication: SHA-256 of ``messageType`` and the decoded body. The wrapper's
            ``timestamp`` is left out: the platform's docs do not say whether a redelivery keeps it, and a renewed
            one would make the redelivery look new. (Two pushes with the same type and identical bodies count as
            one; pass ``dedupe_key=`` to the receiver to choose otherwise.)
    """

    kind: EventKind = "unknown"
    message_type: str
    platform: Platform | int | str | None
    timestamp: datetime | None
    body: dict[str, Any]
    raw: dict[str, Any] = attrs.field(repr=False)
    dedupe_key: str

    @property
    def order_id(self) -> str | None:
        """The order id the push is about, when the body names one (``orderId``, ``salesOrderId``, ...)."""
        for key in ("orderId", "salesOrderId", "purchaseOrderId", "order_id"):
            value = self.body.get(key)
            if value is not None:
                return str(value)
        base = as_object(self.body.get("baseInfo"))
        if base is not None and base.get("id") is not None:
            return str(base["id"])
        return None


@attrs.frozen(kw_only=True)
class PriceChangeEvent(WebhookEvent):
    """``*_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY`` (documented); ``order`` is the typed body when it parses."""

    kind: EventKind = "price_change"
    order: Any = None


@attrs.frozen(kw_only=True)
class StatusChangeEvent(WebhookEvent):
    """An order status change (the constants are not published; matched by pattern, see :func:`classify`)."""

    kind: EventKind = "status_change"

    @property
    def status(self) -> str | None:
        for key in ("orderStatus", "status", "tradeStatus"):
            value = self.body.get(key)
            if value is not None:
                return str(value)
        return None


@attrs.frozen(kw_only=True)
class RefundEvent(WebhookEvent):
    """An after-sales refund push (``*REFUND*`` message types)."""

    kind: EventKind = "refund"


@attrs.frozen(kw_only=True)
class UnknownEvent(WebhookEvent):
    """A push whose message type the SDK does not know: nothing is dropped, everything is in ``raw``."""


def classify(message_type: str) -> EventKind:
    """Return the kind of a message type: documented constants first, then the known naming patterns."""
    upper = message_type.upper()
    if upper.endswith("PRICE_MODIFY"):
        return "price_change"
    if "REFUND" in upper:
        return "refund"
    if upper.startswith(("TAOBAO_ORDER_", "1688_ORDER_", "ORDER_")):
        return "status_change"
    return "unknown"


_BODY_MODELS = {key: model for key, _, _, _, model in WEBHOOKS if model is not None and "*" not in key}


def _timestamp(value: object) -> datetime | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    try:
        seconds = number / 1000 if number > 10**11 else number  # a huge integer overflows the division
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _platform(value: object) -> Platform | int | str | None:
    """``messagePlatform`` read as documented on :attr:`WebhookEvent.platform`."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(value)
        except ValueError:  # not an integer (or too many digits to read as one): kept as sent
            return value
    try:
        return Platform(number)
    except ValueError:
        return number


def _loads(text: bytes | str, what: str) -> object:
    """Decode JSON (fractions as :class:`~decimal.Decimal`); raise :class:`WebhookPayloadError` when the text is
    valid JSON that cannot be decoded: nested too deeply, or a number out of :class:`~decimal.Decimal`'s range.
    Invalid JSON raises :class:`ValueError` for the caller to decide."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise WebhookPayloadError(f"{what} is nested too deeply to decode") from None
    except ArithmeticError:  # decimal.InvalidOperation: an exponent beyond Decimal's range
        raise WebhookPayloadError(f"{what} holds a number out of range") from None


def parse_event(payload: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Parse a push into a typed event.

    ``messageBody`` may be an object or JSON text (text that is not JSON is kept as ``{"text": ...}``). An unknown
    ``messageType`` gives an :class:`UnknownEvent` (never an exception). A push that is not a JSON object wrapper
    with a ``messageType``, or that cannot be decoded (invalid UTF-8, nested too deeply, a number out of range,
    also inside a ``messageBody`` string), raises :class:`WebhookPayloadError`.
    """
    try:
        return _parse(payload)
    except RecursionError:  # a structure that decoded but is too deep to print or hash
        raise WebhookPayloadError("the push is nested too deeply to decode") from None


def _parse(payload: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    decoded: object
    if isinstance(payload, Mapping):
        decoded = dict(payload)
    else:
        try:
            decoded = _loads(payload, "the push body")
        except ValueError as exc:  # UnicodeDecodeError included
            raise WebhookPayloadError(f"the push body is not JSON: {exc}") from None
    wrapper = as_object(decoded)
    if wrapper is None:
        raise WebhookPayloadError(
            f"expected a JSON object with messageType and messageBody, got {type(decoded).__name__}"
        )
    message_type = wrapper.get("messageType")
    if not isinstance(message_type, str) or not message_type:
        raise WebhookPayloadError(f"expected messageType to be a non-empty string, got {message_type!r}")
    body_value = wrapper.get("messageBody")
    parsed: object = body_value
    if isinstance(body_value, str):
        try:
            parsed = _loads(body_value, "the push's messageBody") if body_value.strip() else {}
        except ValueError:
            parsed = {"text": body_value}
    elif body_value is None:
        parsed = {}
    body: dict[str, Any] = as_object(parsed) or {"value": parsed}
    try:
        canonical = json.dumps([message_type, body], sort_keys=True, default=str)
    except (TypeError, ValueError) as exc:  # a mapping given by the caller: keys that do not sort, a cycle
        raise WebhookPayloadError(f"the push is not a JSON object: {exc}") from None
    common: dict[str, Any] = {
        "message_type": message_type,
        "platform": _platform(wrapper.get("messagePlatform")),
        "timestamp": _timestamp(wrapper.get("timestamp")),
        "body": body,
        "raw": wrapper,
        "dedupe_key": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    }
    kind = classify(message_type)
    if kind == "price_change":
        model = _BODY_MODELS.get(message_type)
        order = None
        if model is not None:
            try:
                order = CONVERTER.structure(body, model)
            except Exception:  # a body that drifted from the docs (or too deep to structure) stays in .body
                order = None
        return PriceChangeEvent(order=order, **common)
    if kind == "status_change":
        return StatusChangeEvent(**common)
    if kind == "refund":
        return RefundEvent(**common)
    return UnknownEvent(**common)
