"""Issue 15 acceptance (b): every request field a source marks required is a required parameter of the generated
method, or a required field (no default) of the nested request model it belongs to.

Built from the catalogue (``tests/evidence/endpoints.json``, a copy of ``../shared/pandapon-api/endpoints.json``),
not from the spec, so that the two are checked against each other. Python names come from the generated request
models' wire names (the SDK's own naming), never from the catalogue's required flags.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import pandapon._generated.models as generated_models
from pandapon import AsyncPandaPon

EVIDENCE = Path(__file__).resolve().parents[1] / "evidence" / "endpoints.json"
SPEC = Path(__file__).resolve().parents[2] / "pandapon" / "spec" / "pandapon.openapi.json"


def _required(fields: list[dict[str, Any]] | None, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for field in fields or ():
        path = (*prefix, field["name"])
        if field.get("required") is True:
            yield path
        yield from _required(field.get("fields"), path)


def _cases() -> Iterator[Any]:
    catalogue = json.loads(EVIDENCE.read_text(encoding="utf-8"))
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    operations = {(m.upper(), p): op["operationId"] for p, item in spec["paths"].items() for m, op in item.items()}
    for entry in catalogue:
        operation_id = operations.get((entry["method"], entry["path"]))
        if operation_id is None:  # a webhook: pushed to the receiver, not sent by the SDK
            continue
        for path in _required((entry.get("request") or {}).get("fields")):
            yield pytest.param(operation_id, path, id=f"{operation_id}:{'.'.join(path)}")


CASES = list(_cases())


def _request_model(operation_id: str) -> type:
    """The generated request model of an operation (``<Operation>Request``; its ``_operation`` names it)."""
    for module in pkgutil.iter_modules(generated_models.__path__):
        namespace = vars(importlib.import_module(f"{generated_models.__name__}.{module.name}"))
        for name, value in namespace.items():
            if name.endswith("Request") and attrs.has(value) and getattr(value, "_operation", None) == operation_id:
                return value
    raise AssertionError(f"{operation_id}: no generated request model, so no field of it can be required")


def _models(annotation: Any) -> list[type]:
    """The attrs models an annotation accepts (through unions and lists)."""
    if isinstance(annotation, type) and attrs.has(annotation):
        return [annotation]
    return [model for argument in typing.get_args(annotation) for model in _models(argument)]


def _field(model: type, wire: str) -> attrs.Attribute[Any]:
    found = [f for f in attrs.fields(model) if f.metadata.get("wire", f.name) == wire]
    assert found, f"{model.__name__} declares no field {wire!r}"
    return found[0]


def test_the_catalogue_marks_fields_required() -> None:
    assert len(CASES) >= 60  # 67 today: the test is not vacuous


@pytest.mark.parametrize(("operation_id", "path"), CASES)
def test_every_required_field_is_required(operation_id: str, path: tuple[str, ...]) -> None:
    target: Any = AsyncPandaPon("k" * 32, "s" * 32, "2100000000000")
    for part in operation_id.split("."):
        target = getattr(target, part)
    parameters = inspect.signature(target).parameters
    model = _request_model(operation_id)
    field = _field(model, path[0])
    # The generated method passes each parameter to the request model field of the same name.
    assert field.name in parameters, f"{operation_id}: no parameter {field.name} for {path[0]!r}"
    if len(path) == 1:
        assert parameters[field.name].default is inspect.Parameter.empty, f"{operation_id}: {field.name} is optional"
        assert field.default is attrs.NOTHING, f"{model.__name__}.{field.name} has a default"
    else:  # required inside its parent object (the parent itself may be optional)
        nested = _models(typing.get_type_hints(model)[field.name])
        assert nested, f"{operation_id}: {field.name} takes no model, so {'.'.join(path)} cannot be enforced"
        for inner in nested:
            member = _field(inner, path[1])
            assert member.default is attrs.NOTHING, f"{inner.__name__}.{member.name} ({path[1]}) has a default"
