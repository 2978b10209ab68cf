"""The one JSON encoding of what the SDK sends: compact, raw CJK characters, money as exact JSON numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

__all__ = ["dumps"]


def dumps(value: object, *, fallback: Callable[[object], object] | None = None) -> str:
    """``value`` as compact JSON text (the platform's examples are compact with raw CJK characters).

    A ``Decimal`` becomes a JSON number with the digits the caller gave (an integral one without a fraction);
    anything else json cannot encode goes to ``fallback``, or is a ``TypeError``.
    """

    def default(item: object) -> object:
        if isinstance(item, Decimal):
            return float(item) if item != item.to_integral_value() else int(item)
        if fallback is not None:
            return fallback(item)
        raise TypeError(f"cannot encode {type(item).__name__} as JSON")

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default)
