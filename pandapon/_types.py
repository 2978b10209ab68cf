"""Small shared types: the "not given" sentinel and the JSON value alias."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Final, Literal, TypeAlias, cast

__all__ = ["JSON", "NOT_GIVEN", "NotGiven", "Timeout", "as_list", "as_object"]

#: A JSON value as the SDK hands it out: numbers with a fraction are ``Decimal``, never ``float``.
JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | Decimal | bool | None

Timeout: TypeAlias = float | None


class NotGiven(enum.Enum):
    """The type of :data:`NOT_GIVEN`, a sentinel distinct from ``None``."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


#: Marks an argument that was not passed (``None`` may be a meaningful value).
NOT_GIVEN: Final = NotGiven.NOT_GIVEN


def as_object(value: object) -> dict[str, object] | None:
    """Return a decoded JSON object as a typed mapping, or ``None`` when it is not one."""
    return cast("dict[str, object]", value) if isinstance(value, dict) else None


def as_list(value: object) -> list[object]:
    """Return a decoded JSON array as a typed list (empty when it is not one)."""
    return cast("list[object]", value) if isinstance(value, list) else []
