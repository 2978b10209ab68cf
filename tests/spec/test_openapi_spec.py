"""Invariants of the committed OpenAPI description (pandapon/spec/pandapon.openapi.json).

Only the committed document is read, except in the tests marked as comparing with the
catalogue: those read the vendored copy ``tests/evidence/endpoints.json`` (which
``tests/spec/test_response_evidence.py`` checks against ``../shared/pandapon-api/`` when that is present).
"""

from __future__ import annotations

import json
import keyword
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "pandapon" / "spec" / "pandapon.openapi.json"
CATALOGUE_PATH = (
    REPO_ROOT / "tests" / "evidence" / "endpoints.json"
)  # the vendored catalogue (tests/spec/test_response_evidence.py checks it against ../shared)
TOOL_PATH = REPO_ROOT / "tools" / "catalogue_to_openapi.py"
OVERRIDES_PATH = REPO_ROOT / "tools" / "spec_overrides.json"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REF_PREFIX = "#/components/schemas/"
RESOURCES = {
    "taobao.products",
    "taobao.orders",
    "taobao.refunds",
    "taobao.cart",
    "alibaba.products",
    "alibaba.orders",
    "alibaba.refunds",
    "alibaba.cart",
    "alibaba.marketing",
    "addresses",
    "logistics",
}
CONFIDENCES = {"documented", "corroborated", "inferred"}
AUTH_TO_SCHEME = {"headers": "headerSignature", "query-sign": "querySign"}
MONEY_UNITS = {"fen", "yuan", "unknown"}
SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
ID_NAME = re.compile(r"(?:Id|Ids|ID|IDs|id|ids|Uid)$")
PAGINATION_KEYS = [
    "page_param",
    "size_param",
    "first_page",
    "items_path",
    "total_pages_field",
    "current_page_field",
]

# Extension -> predicate on its value, required on every operation.
OPERATION_EXTENSIONS: dict[str, Any] = {
    "x-pandapon-resource": lambda v: v in RESOURCES,
    "x-pandapon-method": lambda v: isinstance(v, str) and bool(SNAKE.match(v)) and not keyword.iskeyword(v),
    "x-pandapon-confidence": lambda v: v in CONFIDENCES,
    "x-pandapon-path-basis": lambda v: v in (None, "derived-from-v2", "third-party-client", "proposed"),
    "x-pandapon-v2-path": lambda v: v is None or (isinstance(v, str) and v.startswith("/v2/")),
    "x-pandapon-sources": lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(s, str) for s in v),
    "x-pandapon-idempotent": lambda v: isinstance(v, bool),
    "x-pandapon-auth": lambda v: v in AUTH_TO_SCHEME,
    "x-pandapon-envelope": lambda v: v in ("standard", "code-msg-only"),
    "x-pandapon-title-zh": lambda v: v is None or isinstance(v, str),
    "x-pandapon-inferred-from": lambda v: v is None or isinstance(v, str),
    "x-pandapon-pagination": lambda v: v is None or isinstance(v, dict),
    "x-pandapon-request-location": lambda v: v in ("body", "query", "path", None),
    "x-pandapon-request-fields-known": lambda v: isinstance(v, bool),
    "x-pandapon-response-fields-known": lambda v: isinstance(v, bool),
    "x-pandapon-in-menu": lambda v: isinstance(v, bool),
    "x-pandapon-param-order": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
}
WEBHOOK_EXTENSIONS: dict[str, Any] = {
    "x-pandapon-confidence": lambda v: v in CONFIDENCES,
    "x-pandapon-message-type": lambda v: v is None or isinstance(v, str),
    "x-pandapon-platform": lambda v: v in (0, 1),
    "x-pandapon-sources": lambda v: isinstance(v, list) and len(v) > 0,
}


# ---------------------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, item in spec["paths"].items():
        for verb in HTTP_METHODS:
            if verb in item:
                out.append((path, verb, item[verb]))
    return out


