"""The one cattrs converter: wire names, lenient scalars, unknown keys kept, JSON-in-string fields.

Models are plain attrs classes. Field metadata drives the mapping:

- ``wire``: the JSON key (defaults to the attribute name);
- ``json_in_string``: the wire value is JSON text inside a string (encoded on the way out, decoded on the way in);
- ``wire_int`` / ``wire_str``: an identifier (accepted as ``str`` or ``int``) that the endpoint wants as a JSON
  integer / string;
- ``money``: the documented unit (``"fen"``, ``"yuan"`` or ``"unknown"``), for documentation only: amounts are
  never converted between units.

Response models derive from :class:`Model`, whose ``extra`` attribute keeps every key the model does not know, so
a new platform field never breaks parsing and stays reachable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from types import UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._compiled import compile_structure, is_optional, reject, wire_name
from ._enums import OpenIntEnum, OpenStrEnum
from ._json import dumps
from ._model import Model, RequestModel
from ._types import JSON

__all__ = [
    "CONVERTER",
    "Model",
    "RequestModel",
    "StructureFailure",
    "make_converter",
    "structure_errors",
    "to_wire",
]

T = TypeVar("T")


class StructureFailure(ValueError):
    """A wire value that does not fit its field; the message says what was expected and what was got."""


def _got(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _structure_str(value: object, _: type) -> str:
    if isinstance(value, str):
        return value
    # Identifiers travel as strings or integers depending on the endpoint; keep them as str.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    raise StructureFailure(f"expected a string, got {_got(value)}")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise StructureFailure(f"expected an integer, got {_got(value)}")


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    if isinstance(value, float):
        return Decimal(repr(value))
    raise StructureFailure(f"expected a decimal number, got {_got(value)}")


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and not isinstance(value, Decimal):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StructureFailure(f"expected a boolean, got {_got(value)}")


def _structure_open_enum(value: object, cls: Any) -> object:
    """An open enum from its wire value: a known one is the member, an unknown one is kept (``.known`` is False).

    The wire's JSON type is forgiven as elsewhere in the SDK: an integer status sent as digits (``"10"``) is read as
    the integer, an empty string is no value (``None``), and a number where text is expected is read as its text."""
    if issubclass(cls, int):
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if text.lstrip("-").isdigit():
                value = int(text)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    enum: Any = cls
    try:
        return enum(value)
    except ValueError:
        kind = "an integer" if issubclass(cls, int) else "a string"
        raise StructureFailure(f"expected {kind} ({cls.__name__}), got {_got(value)}") from None


def _structure_json(value: object, _: Any = None) -> JSON:
    """A ``JSON`` field's value as it came from the wire: returned as it is (not copied) unless a ``float`` needs to
    become a ``Decimal``; anything that is not JSON is a :class:`StructureFailure`."""
    cls = value.__class__
    if value is None or cls is str or cls is int or cls is bool or cls is Decimal:
        return cast("JSON", value)
    if cls is float:
        return Decimal(repr(value))
    if isinstance(value, dict):
        items = cast("dict[object, object]", value)
        changed: dict[str, JSON] | None = None
        for k, v in items.items():
            if not isinstance(k, str):
                raise StructureFailure(f"expected a JSON object (string keys), got key {_got(k)}")
            new = _structure_json(v)
            if new is not v:
                if changed is None:
                    changed = cast("dict[str, JSON]", dict(items))
                changed[k] = new
        return cast("JSON", value) if changed is None else changed
    if isinstance(value, list):
        elements = cast("list[object]", value)
        out = [_structure_json(v) for v in elements]
        return cast("JSON", value) if all(a is b for a, b in zip(out, elements, strict=True)) else out
    if isinstance(value, (str, int, Decimal)):  # subclasses (an IntEnum, a str Enum) are JSON too
        return cast("JSON", value)
    raise StructureFailure(f"expected a JSON value, got {_got(value)}")


_NoneType = type(None)

_JSON_SCALARS: frozenset[object] = frozenset({str, int, Decimal, bool, _NoneType})


def _is_json(t: Any) -> bool:
    """The ``JSON`` alias, also as ``typing.get_type_hints`` rebuilds it (its inner forward references evaluated,
    so it no longer compares equal to the alias): a union of the JSON scalars, a ``dict`` and a ``list``."""
    if get_origin(t) not in (Union, UnionType):
        return False
    args = get_args(t)
    origins = {get_origin(a) for a in args}
    return (
        len(args) == 7
        and origins == {None, dict, list}
        and frozenset(a for a in args if a in _JSON_SCALARS) == _JSON_SCALARS
    )


def make_converter(*, forbid_extra_keys: bool = False, compiled: bool = True) -> cattrs.Converter:
    """Build the converter used for every request and response.

    Args:
        forbid_extra_keys: strict mode for tests and drift checks: unknown response keys fail instead of going
            into ``extra``.
        compiled: structure response models with a function compiled per model that calls the same field hooks
            as cattrs' generated one, minus the per-field calls for values already of their field's type (about
            20 % faster on a large page), falling back to cattrs' function for anything it does not take. ``False``
            uses cattrs' function alone (the same results and errors, slower).
    """
    conv = cattrs.Converter(detailed_validation=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(bool, _structure_bool)
    # By class, so that the enums' own hook wins over the str / int hooks (dispatch goes by the closest class).
    conv.register_structure_hook(OpenStrEnum, _structure_open_enum)
    conv.register_structure_hook(OpenIntEnum, _structure_open_enum)
    conv.register_unstructure_hook(Decimal, lambda d: d)
    # Free-form fields (``dict[str, JSON]``, ``list[JSON]``...): cattrs has no hook for the recursive alias.
    conv.register_structure_hook_func(_is_json, _structure_json)

    def decode_json_text(target: Any) -> Callable[[object, Any], object]:
        def hook(value: object, _: Any) -> object:
            if isinstance(value, str):
                try:
                    value = json.loads(value, parse_float=Decimal)
                except ValueError as exc:
                    raise StructureFailure(f"expected JSON text, got {_got(value)}") from exc
            return conv.structure(value, target)

        return hook

    def optional_factory(t: Any) -> Callable[[object, Any], object]:
        # cattrs' generic Optional hook looks the inner type's hook up on every value; look it up once (lazily,
        # so that a model that refers to itself still works).
        inner = next(a for a in t.__args__ if a is not _NoneType)
        exact = inner if inner in (str, int, bool, Decimal) else None  # values already of that type pass as they are
        hook: Callable[[object, Any], object] | None = None

        def structure_optional(value: object, _: Any) -> object:
            nonlocal hook
            if value is None or type(value) is exact:
                return value
            if hook is None:
                hook = conv.get_structure_hook(inner)
            return hook(value, inner)

        return structure_optional

    conv.register_structure_hook_factory(is_optional, optional_factory)

    def structure_factory(cl: type[Model]) -> Callable[[Mapping[str, object], Any], Model]:
        attrs.resolve_types(cl)  # string annotations (PEP 563) to types, once per class
        fields = [a for a in attrs.fields(cl) if a.name != "extra"]
        # JSON-in-string fields: one hook each, for cattrs' function and the compiled one alike.
        text_hooks = {a.name: decode_json_text(a.type) for a in fields if a.metadata.get("json_in_string")}
        overrides: dict[str, Any] = {"extra": override(omit=True)}
        for a in fields:
            kw: dict[str, Any] = {"rename": wire_name(a)}
            if a.name in text_hooks:
                kw["struct_hook"] = text_hooks[a.name]
            overrides[a.name] = override(**kw)
        base = make_dict_structure_fn(
            cl, conv, _cattrs_forbid_extra_keys=forbid_extra_keys, _cattrs_detailed_validation=True, **overrides
        )
        known = frozenset(wire_name(a) for a in fields)

        def structure(value: Mapping[str, object], _: Any) -> Model:
            if value.__class__ is not dict and not isinstance(value, Mapping):  # skip the ABC check for a dict
                raise StructureFailure(f"expected an object, got {_got(value)}")
            obj = base(value, cl)
            if not known.issuperset(value):  # in C, no set built; the dict of unknown keys only when needed
                object.__setattr__(obj, "extra", {k: v for k, v in value.items() if k not in known})
            return obj

        if not compiled or forbid_extra_keys or any(not a.init or a.converter is not None for a in fields):
            return structure
        fast: Callable[[object], Model] | None = None

        def structure_fast(value: Mapping[str, object], _: Any) -> Model:
            # The compiled function (see compile_structure) first; anything it does not accept (a missing required key,
            # a value its hooks reject, not a dict) is structured again by cattrs' function, which raises the
            # detailed error. So a result is always what cattrs would return, only sooner.
            nonlocal fast
            if fast is None:  # compiled on first use: every hook it calls is registered by then
                try:
                    fast = compile_structure(cl, fields, conv, known, text_hooks)
                except Exception:  # a field type without a hook: cattrs' function says so when a value needs it
                    fast = reject
            try:
                return fast(value)
            except Exception:
                return structure(value, cl)

        return structure_fast

    conv.register_structure_hook_factory(lambda t: attrs.has(t) and issubclass(t, Model), structure_factory)

    def encode_json_text(value: object) -> object:
        return value if isinstance(value, str) else dumps(conv.unstructure(value))

    def unstructure_factory(cl: type[RequestModel]) -> Callable[[RequestModel], dict[str, object]]:
        overrides: dict[str, Any] = {"extra": override(omit=True)}
        for a in attrs.fields(cl):
            if a.name == "extra":
                continue
            kw: dict[str, Any] = {"rename": wire_name(a), "omit_if_default": True}
            if a.metadata.get("json_in_string"):
                kw["unstruct_hook"] = encode_json_text
            elif a.metadata.get("wire_int"):
                kw["unstruct_hook"] = _wire_int
            elif a.metadata.get("wire_str"):
                kw["unstruct_hook"] = _wire_str
            overrides[a.name] = override(**kw)
        base = make_dict_unstructure_fn(cl, conv, **overrides)

        def unstructure(obj: RequestModel) -> dict[str, object]:
            wire = base(obj)
            if obj.extra:
                wire.update(obj.extra)
            return wire

        return unstructure

    conv.register_unstructure_hook_factory(lambda t: attrs.has(t) and issubclass(t, RequestModel), unstructure_factory)
    return conv


def _wire_int(value: object) -> object:
    if isinstance(value, list):
        return [_wire_int(v) for v in cast("list[object]", value)]
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _wire_str(value: object) -> object:
    if isinstance(value, list):
        return [_wire_str(v) for v in cast("list[object]", value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def to_wire(value: object) -> JSON:
    """Return a model (or a list / mapping of them) as JSON with wire names, unknown fields merged back in."""
    if isinstance(value, (Model, RequestModel)):
        out: dict[str, JSON] = {}
        for a in attrs.fields(type(value)):
            if a.name == "extra":
                continue
            item = getattr(value, a.name)
            if item is not None:
                out[wire_name(a)] = to_wire(item)
        for key, item in value.extra.items():
            out[key] = to_wire(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in cast("Iterable[object]", value)]
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in cast("Mapping[object, object]", value).items()}
    if value is None or isinstance(value, (str, int, bool, Decimal)):
        return value
    return str(value)


def structure_errors(exc: BaseException, path: str) -> list[str]:
    """Return one ``<JSON path>: <problem>`` line per failure in a structuring error, using wire names."""
    out: list[str] = []
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        wire = {a.name: wire_name(a) for a in attrs.fields(exc.cl)} if attrs.has(exc.cl) else {}
        for sub, note in with_notes:
            out.extend(structure_errors(sub, f"{path}.{wire.get(note.name, note.name)}"))
        for sub in without:
            out.extend(structure_errors(sub, path))
    elif isinstance(exc, IterableValidationError):
        with_notes_i, without_i = exc.group_exceptions()
        for sub, inote in with_notes_i:
            out.extend(structure_errors(sub, f"{path}[{inote.index!r}]"))
        for sub in without_i:
            out.extend(structure_errors(sub, path))
    elif isinstance(exc, StructureFailure):
        out.append(f"{path}: {exc}")
    elif isinstance(exc, KeyError):
        out.append(f"{path}: required key {exc.args[0]!r} is missing")
    elif isinstance(exc, cattrs.ForbiddenExtraKeysError):
        out.append(f"{path}: unexpected keys {sorted(exc.extra_fields)}")
    else:
        out.append(f"{path}: {type(exc).__name__}: {exc}")
    return out


#: The converter every client uses.
CONVERTER = make_converter()
