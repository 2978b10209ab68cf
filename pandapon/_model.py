"""The model base classes (attrs only: importing them does not import cattrs)."""

from __future__ import annotations

import attrs

from ._types import JSON

__all__ = ["Model", "RequestModel"]


# The bases generate no repr/eq of their own (each model class generates its own): cheaper `import pandapon`.
@attrs.frozen(kw_only=True, repr=False, eq=False)
class Model:
    """Base of every response model: frozen, and ``extra`` keeps unknown wire keys (by their wire names)."""

    extra: dict[str, JSON] = attrs.field(factory=dict[str, JSON], repr=False, eq=False)


@attrs.define(kw_only=True, repr=False, eq=False)
class RequestModel:
    """Base of every request model: mutable builders, unstructured to wire names with unset fields left out.

    ``extra`` holds wire fields the model does not know (by their wire names); they are sent as given, so a field
    the docs left out can be added without a release.
    """

    extra: dict[str, object] = attrs.field(factory=dict[str, object], repr=False)
