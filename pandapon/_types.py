"""Small shared types: the "not given" sentinel and the JSON value alias."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, cast

if TYPE_CHECKING:
    from decimal import Decimal

    from attrs import AttrsInstance

__all__ = ["JSON", "NOT_GIVEN", "NotGiven", "Timeout", "UnknownShape", "as_list", "as_object"]

if TYPE_CHECKING:
    #: A JSON value as the SDK hands it out: numbers with a fraction are ``Decimal``, never ``float``.
    JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | Decimal | bool | None
    #: What an operation returns when no source shows the shape of its answer: the decoded JSON (a ``dict`` for an
    #: object; index it like the answer of ``client.request(...)``). The same object as :data:`JSON`, named for
    #: what it says about the operation.
    UnknownShape: TypeAlias = JSON
else:

    def __getattr__(name: str) -> object:
        # JSON is built on first use: it names Decimal, and importing ``decimal`` would add about a millisecond to
        # `import pandapon` (a client imports it when created, to decode money in responses).
        if name in ("JSON", "UnknownShape"):
            from decimal import Decimal

            alias = dict[str, "JSON"] | list["JSON"] | str | int | Decimal | bool | None
            alias = globals().setdefault("JSON", alias)  # atomic: threads racing here all get the same object
            return alias if name == "JSON" else globals().setdefault("UnknownShape", alias)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def fields_repr(self: AttrsInstance) -> str:
    """``Name(field=value, ...)`` from an attrs instance's fields, as attrs' own repr prints it.

    Classes on the ``import pandapon`` path use it (``repr=False`` plus ``__repr__ = fields_repr``) because attrs
    compiles a generated ``__repr__`` per class at import time, which costs about a third of a millisecond each.
    """
    import attrs

    cls = type(self)
    shown = ", ".join(
        f"{a.name}={a.repr(getattr(self, a.name)) if callable(a.repr) else repr(getattr(self, a.name))}"
        for a in attrs.fields(cls)
        if a.repr
    )
    return f"{cls.__qualname__}({shown})"
