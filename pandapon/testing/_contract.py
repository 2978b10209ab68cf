"""The contract: every request is checked against its operation's request schema in the shipped OpenAPI description
(``pandapon/spec/pandapon.openapi.json``) before any handler runs.

One validator, driven by the spec: types (a number is not a string, ``null`` only where the schema allows it),
integer ranges (int64 unless the schema says int32), required fields (top level and inside nested objects and array
elements), ``enum``, and JSON-in-string fields (``contentMediaType: application/json``), which are decoded and checked
against their ``contentSchema``. Query and path parameters arrive as text and are checked as the text of their type.
An operation whose request fields are unknown (``x-pandapon-unknown``) accepts any object; unknown keys are accepted
wherever the schema allows ``additionalProperties``, as the platform's Spring servers ignore them.

A refusal is the envelope with business code 400 and a message naming the field, what was expected and what was got,
like the handlers' own refusals (``param 'phone': expected a string, got 0 (an integer)``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Collection, Mapping
from importlib import resources

import attrs

from ._base import BusinessError, bad, is_array, is_object, kind, show

__all__ = ["Contract", "Operation", "load_contract"]

Check = Callable[[object, str], None]
"""Checks a value found at a field path (``"lineItem[0].quantity"``); raises ``BusinessError`` when it does not fit."""

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer"}


@functools.cache
def load_contract() -> Contract:
    """The contract of the OpenAPI description shipped in the package (read and compiled once per process)."""
    text = resources.files("pandapon").joinpath("spec").joinpath("pandapon.openapi.json").read_text(encoding="utf-8")
    return Contract(json.loads(text))


def _fail(where: str, expected: str, got: object) -> BusinessError:
    return bad(f"param '{where}': expected {expected}, got {show(got)} ({kind(got)})")


def _json_type(value: object) -> str:
    """The JSON Schema type of a decoded JSON value (an integral float is an integer, as JSON Schema says)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if is_array(value) else "object"


class _Compiler:
    """Turns schemas into checks, resolving ``#/components/schemas/...`` references (recursion-safe)."""

    def __init__(self, schemas: Mapping[str, object]) -> None:
        self._schemas = schemas
        self._refs: dict[str, Check] = {}

    def resolve(self, schema: object) -> object:
        """The schema a ``$ref`` names (the schema itself when it is not a reference)."""
        if is_object(schema) and isinstance(schema.get("$ref"), str):
            return self._schemas.get(str(schema["$ref"]).rsplit("/", 1)[-1])
        return schema

    def compile(self, schema: object) -> tuple[Check, str]:
        """Return the check of a schema and what it expects, in words."""
        if not is_object(schema) or (schema.get("x-pandapon-unknown") and "type" not in schema):
            return (lambda value, where: None), "anything"
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._reference(ref)
        for combinator in ("anyOf", "oneOf"):
            options = schema.get(combinator)
            if is_array(options):
                return self._any([self.compile(option) for option in options])
        parts = schema.get("allOf")
        if is_array(parts):
            compiled = [self.compile(part) for part in parts]
            return self._all([check for check, _ in compiled]), " and ".join(words for _, words in compiled)
        return self._typed(schema)

    def _reference(self, ref: str) -> tuple[Check, str]:
        name = ref.rsplit("/", 1)[-1]
        if name not in self._refs:
            self._refs[name] = lambda value, where: None  # a placeholder while a recursive schema compiles
            self._refs[name] = self.compile(self._schemas.get(name))[0]
        target = self._schemas.get(name)
        words = _words(target) if is_object(target) else "anything"
        return (lambda value, where: self._refs[name](value, where)), words

    @staticmethod
    def _any(options: list[tuple[Check, str]]) -> tuple[Check, str]:
        words = " or ".join(dict.fromkeys(w for _, w in options))

        def check(value: object, where: str) -> None:
            for option, _ in options:
                try:
                    option(value, where)
                except BusinessError:
                    continue
                return
            raise _fail(where, words, value)

        return check, words

    @staticmethod
    def _all(checks: list[Check]) -> Check:
        def check(value: object, where: str) -> None:
            for part in checks:
                part(value, where)

        return check

    def _typed(self, schema: Mapping[str, object]) -> tuple[Check, str]:
        declared = schema.get("type")
        types = tuple(declared) if is_array(declared) else (declared,) if isinstance(declared, str) else ()
        words = _words(schema)
        inner: list[Check] = []
        if "object" in types:
            inner.append(self._object(schema))
        if "array" in types:
            items = self.compile(schema["items"])[0] if "items" in schema else None
            inner.append(_array(items))
        if "integer" in types:
            fmt = schema.get("format")
            low, high = _INT_RANGES.get(fmt if isinstance(fmt, str) else "", _INT_RANGES["int64"])
            inner.append(_range(low, high, words))
        if schema.get("contentMediaType") == "application/json" and "contentSchema" in schema:
            inner.append(self._json_text(schema["contentSchema"]))
        choices = schema.get("enum")

        def check(value: object, where: str) -> None:
            got = _json_type(value)
            if types and got not in types and not (got == "integer" and "number" in types):
                raise _fail(where, words, value)
            if is_array(choices) and value not in choices:
                raise _fail(where, words, value)
            if value is not None:
                for part in inner:
                    part(value, where)

        return check, words

    def _object(self, schema: Mapping[str, object]) -> Check:
        properties = schema.get("properties")
        fields = {name: self.compile(sub) for name, sub in (properties.items() if is_object(properties) else ()) if sub}
        required = schema.get("required")
        needed = [str(name) for name in required] if is_array(required) else []
        extra = schema.get("additionalProperties", True)
        closed = extra is False

        def check(value: object, where: str) -> None:
            if not is_object(value):
                return  # the type check said what was wrong
            prefix = f"{where}." if where else ""
            for name in needed:
                if name not in value:
                    words = fields[name][1] if name in fields else "a value"
                    raise bad(f"param '{prefix}{name}' is required: expected {words}")
            for name, member in value.items():
                field = fields.get(name)
                if field is not None:
                    field[0](member, prefix + name)
                elif closed:
                    raise bad(f"param '{prefix}{name}' is not a field of {where or 'the request'}")

        return check

    def _json_text(self, content: object) -> Check:
        inner, words = self.compile(content)
        target = self.resolve(content)
        declared = target.get("type") if is_object(target) else None
        types = (declared,) if isinstance(declared, str) else ()

        def check(value: object, where: str) -> None:
            if not isinstance(value, str) or value == "":  # "": not set, as the handlers read it
                return
            try:
                decoded: object = json.loads(value)
            except ValueError as exc:
                raise bad(f"param '{where}': expected JSON text of {words}, got invalid JSON ({exc})") from None
            if types and _json_type(decoded) not in types:
                raise bad(f"param '{where}': expected JSON text of {words}, got JSON {kind(decoded)}")
            inner(decoded, where)

        return check


