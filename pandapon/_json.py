"""The one JSON encoding of what the SDK sends: compact, raw CJK characters, money as exact JSON numbers."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["dumps"]


def dumps(value: object, *, fallback: Callable[[object], object] | None = None) -> str:
    """``value`` as compact JSON text (the platform's examples are compact with raw CJK characters).

    A ``Decimal`` becomes a JSON number with the digits the caller gave (an integral one without a fraction);
    anything else json cannot encode goes to ``fallback``, or is a ``TypeError``.
    """
    return _encoder(fallback)(value)


@functools.lru_cache(maxsize=8)
def _encoder(fallback: Callable[[object], object] | None) -> Callable[[object], str]:
    """One encoder per fallback (the SDK uses one or two), instead of a new ``JSONEncoder`` for every call."""

    def default(item: object) -> object:
        if isinstance(item, Decimal):
            return float(item) if item != item.to_integral_value() else int(item)
        if fallback is not None:
            return fallback(item)
        raise TypeError(f"cannot encode {type(item).__name__} as JSON")

    python = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=default)
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    basestring: Any = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:  # no C accelerator (another interpreter)
        return python.encode

    def encode(value: object) -> str:
        # What JSONEncoder.encode does with the C accelerator, minus its per-call set-up: a fresh ``markers`` dict
        # keeps the check for circular containers (a ValueError, as json.dumps raises).
        if isinstance(value, str):
            return python.encode(value)
        chunks = make({}, default, basestring, None, ":", ",", False, False, True)(value, 0)
        return "".join(chunks)

    return encode
