"""What every handler of the fake shares: typed parameter access, business errors, JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeGuard, overload

__all__ = [
    "BusinessError",
    "Params",
    "bad",
    "dumps",
    "is_array",
    "is_object",
    "kind",
    "not_found",
    "show",
]


class BusinessError(Exception):
    """A refusal the platform answers as HTTP 200 with a non-success ``code`` (400 bad parameter, 404 unknown id)."""

    def __init__(self, code: int, msg: str, *, status: int = 200, missing: str | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status  # the HTTP status: 200 for a business refusal, 4xx for one refused before the handler
        self.missing = missing  # the field (path) whose absence this refuses, if that is what it refuses


def bad(message: str) -> BusinessError:
    """Return a code-400 error: a parameter is missing or does not fit."""
    return BusinessError(400, message)


def not_found(what: str, value: object) -> BusinessError:
    """Return a code-404 error: an id that the fake does not know."""
    return BusinessError(404, f"{what} {value!r} not found")


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: object) -> bytes:
    """Encode compact UTF-8 JSON with raw CJK characters, as the platform's examples show."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")


def is_array(value: object) -> TypeGuard[list[object]]:
    """Tell whether a JSON value is an array (its elements are not checked, hence ``list[object]``)."""
    return isinstance(value, list)


def is_object(value: object) -> TypeGuard[dict[str, object]]:
    """Tell whether a JSON value is an object (decoded JSON objects always have string keys)."""
    return isinstance(value, dict)