def _array(items: Check | None) -> Check:
    def check(value: object, where: str) -> None:
        if items is not None and is_array(value):
            for index, element in enumerate(value):
                items(element, f"{where}[{index}]")

    return check


def _range(low: int, high: int, words: str) -> Check:
    def check(value: object, where: str) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
            raise _fail(where, f"{words} between {low} and {high}", value)

    return check


def _words(schema: Mapping[str, object]) -> str:
    """What a schema expects, in words: ``"a string"``, ``"JSON text of an array"``, ``"an integer or null"``."""
    if "$ref" in schema:
        return "an object"
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else [str(t) for t in declared] if is_array(declared) else []
    if not types:
        return "a value"
    text = " or ".join(_ARTICLE.get(t, "null" if t == "null" else f"a {t}") for t in types)
    if schema.get("contentMediaType") == "application/json":
        content = schema.get("contentSchema")
        text = f"JSON text of {_words(content) if is_object(content) else 'a value'} (a string holding JSON)"
    choices = schema.get("enum")
    if is_array(choices):
        text += f" in {choices}"
    return text


@attrs.frozen
class Parameter:
    """A query or path parameter: its name, whether it must be sent, and the check of its value."""

    name: str
    required: bool
    check: Check
    words: str
    type: str


@attrs.frozen
class Operation:
    """The compiled request contract of one operation."""

    operation_id: str
    parameters: tuple[Parameter, ...]
    body: Check | None
    #: The body's required fields, with what each expects (checked apart so that a strict rule can relax one).
    body_required: tuple[tuple[str, str], ...]
    #: Every field path the description requires (where its parent is sent), array indices as ``[]``.
    required_paths: frozenset[str] = frozenset()

    def requires(self, field: str) -> bool:
        """Tell whether the description requires the field at ``field`` (``"renderItems[0].price"``)."""
        return re.sub(r"\[\d+\]", "[]", field) in self.required_paths

    def check(
        self, query: Mapping[str, str], path: Mapping[str, str], body: object, relaxed: Collection[str] = ()
    ) -> None:
        """Raise ``BusinessError`` (code 400) for the first part of the request that breaks the contract.

        ``relaxed``: required body fields not enforced (a strict rule switched off).
        """
        for parameter in self.parameters:
            sent = path.get(parameter.name, query.get(parameter.name))
            if sent is None:
                if parameter.required:
                    raise bad(f"param '{parameter.name}' is required: expected {parameter.words}")
                continue
            parameter.check(_from_text(sent, parameter.type), parameter.name)
        if self.body is None or body is None:
            return
        for name, words in self.body_required:
            if name not in relaxed and is_object(body) and name not in body:
                raise bad(f"param '{name}' is required: expected {words}")
        self.body(body, "")