def webhook_operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(key, item["post"]) for key, item in spec["webhooks"].items()]


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas(spec)[schema["$ref"][len(REF_PREFIX) :]]
    return schema


def iter_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key in ("example", "x-pandapon-other-examples"):
                continue  # published examples are data, not schemas
            else:
                yield from iter_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_refs(value)


def reachable_components(spec: dict[str, Any], roots: list[Any]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        for ref in iter_refs(stack.pop()):
            name = ref[len(REF_PREFIX) :]
            if name not in seen:
                seen.add(name)
                stack.append(schemas(spec)[name])
    return seen


def request_roots(spec: dict[str, Any]) -> list[Any]:
    roots: list[Any] = []
    for _, _, op in operations(spec):
        roots.append(op.get("parameters", []))
        roots.append(op.get("requestBody", {}))
    return roots


def response_roots(spec: dict[str, Any]) -> list[Any]:
    roots: list[Any] = [op["responses"] for _, _, op in operations(spec)]
    roots += [op["requestBody"] for _, op in webhook_operations(spec)]
    return roots


def request_property_lists(spec: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    """Top-level request inputs of an operation: parameters, or the body's properties."""
    if "parameters" in op:
        return op["parameters"]
    body = op.get("requestBody")
    if body is None:
        return []
    schema = resolve(spec, body["content"]["application/json"]["schema"])
    required = set(schema.get("required", []))
    return [{"name": name, "required": name in required, **prop} for name, prop in schema.get("properties", {}).items()]


def is_valid_python_name(name: Any) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def is_nullable(prop: dict[str, Any]) -> bool:
    return {"type": "null"} in prop.get("anyOf", [])


# ---------------------------------------------------------------------------------------
# Document-level


def test_validates_as_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_file_is_canonical_json() -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=1) + "\n"


def test_info_servers_and_security_schemes(spec: dict[str, Any]) -> None:
    assert spec["info"]["title"] == "PandaPon OpenAPI (community description by pandapon)"
    assert spec["info"]["version"] == "1.0.0"
    assert "confidence" in spec["info"]["description"]
    assert [s["url"] for s in spec["servers"]] == ["https://api.pandapon.com"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["headerSignature"]["type"] == "apiKey"
    assert schemes["headerSignature"]["in"] == "header"
    assert schemes["headerSignature"]["name"] == "signature"
    assert "MD5" in schemes["headerSignature"]["description"]
    assert schemes["querySign"]["type"] == "apiKey"
    assert schemes["querySign"]["in"] == "query"
    assert schemes["querySign"]["name"] == "sign"


def test_envelope_components(spec: dict[str, Any]) -> None:
    envelope = schemas(spec)["Envelope"]["properties"]
    assert list(envelope) == ["requestId", "code", "developId", "msg", "data"]
    assert envelope["code"]["type"] == "integer"
    assert is_nullable(envelope["requestId"])
    assert is_nullable(envelope["msg"])
    assert {"type": "integer"} in envelope["developId"]["anyOf"]
    assert {"type": "string"} in envelope["developId"]["anyOf"]
    push = schemas(spec)["PushMessage"]["properties"]
    assert list(push) == ["messageType", "messageBody", "messagePlatform", "timestamp"]
    assert [s["type"] for s in push["messageBody"]["oneOf"]] == ["object", "string"]


def test_counts(spec: dict[str, Any]) -> None:
    assert len(operations(spec)) == 71
    assert len(spec["webhooks"]) == 6
    assert set(spec["paths"]["/open/product/source/get"]) == {"get", "post"}


def test_operation_ids_unique_and_well_formed(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(spec)]
    ids += [op["operationId"] for _, op in webhook_operations(spec)]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates
    for path, verb, op in operations(spec):
        resource, method = op["x-pandapon-resource"], op["x-pandapon-method"]
        assert op["operationId"] == f"{resource}.{method}", (verb, path)
    for _, op in webhook_operations(spec):
        prefix, _, name = op["operationId"].partition(".")
        assert prefix == "webhooks"
        assert SNAKE.match(name)
        assert is_valid_python_name(name)


def test_every_operation_has_the_extensions(spec: dict[str, Any]) -> None:
    endpoint_keys = {f"{verb.upper()} {path}" for path, verb, _ in operations(spec)}
    for path, verb, op in operations(spec):
        where = f"{verb.upper()} {path}"
        for ext, check in OPERATION_EXTENSIONS.items():
            assert ext in op, f"{where}: missing {ext}"
            assert check(op[ext]), f"{where}: bad {ext} = {op[ext]!r}"
        assert op["summary"], where
        assert op["tags"], where
        assert "description" in op, where
        assert op["security"] == [{AUTH_TO_SCHEME[op["x-pandapon-auth"]]: []}], where
        if op["x-pandapon-confidence"] == "inferred":
            assert op["x-pandapon-inferred-from"] in endpoint_keys - {where}, where
        else:
            assert op["x-pandapon-inferred-from"] is None, where
        assert "200" in op["responses"], where


def test_request_shape_matches_flags(spec: dict[str, Any]) -> None:
    for path, verb, op in operations(spec):
        where = f"{verb.upper()} {path}"
        location = op["x-pandapon-request-location"]
        known = op["x-pandapon-request-fields-known"]
        if location == "body":
            assert "parameters" not in op, where
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            if known:
                target = resolve(spec, schema)
                assert target["type"] == "object", where
                assert target["additionalProperties"] is True, where
                assert op["requestBody"]["required"] == bool(target["required"]), where
            else:
                assert schema == {"type": "object", "additionalProperties": True, "x-pandapon-unknown": True}
                assert op["x-pandapon-param-order"] == [], where
        else:
            assert "requestBody" not in op, where
            for param in op.get("parameters", []):
                assert param["in"] == location, where
                if location == "path":
                    assert param["required"] is True, where
                    assert "{" + param["name"] + "}" in path, where
            if not known:
                assert "parameters" not in op, where
                assert op["x-pandapon-param-order"] == [], where


def test_param_order(spec: dict[str, Any]) -> None:
    for path, verb, op in operations(spec):
        where = f"{verb.upper()} {path}"
        inputs = request_property_lists(spec, op)
        names = [p["name"] for p in inputs]
        order = op["x-pandapon-param-order"]
        assert sorted(order) == sorted(names), where
        positional = op.get("x-pandapon-positional", [])
        assert order[: len(positional)] == positional, where
        rest = [p for p in inputs if p["name"] not in positional]
        expected = [p["name"] for p in rest if p["required"]] + [p["name"] for p in rest if not p["required"]]
        assert order[len(positional) :] == expected, where


def test_update_warehouse_signature(spec: dict[str, Any]) -> None:
    op = spec["paths"]["/open/order/updateWarehouse"]["post"]
    assert op["operationId"] == "taobao.orders.update_warehouse"
    assert op["x-pandapon-param-order"] == ["orderId", "warehouseName", "warehouseAddress"]
    body = resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])
    python = {wire: prop["x-pandapon-python-name"] for wire, prop in body["properties"].items()}
    assert python == {"warehouseAddress": "address", "warehouseName": "name", "orderId": "order_id"}
    assert body["properties"]["orderId"]["x-pandapon-id"] is True
    data = op["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]["properties"]["data"]
    assert {"type": "boolean"} in data["anyOf"]


def test_python_names(spec: dict[str, Any]) -> None:
    for name, schema in schemas(spec).items():
        seen: set[str] = set()
        for wire, prop in schema.get("properties", {}).items():
            py = prop.get("x-pandapon-python-name")
            assert is_valid_python_name(py), (name, wire, py)
            assert py not in seen, (name, wire, py)
            seen.add(py)
    for path, verb, op in operations(spec):
        py_names = [p["x-pandapon-python-name"] for p in request_property_lists(spec, op)]
        assert all(is_valid_python_name(py) for py in py_names), (verb, path)
        assert len(set(py_names)) == len(py_names), (verb, path)
    methods: dict[str, set[str]] = {}
    for _, _, op in operations(spec):
        taken = methods.setdefault(op["x-pandapon-resource"], set())
        assert op["x-pandapon-method"] not in taken
        taken.add(op["x-pandapon-method"])


def test_component_refs_resolve(spec: dict[str, Any]) -> None:
    names = set(schemas(spec))
    refs = list(iter_refs({k: v for k, v in spec.items() if k != "components"}))
    refs += list(iter_refs(spec["components"]))
    assert refs
    for ref in refs:
        assert ref.startswith(REF_PREFIX), ref
        assert ref[len(REF_PREFIX) :] in names, ref
    used = reachable_components(spec, request_roots(spec) + response_roots(spec))
    assert names - used == set(), "unreferenced components"


def test_response_properties_are_nullable_and_optional(spec: dict[str, Any]) -> None:
    response_side = reachable_components(spec, response_roots(spec)) - {"Envelope", "EnvelopeCodeMsg", "PushMessage"}
    request_side = reachable_components(spec, request_roots(spec))
    assert response_side
    assert request_side
    assert not response_side & request_side
    for name in response_side:
        schema = schemas(spec)[name]
        assert "required" not in schema, name
        for wire, prop in schema["properties"].items():
            assert is_nullable(prop), (name, wire)
    for name in request_side:
        for wire, prop in schemas(spec)[name]["properties"].items():
            assert not is_nullable(prop), (name, wire)


def test_ids_money_and_json_in_string(spec: dict[str, Any]) -> None:
    props: list[tuple[str, dict[str, Any]]] = []
    for schema in schemas(spec).values():
        props += list(schema.get("properties", {}).items())
    for _, _, op in operations(spec):
        props += [(p["name"], p) for p in op.get("parameters", [])]
    for wire, prop in props:
        if wire in ("id", "ids") or ID_NAME.search(wire):
            assert prop.get("x-pandapon-id") is True, wire
        if "x-pandapon-money-unit" in prop:
            assert prop["x-pandapon-money-unit"] in MONEY_UNITS, wire
        if prop.get("x-pandapon-json-in-string") and "contentSchema" in prop:
            assert prop["type"] == "string", wire
            assert prop["contentMediaType"] == "application/json", wire
    create = resolve(spec, spec["paths"]["/open/order"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert create["properties"]["purchaseAmount"]["x-pandapon-money-unit"] == "fen"
    assert create["properties"]["receiver"]["contentSchema"] == {"$ref": REF_PREFIX + "TaobaoOrdersCreateReceiver"}
    lines = create["properties"]["orderLineList"]["contentSchema"]
    assert lines == {"type": "array", "items": {"$ref": REF_PREFIX + "TaobaoOrdersCreateOrderLine"}}


def test_pagination_objects(spec: dict[str, Any]) -> None:
    paginated = 0
    for path, verb, op in operations(spec):
        pagination = op["x-pandapon-pagination"]
        if pagination is None:
            continue
        paginated += 1
        assert list(pagination) in (PAGINATION_KEYS, [*PAGINATION_KEYS, "basis"]), (verb, path)
        if op["x-pandapon-request-fields-known"]:
            order = op["x-pandapon-param-order"]
            assert pagination["page_param"] in order, (verb, path)
            assert pagination["size_param"] in order, (verb, path)
        else:  # the page fields follow a sibling's, and the spec says which
            assert pagination["basis"].startswith("Inferred: "), (verb, path)
            assert "sibling" in pagination["basis"] or "follow" in pagination["basis"], (verb, path)
        assert isinstance(pagination["first_page"], int)
        assert isinstance(pagination["items_path"], list)
    assert paginated == 14  # issue 15: every operation that pages


def test_webhooks(spec: dict[str, Any]) -> None:
    for key, op in webhook_operations(spec):
        for ext, check in WEBHOOK_EXTENSIONS.items():
            assert ext in op, (key, ext)
            assert check(op[ext]), (key, ext)
        if op["x-pandapon-message-type"] is not None:
            assert op["x-pandapon-message-type"] == key
        assert op["responses"]["200"]["description"]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        refs = list(iter_refs(schema))
        assert REF_PREFIX + "PushMessage" in refs, key
    assert "webhooks.taobao_order_price_modify" in {op["operationId"] for _, op in webhook_operations(spec)}


# ---------------------------------------------------------------------------------------
# Against the catalogue (skipped when the catalogue is not present)


@pytest.fixture(scope="module")
def catalogue() -> list[dict[str, Any]]:
    if not CATALOGUE_PATH.is_file():
        pytest.skip(f"catalogue not present: {CATALOGUE_PATH}")
    return json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))


def test_matches_catalogue(spec: dict[str, Any], catalogue: list[dict[str, Any]]) -> None:
    ops = Counter(f"{verb.upper()} {path}" for path, verb, _ in operations(spec))
    by_key = {f"{verb.upper()} {path}": op for path, verb, op in operations(spec)}
    endpoints = [e for e in catalogue if e["kind"] == "endpoint"]
    callbacks = [e for e in catalogue if e["kind"] == "callback"]
    assert len(endpoints) == len(ops)
    assert len(callbacks) == len(spec["webhooks"])
    for entry in endpoints:
        key = f"{entry['method']} {entry['path']}"
        assert ops[key] == 1, key
        op = by_key[key]
        assert op["summary"] == entry["title"]
        assert op["x-pandapon-title-zh"] == entry["title_zh"]
        assert op["x-pandapon-confidence"] == entry["confidence"]
        assert op["x-pandapon-path-basis"] == entry["path_basis"]
        assert op["x-pandapon-v2-path"] == entry["v2_path"]
        assert op["x-pandapon-sources"] == entry["sources"]
        assert op["x-pandapon-idempotent"] == entry["idempotent"]
        assert op["x-pandapon-auth"] == entry["auth"]
        assert op["x-pandapon-in-menu"] == entry["in_menu"]
        assert op["x-pandapon-envelope"] == entry["response"]["envelope"]
        assert op["x-pandapon-request-location"] == entry["request"]["location"]
        assert op["x-pandapon-request-fields-known"] == (entry["request"]["fields"] is not None)
        # Known from the catalogue, or from the other sources of tools/response_shapes.json (then with its basis).
        shaped_elsewhere = entry["response"]["fields"] is None and op["x-pandapon-response-basis"] is not None
        assert op["x-pandapon-response-fields-known"] == (entry["response"]["fields"] is not None or shaped_elsewhere)
        if entry["response"]["fields"] is not None or entry["response"]["envelope"] == "code-msg-only":
            assert op["x-pandapon-response-evidence"] == "documented", key
        elif not shaped_elsewhere:
            assert op["x-pandapon-response-evidence"] is None, key
        assert op["tags"] == [entry["group"]]
        wire_names = [f["name"] for f in entry["request"]["fields"] or []]
        assert sorted(op["x-pandapon-param-order"]) == sorted(wire_names), key
    for entry in callbacks:
        op = spec["webhooks"][entry["path"]]["post"]
        assert op["summary"] == entry["title"]
        assert op["x-pandapon-confidence"] == entry["confidence"]
        assert op["x-pandapon-message-type"] == entry["message_type"]
        assert op["x-pandapon-platform"] == (0 if entry["group"].startswith("Taobao") else 1)


def test_regeneration_is_byte_identical(catalogue: list[dict[str, Any]], tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    subprocess.run(
        [
            sys.executable,
            str(TOOL_PATH),
            "--catalogue",
            str(CATALOGUE_PATH),
            "--overrides",
            str(OVERRIDES_PATH),
            "--out",
            str(out),
        ],
        check=True,
    )
    assert out.read_bytes() == SPEC_PATH.read_bytes()