def kind(value: object) -> str:
    """Name the JSON type of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def show(value: object) -> str:
    """Show a value in an error message, shortened to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Params:
    """Typed access to one request's parameters; every failure is a code-400 answer naming the parameter.

    Scalars are read leniently (query strings carry digits as text, ids arrive as numbers or strings); JSON-text
    fields and containers are read strictly.
    """

    def __init__(self, values: Mapping[str, object], prefix: str = "") -> None:
        self._values = values
        self._prefix = prefix

    def name(self, key: str) -> str:
        """Return the parameter's name as messages show it (with its path inside nested objects)."""
        return f"{self._prefix}{key}"

    def fail(self, key: str, expected: str, got: object) -> BusinessError:
        """Return the error for a parameter that does not fit."""
        return bad(f"param '{self.name(key)}': expected {expected}, got {show(got)} ({kind(got)})")

    def missing(self, key: str, expected: str) -> BusinessError:
        """Return the error for a required parameter that is absent."""
        name = self.name(key)
        return BusinessError(400, f"param '{name}' is required: expected {expected}", missing=name)

    def has(self, key: str) -> bool:
        """Tell whether the parameter is present, not null and not an empty string."""
        value = self._values.get(key)
        return value is not None and value != ""

    def raw(self, key: str) -> object:
        """Return the parameter as sent (``None`` when absent)."""
        return self._values.get(key)

    def nested(self, key: str, value: Mapping[str, object]) -> Params:
        """Return a reader for an object inside this one (messages then name ``key.member``)."""
        return Params(value, prefix=f"{self.name(key)}.")

    # ------------------------------------------------------------------ strings

    def text(self, key: str, *, choices: tuple[str, ...] = ()) -> str:
        """Return a required string (numbers are accepted and turned into their decimal text)."""
        value = self.text_or_none(key, choices=choices)
        if value is None:
            raise self.missing(key, "a non-empty string" + (f" in {list(choices)}" if choices else ""))
        return value

    def text_or_none(self, key: str, *, choices: tuple[str, ...] = ()) -> str | None:
        """Return an optional string, ``None`` when absent or empty."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(key, "a string", value)
        text = str(value).strip()
        if choices and text not in choices:
            raise self.fail(key, f"one of {list(choices)}", value)
        return text

    # ------------------------------------------------------------------ numbers

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """Return a required integer within bounds (digit strings are accepted)."""
        value = self.integer_or_none(key, minimum=minimum, maximum=maximum)
        if value is None:
            raise self.missing(key, "an integer" + _bounds(minimum, maximum))
        return value

    def integer_or(self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """Return an optional integer within bounds, ``default`` when absent."""
        value = self.integer_or_none(key, minimum=minimum, maximum=maximum)
        return default if value is None else value

    def integer_or_none(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
        """Return an optional integer within bounds, ``None`` when absent."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        if number is None:
            raise self.fail(key, "an integer" + _bounds(minimum, maximum), value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise self.fail(key, "an integer" + _bounds(minimum, maximum), value)
        return number

    def decimal_or_none(self, key: str, *, minimum: Decimal | None = None) -> Decimal | None:
        """Return an optional decimal number (a decimal string or a JSON number)."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(key, 'a decimal number such as "12.50"', value)
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(key, 'a decimal number such as "12.50"', value) from None
        if not number.is_finite() or (minimum is not None and number < minimum):
            raise self.fail(key, f"a decimal number >= {minimum}", value)
        return number

    def boolean_or_none(self, key: str) -> bool | None:
        """Return an optional boolean (``"true"`` / ``"false"`` accepted from query strings)."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.fail(key, "a boolean", value)

    # ------------------------------------------------------------------ containers

    def obj(self, key: str) -> dict[str, object]:
        """Return a required JSON object."""
        value = self.obj_or_none(key)
        if value is None:
            raise self.missing(key, "an object")
        return value

    def obj_or_none(self, key: str) -> dict[str, object] | None:
        """Return an optional JSON object."""
        value = self._values.get(key)
        if value is None:
            return None
        if not is_object(value):
            raise self.fail(key, "an object", value)
        return value

    def array(self, key: str, *, non_empty: bool = False) -> list[object]:
        """Return a required JSON array (``non_empty``: at least one element)."""
        value = self.array_or_none(key)
        if value is None:
            raise self.missing(key, "an array")
        if non_empty and not value:
            raise bad(f"param '{self.name(key)}' must not be empty")
        return value

    def array_or_none(self, key: str) -> list[object] | None:
        """Return an optional JSON array."""
        value = self._values.get(key)
        if value is None:
            return None
        if not is_array(value):
            raise self.fail(key, "an array", value)
        return value

    def objects(self, key: str, *, non_empty: bool = False) -> Iterator[Params]:
        """Yield a reader for each object of a required array of objects."""
        for index, element in enumerate(self.array(key, non_empty=non_empty)):
            if not is_object(element):
                raise self.fail(f"{key}[{index}]", "an object", element)
            yield Params(element, prefix=f"{self.name(key)}[{index}].")

    def ids(self, key: str, *, non_empty: bool = False) -> list[str]:
        """Return a required array of ids (numbers or strings), as strings."""
        values = self.array(key, non_empty=non_empty)
        out: list[str] = []
        for index, element in enumerate(values):
            if isinstance(element, bool) or not isinstance(element, (int, str)) or str(element).strip() == "":
                raise self.fail(f"{key}[{index}]", "an id (a string or an integer)", element)
            out.append(str(element).strip())
        return out

    @overload
    def json_text(self, key: str, expected: Literal["array"]) -> list[object]: ...
    @overload
    def json_text(self, key: str, expected: Literal["object"]) -> dict[str, object]: ...
    def json_text(self, key: str, expected: Literal["array", "object"]) -> list[object] | dict[str, object]:
        """Decode a required JSON-text field (a string that holds JSON); code 400 when it is not valid JSON."""
        value = self.json_text_or_none(key, expected)
        if value is None:
            raise self.missing(key, f"JSON text of an {expected}")
        return value

    @overload
    def json_text_or_none(self, key: str, expected: Literal["array"]) -> list[object] | None: ...
    @overload
    def json_text_or_none(self, key: str, expected: Literal["object"]) -> dict[str, object] | None: ...
    def json_text_or_none(
        self, key: str, expected: Literal["array", "object"]
    ) -> list[object] | dict[str, object] | None:
        """Decode an optional JSON-text field."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"JSON text of an {expected} (a string holding JSON)", value)
        try:
            decoded: object = json.loads(value)
        except ValueError as exc:
            raise bad(
                f"param '{self.name(key)}': expected JSON text of an {expected}, got invalid JSON ({exc})"
            ) from None
        if expected == "array":
            if is_array(decoded):
                return decoded
        elif is_object(decoded):
            return decoded
        raise bad(f"param '{self.name(key)}': expected JSON text of an {expected}, got JSON {kind(decoded)}")


def _bounds(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" between {minimum} and {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""