def _from_text(text: str, type_: str) -> object:
    """A query or path value as the JSON value its schema type reads it as (``"12"`` → 12 for an integer)."""
    stripped = text.strip()
    if type_ == "integer" and stripped.lstrip("-").isdigit():
        return int(stripped)
    if type_ == "number":
        try:
            return float(stripped)
        except ValueError:
            return text
    if type_ == "boolean" and stripped in ("true", "false"):
        return stripped == "true"
    return text


class Contract:
    """The request contract of every operation of an OpenAPI description, by ``"METHOD /path/{template}"``."""

    def __init__(self, spec: Mapping[str, object]) -> None:
        components = spec.get("components")
        schemas = components.get("schemas") if is_object(components) else None
        compiler = _Compiler(schemas if is_object(schemas) else {})
        self._operations: dict[str, Operation] = {}
        paths = spec.get("paths")
        for path, item in paths.items() if is_object(paths) else ():
            for method, operation in item.items() if is_object(item) else ():
                if is_object(operation) and "operationId" in operation:
                    self._operations[f"{method.upper()} {path}"] = _operation(compiler, operation)

    def operation(self, key: str) -> Operation | None:
        """The contract of ``"METHOD /path/{template}"``; ``None`` for a route the description does not hold."""
        return self._operations.get(key)

    @property
    def keys(self) -> frozenset[str]:
        """Every operation of the description, as ``"METHOD /path/{template}"``."""
        return frozenset(self._operations)


def _operation(compiler: _Compiler, operation: Mapping[str, object]) -> Operation:
    parameters: list[Parameter] = []
    declared = operation.get("parameters")
    for entry in declared if is_array(declared) else ():
        if is_object(entry) and entry.get("in") in ("query", "path"):
            schema = entry.get("schema")
            check, words = compiler.compile(schema)
            type_ = schema.get("type") if is_object(schema) else None
            required = bool(entry.get("required"))
            parameters.append(Parameter(str(entry["name"]), required, check, words, str(type_)))
    body: Check | None = None
    needed: tuple[tuple[str, str], ...] = ()
    paths: set[str] = set()
    request = operation.get("requestBody")
    if is_object(request):
        content = request.get("content")
        media = content.get("application/json") if is_object(content) else None
        schema = compiler.resolve(media.get("schema")) if is_object(media) else None
        if is_object(schema):
            names = schema.get("required")
            properties = schema.get("properties")
            props = properties if is_object(properties) else {}
            needed = tuple(
                (str(name), compiler.compile(props.get(str(name)))[1] if str(name) in props else "a value")
                for name in (names if is_array(names) else ())
            )
            body = compiler.compile({**schema, "required": []})[0]
            paths.update(_required_paths(compiler, schema, "", set()))
    paths.update(parameter.name for parameter in parameters if parameter.required)
    return Operation(str(operation["operationId"]), tuple(parameters), body, needed, frozenset(paths))


def _required_paths(compiler: _Compiler, schema: object, prefix: str, seen: set[str]) -> set[str]:
    """The field paths a schema requires, nested objects, array elements and JSON-in-string fields included."""
    if is_object(schema) and isinstance(schema.get("$ref"), str):
        if schema["$ref"] in seen:
            return set()
        seen = seen | {str(schema["$ref"])}
    schema = compiler.resolve(schema)
    if not is_object(schema):
        return set()
    found: set[str] = set()
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        for option in options if is_array(options) else ():
            found |= _required_paths(compiler, option, prefix, seen)
    if "contentSchema" in schema:
        found |= _required_paths(compiler, schema["contentSchema"], prefix, seen)
    if "items" in schema:
        found |= _required_paths(compiler, schema["items"], f"{prefix}[]", seen)
    required = schema.get("required")
    dot = f"{prefix}." if prefix else ""
    found.update(f"{dot}{name}" for name in (required if is_array(required) else ()))
    properties = schema.get("properties")
    for name, member in properties.items() if is_object(properties) else ():
        found |= _required_paths(compiler, member, f"{dot}{name}", seen)
    return found
