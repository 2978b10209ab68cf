"""Compiled per-model structuring: the field hooks cattrs would call for one response model, minus the per-field
calls where the wire value already has the field's exact type. The converter falls back to cattrs' own function for
anything the compiled one does not take, so results and errors stay cattrs'."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, cast, get_args, get_origin

import attrs

if TYPE_CHECKING:
    import cattrs

    from ._model import Model

__all__ = ["Reject", "compile_structure", "is_optional", "reject", "wire_name"]

_NoneType = type(None)


class Reject(Exception):
    """The compiled structuring function does not take this value; cattrs' function will."""


def reject(value: object) -> Model:
    """The structuring function of a model that could not be compiled: always falls back."""
    raise Reject


def is_optional(t: Any) -> bool:
    """``X | None`` / ``Optional[X]`` for a single ``X``."""
    return get_origin(t) in (Union, UnionType) and len(t.__args__) == 2 and _NoneType in t.__args__


def wire_name(a: attrs.Attribute[Any]) -> str:
    """The JSON key of a model field (its ``wire`` metadata, else its name)."""
    return str(a.metadata.get("wire", a.name))


_EXACT = (str, int, bool, Decimal)  # hooks that return a value of exactly this type unchanged


def compile_structure(
    cl: type[Model],
    fields: list[attrs.Attribute[Any]],
    conv: cattrs.Converter,
    known: frozenset[str],
    text_hooks: Mapping[str, Callable[[object, Any], object]],
) -> Callable[[object], Model]:
    """Compile one model's structuring function: the field hooks cattrs would call, minus the per-field calls.

    It calls the same hook per field as ``make_dict_structure_fn`` (``conv.get_structure_hook(type)``, or the
    JSON-in-string hook), except where the wire value already has the field's exact type and that hook would return
    it unchanged (``str``, ``int``, ``bool``, ``Decimal``, each optionally ``| None``). It raises on anything else
    (``Reject``, ``KeyError`` or the hook's error), and the caller falls back to cattrs' own function.
    """
    ns: dict[str, Any] = {"cl": cl, "known": known, "Reject": Reject, "dict": dict}
    body = ["def structure(o):", "    if o.__class__ is not dict:", "        raise Reject", "    kw = {}"]
    args: list[str] = []
    for i, a in enumerate(fields):
        key = wire_name(a)
        t: Any = a.type
        text_hook = text_hooks.get(a.name)
        hook = text_hook if text_hook is not None else conv.get_structure_hook(t)
        ns[f"h{i}"], ns[f"t{i}"] = hook, t
        optional = is_optional(t)
        inner: Any = next(x for x in get_args(t) if x is not _NoneType) if optional else t
        exact = inner if inner in _EXACT and text_hook is None else None
        convert = f"h{i}(v, t{i})"
        if get_origin(inner) is list and text_hook is None:
            # A list: the element hook per element (what cattrs' list hook does for a list), inline.
            elem: Any = get_args(inner)[0]
            ns[f"g{i}"], ns[f"u{i}"] = conv.get_structure_hook(elem), elem
            item = f"g{i}(x, u{i})"
            if elem in _EXACT:
                ns[f"f{i}"] = elem
                item = f"x if x.__class__ is f{i} else {item}"
            convert = f"[{item} for x in v] if v.__class__ is list else {convert}"
        if exact is not None:
            ns[f"e{i}"] = exact
            skip = f"v is None or v.__class__ is e{i}" if optional else f"v.__class__ is e{i}"
            convert = f"v if {skip} else {convert}"
        if a.default is attrs.NOTHING:  # required: a missing key raises KeyError (cattrs reports it)
            body.append(f"    v = o[{key!r}]")
            body.append(f"    a{i} = {convert}")
            args.append(f"{a.alias}=a{i}")
        elif optional and a.default is None:  # absent and null are the same here: the default is None
            body.append(f"    v = o.get({key!r})")
            body.append(f"    a{i} = None if v is None else {convert}")
            args.append(f"{a.alias}=a{i}")
        else:  # another default (or a factory): pass it only when the key is there
            body.append(f"    if {key!r} in o:")
            body.append(f"        v = o[{key!r}]")
            body.append(f"        kw[{a.alias!r}] = {convert}")
    body.append("    if not known.issuperset(o):")  # no set is built for the usual dict without unknown keys
    body.append("        kw['extra'] = {k: v for k, v in o.items() if k not in known}")
    body.append(f"    return cl({', '.join([*args, '**kw'])})")
    source = "\n".join(body)
    exec(compile(source, f"<pandapon structure {cl.__module__}.{cl.__qualname__}>", "exec"), ns)
    return cast("Callable[[object], Model]", ns["structure"])
