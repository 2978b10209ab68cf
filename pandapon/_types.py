"""Small shared types: the "not given" sentinel and the JSON value alias."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Final, Literal, TypeAlias

__all__ = ["JSON", "NOT_GIVEN", "NotGiven", "Timeout"]

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
