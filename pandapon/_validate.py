"""Argument checks for generated request models: wrong types fail before anything is sent.

Each factory returns an attrs validator that raises :class:`~pandapon.InvalidInputError` naming the operation,
the parameter, what was expected and what was got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import attrs

from ._exceptions import InvalidInputError

if TYPE_CHECKING:
    from typing_extensions import TypeIs

__all__ = ["check_bulk", "expect", "is_count", "is_seconds", "shown"]

Check = Callable[[object], bool]


def is_seconds(value: object) -> TypeIs[float]:
    """A positive number of seconds (a bool is not one): a timeout or a deadline, for the client and for one call."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0


def is_count(value: object) -> TypeIs[int]:
    """A non-negative int (a bool is not one): ``max_retries``, for the client and for one call."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= 0


_CHECKS: dict[str, Check] = {
    "str": lambda v: isinstance(v, str),
    "id": lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, Decimal)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, Mapping),
    "any": lambda v: True,
}

_WORDS = {
    "str": "a str",
    "id": "an id (str or int)",
    "int": "an int",
    "number": "a Decimal or int (never float: amounts must stay exact)",
    "bool": "a bool",
    "object": "a mapping",
    "any": "any JSON value",
}


def shown(value: object) -> str:
    """``repr(value)``, cut to 60 characters: how an error message shows a wrong argument."""
    text = repr(value)
    return (text[:57] + "...") if len(text) > 60 else text


def _all_match(check: Check, value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(check(v) for v in cast("Iterable[object]", value))


def expect(
    kind: str | type, *, optional: bool, many: bool = False, json_text: bool = False
) -> Callable[[Any, attrs.Attribute[Any], object], None]:
    """Return a validator for one request field.

    Args:
        kind: a key of the scalar checks (``"str"``, ``"id"``, ``"int"``, ``"number"``, ``"bool"``, ``"object"``,
            ``"any"``) or a request-model class.
        optional: ``None`` is accepted.
        many: the value is a list of ``kind``.
        json_text: a ``str`` holding JSON text is accepted too (sent as is).
    """
    check: Check
    if isinstance(kind, str):
        check = _CHECKS[kind]
        word = _WORDS[kind]
    else:
        cls = kind

        def is_instance(v: object) -> bool:
            return isinstance(v, cls)

        check = is_instance
        word = f"a {cls.__name__}"
    if many:
        word = f"a list of {word.removeprefix('a ').removeprefix('an ')}"

    # A required id that is empty reaches the server as a wrong lookup: refused here.
    blank_ids = kind == "id" and not optional and not many

    def validate(inst: Any, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if json_text and isinstance(value, str):
            return
        ok = _all_match(check, value) if many else check(value)
        if ok and blank_ids and isinstance(value, str) and not value.strip():
            owner = cast("type[object]", type(inst))
            raise InvalidInputError(
                f"{getattr(owner, '_operation', owner.__name__)}(): parameter {attribute.name!r} expected a "
                f"non-empty id, got {shown(value)} (str)",
                parameter=attribute.name,
            )
        if not ok:
            owner = cast("type[object]", type(inst))
            op = getattr(owner, "_operation", owner.__name__)
            extra = " or JSON text" if json_text else ""
            none = " or None" if optional else ""
            raise InvalidInputError(
                f"{op}(): parameter {attribute.name!r} expected {word}{extra}{none}, "
                f"got {shown(value)} ({type(value).__name__})",
                parameter=attribute.name,
            )

    return validate


def check_bulk(concurrency: object, order: object, on_error: object) -> None:
    """Refuse a bulk run's bad settings at once, in the caller's thread."""
    if not (is_count(concurrency) and concurrency > 0):
        raise InvalidInputError(f"concurrency must be an int >= 1, got {concurrency!r}", parameter="concurrency")
    if order not in ("completion", "input"):
        raise InvalidInputError(f"order must be 'completion' or 'input', got {order!r}", parameter="order")
    if on_error not in ("collect", "raise"):
        raise InvalidInputError(f"on_error must be 'collect' or 'raise', got {on_error!r}", parameter="on_error")
