"""The fake's contract: every request checked against its operation's request schema in the shipped OpenAPI
description before a handler runs (issue 18 items 2-6), by one validator driven by the spec."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from pandapon.testing import FakePandaPon
from pandapon.testing._base import BusinessError
from pandapon.testing._contract import Contract, Operation, load_contract

from .test_fake_http import Api, Clock

pytestmark = pytest.mark.anyio

SPEC: dict[str, Any] = json.loads(
    (__import__("pathlib").Path(__file__).parents[2] / "pandapon" / "spec" / "pandapon.openapi.json").read_text("utf-8")
)
INT64_MAX = 2**63 - 1


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with Api(FakePandaPon(seed=7, clock=Clock())) as client:
        yield client


def _operations() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    request = operation.get("requestBody")
    if request is None:
        return None
    schema: dict[str, Any] = request["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return None if schema.get("x-pandapon-unknown") else schema


def _typed_fields() -> list[Any]:
    """Every top-level body field of every operation, with its declared type (from the spec, not the fake)."""
    out = []
    for key, operation in _operations():
        schema = _body_schema(operation)
        for name, field in (schema or {}).get("properties", {}).items():
            if isinstance(field.get("type"), str):
                out.append(pytest.param(key, name, field["type"], id=f"{key}:{name}"))
    return out


# ---------------------------------------------------------------- the platform's answer, over the ASGI interface


async def test_null_is_refused_for_a_non_nullable_field(api: Api) -> None:
    status, code, msg = await api.refused("POST", "/open/product/item/search", body={"keyword": "T恤", "sort": None})
    assert (status, code) == (200, 400)
    assert msg == "param 'sort': expected a string, got None (null)"
    _, code, msg = await api.refused(
        "POST", "/alibaba/product/keywords/query", body={"keyword": "鞋", "pageSize": None}
    )
    assert code == 400 and msg.startswith("param 'pageSize': expected an integer") and "(null)" in msg


async def test_a_number_is_not_a_string(api: Api) -> None:
    response = await api.send("POST", "/open/address/addOrUpdate", body={"name": "张三", "phone": 0})
    assert response.json() == {"code": 400, "msg": "param 'phone': expected a string, got 0 (an integer)"}


async def test_fields_no_handler_reads_are_checked_too(api: Api) -> None:
    _, code, msg = await api.refused("POST", "/alibaba/product/keywords/query", body={"keyword": "鞋", "country": {}})
    assert (code, msg) == (400, "param 'country': expected a string, got {} (an object)")
    _, code, msg = await api.refused("POST", "/alibaba/product/keywords/query", body={"outMemberId": {}})
    assert code == 400 and msg.startswith("param 'outMemberId': expected a string")
    body = {"orderId": "21", "logisticInfos": [{"lineItem": {"itemId": "1", "quantity": "AAA"}}]}
    _, code, msg = await api.refused("POST", "/open/pp/logistics/updateLogisticInfo", body=body)
    assert code == 400
    assert "'logisticInfos[0].lineItem.quantity': expected an integer, got 'AAA' (a string)" in msg


async def test_integers_beyond_int64_are_refused(api: Api) -> None:
    body = {"pageSize": 10, "refundEndTime": INT64_MAX + 1}
    _, code, msg = await api.refused("POST", "/open/order/refund/queryList", body=body)
    assert code == 400
    assert msg.startswith("param 'refundEndTime': expected an integer between -9223372036854775808 and")
    assert str(INT64_MAX + 1) in msg
    data = await api.ok("POST", "/open/order/refund/queryList", body={"pageSize": 10, "refundEndTime": INT64_MAX})
    assert data is not None


async def test_required_fields_are_required_inside_array_elements(api: Api) -> None:
    item = {"itemId": "1", "skuId": "2", "quantity": 1, "freightInfo": {"serviceId": "1"}, "currency": "CNY"}
    body = {"receiverAddress": {"country": "US"}, "renderItems": [item]}
    _, code, msg = await api.refused("POST", "/open/pp/logistics/orderRenderFreight", body=body)
    assert (code, msg) == (400, "param 'renderItems[0].price' is required: expected a string")


async def test_a_required_top_level_field_is_named(api: Api) -> None:
    _, code, msg = await api.refused("POST", "/open/order/refund/queryList", body={"pageNo": 1})
    assert (code, msg) == (400, "param 'pageSize' is required: expected an integer")


async def test_json_in_string_fields_are_checked_after_decoding(api: Api) -> None:
    line = {"itemId": "1", "skuId": "2", "quantity": 3, "price": "1.00"}  # quantity: a string in the schema
    body = {"orderLineList": json.dumps([line]), "purchaseAmount": 100, "receiver": json.dumps({"name": "张三"})}
    _, code, msg = await api.refused("POST", "/open/order", body=body)
    assert (code, msg) == (400, "param 'orderLineList[0].quantity': expected a string, got 3 (an integer)")


async def test_query_parameters_are_read_as_the_text_of_their_type(api: Api) -> None:
    _, code, msg = await api.refused("GET", "/open/order/refund/query", params={})
    assert (code, msg) == (400, "param 'refundId' is required: expected a string")


async def test_the_image_base64_rule_keeps_its_own_refusal() -> None:
    """``imageBase64`` is required by the spec and stands for a strict rule: switched off, imageAddress will do."""
    async with Api(FakePandaPon(seed=7, strict=False)) as api:
        data = await api.ok("POST", "/alibaba/product/image/query", body={"imageAddress": "https://img.example/a.jpg"})
        assert data is not None
    async with Api(FakePandaPon(seed=7)) as api:
        _, code, msg = await api.refused("POST", "/alibaba/product/image/query", body={"imageAddress": "https://x/a"})
        assert code == 400 and "strict rule 'image_base64'" in msg


# ---------------------------------------------------------------- driven by the spec


def test_every_route_of_the_fake_has_its_contract_and_the_reverse() -> None:
    fake = FakePandaPon()
    assert set(fake.routes) == load_contract().keys
    assert len(load_contract().keys) == 71


@pytest.mark.parametrize(("key", "name", "type_"), _typed_fields())
def test_every_declared_field_refuses_the_wrong_type_and_null(key: str, name: str, type_: str) -> None:
    operation = load_contract().operation(key)
    assert operation is not None
    everything = {field for field, _ in operation.body_required}
    wrong: object = {"string": 0, "integer": "x", "number": "x", "boolean": "x", "array": {}, "object": []}[type_]
    for value in (wrong, None):
        with pytest.raises(BusinessError, match=rf"^param '{name}': expected .*got .*\((null|an?\b.*)\)$") as caught:
            operation.check({}, {}, {name: value}, relaxed=everything)
        assert caught.value.code == 400


def _request_examples() -> Iterator[Any]:
    known_mismatches = {"taobao.orders.get_im_link", "logistics.preview_order_freight"}  # tests/endpoints
    for key, operation in _operations():
        media = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
        if "example" in media and operation["operationId"] not in known_mismatches:
            yield pytest.param(key, media["example"], id=operation["operationId"])


@pytest.mark.parametrize(("key", "example"), list(_request_examples()))
def test_every_published_request_example_passes(key: str, example: dict[str, Any]) -> None:
    operation = load_contract().operation(key)
    assert operation is not None
    operation.check({}, {}, example, relaxed=())


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _sample(schema: dict[str, Any]) -> Any:
    """The smallest request the spec allows: only required fields, each its example or a value of its type."""
    schema = _resolve(schema)
    if "example" in schema:
        return schema["example"]
    if schema.get("contentMediaType") == "application/json":
        return json.dumps(_sample(schema["contentSchema"]), ensure_ascii=False)
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        return {name: _sample(properties[name]) for name in schema.get("required", []) if name in properties}
    if schema.get("type") == "array":
        return [_sample(schema["items"])] if "items" in schema else []
    return {"integer": 1, "number": 1, "boolean": True}.get(schema.get("type", ""), "1")


def _smallest_requests() -> Iterator[Any]:
    for key, operation in _operations():
        method, path = key.split(" ", 1)
        query: dict[str, str] = {}
        for parameter in operation.get("parameters", []):
            value = str(parameter.get("example", "1"))
            if parameter["in"] == "path":
                path = path.replace("{" + parameter["name"] + "}", value)
            elif parameter["required"]:
                query[parameter["name"]] = value
        schema = _body_schema(operation)
        body = _sample(schema) if schema is not None and method != "GET" else None
        properties = (schema or {}).get("properties", {})
        optional = [
            name
            for name, field in properties.items()
            if name not in schema.get("required", []) and _resolve(field).get("type") == "string"
        ]
        yield pytest.param(method, path, query, body, optional, id=operation["operationId"])


@pytest.mark.parametrize(("method", "path", "query", "body", "optional"), list(_smallest_requests()))
async def test_the_fake_is_no_stricter_than_the_docs(
    method: str, path: str, query: dict[str, str], body: Any, optional: list[str]
) -> None:
    """Item 7: a request with only the fields the spec requires is never refused as incomplete (code 400 "is
    required") by default; the fake's own rule ``needed_inputs`` refuses it, naming the input. The same holds
    with any optional string field sent empty."""
    async with Api(FakePandaPon(seed=7)) as api, Api(FakePandaPon(seed=7, strict={"needed_inputs"})) as strict:
        bodies = [body] + [{**body, name: ""} for name in optional] if isinstance(body, dict) else [body]
        for sent in bodies:
            envelope = (await api.send(method, path, body=sent, params=query or None)).json()
            assert not (envelope["code"] == 400 and "is required" in envelope["msg"]), (sent, envelope)
            if envelope["code"] == 404 and envelope["msg"].startswith("nothing to act on"):
                again = (await strict.send(method, path, body=sent, params=query or None)).json()
                assert again["code"] == 400 and "is required" in again["msg"], again


async def test_an_input_the_docs_leave_optional_is_not_a_bad_request() -> None:
    async with Api(FakePandaPon(seed=7)) as api:
        _, code, msg = await api.refused("POST", "/open/order/pay", body={})
        assert (code, msg) == (
            404,
            "nothing to act on: 'orderId' not given (the docs leave it optional; "
            "FakePandaPon(strict={'needed_inputs'}) refuses it as a bad request)",
        )
    async with Api(FakePandaPon(seed=7, strict={"needed_inputs"})) as api:
        _, code, msg = await api.refused("POST", "/open/order/pay", body={})
        assert (code, msg) == (400, "param 'orderId' is required: expected a non-empty string")


# ---------------------------------------------------------------- the validator itself, on a small description

SMALL = {
    "paths": {
        "/t/{id}": {
            "post": {
                "operationId": "t.post",
                "parameters": [
                    {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}},
                    {"in": "query", "name": "n", "schema": {"type": "integer", "format": "int32"}},
                    {"in": "query", "name": "flag", "schema": {"type": "boolean"}},
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
            }
        }
    },
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["kind"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"type": "string", "enum": ["leaf", "tree"]},
                    "child": {"$ref": "#/components/schemas/Node"},
                    "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            }
        }
    },
}


def _small() -> Operation:
    operation = Contract(SMALL).operation("POST /t/{id}")
    assert operation is not None
    return operation


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        ({"n": "2147483648"}, {"kind": "leaf"}, "param 'n': expected an integer between -2147483648 and 2147483647"),
        ({"n": "ten"}, {"kind": "leaf"}, "param 'n': expected an integer, got 'ten' (a string)"),
        ({"flag": "yes"}, {"kind": "leaf"}, "param 'flag': expected a boolean, got 'yes' (a string)"),
        ({}, {}, "param 'kind' is required: expected a string in ['leaf', 'tree']"),
        ({}, {"kind": "bush"}, "param 'kind': expected a string in ['leaf', 'tree'], got 'bush' (a string)"),
        ({}, {"kind": "tree", "child": {"kind": "x"}}, "param 'child.kind': expected a string in"),
        ({}, {"kind": "tree", "child": {}}, "param 'child.kind' is required"),
        ({}, {"kind": "leaf", "size": "1"}, "param 'size': expected an integer or null, got '1' (a string)"),
        ({}, {"kind": "leaf", "tags": ["a", 1]}, "param 'tags[1]': expected a string, got 1 (an integer)"),
        ({}, {"kind": "leaf", "colour": "red"}, "param 'colour' is not a field of the request"),
    ],
)
def test_small_description_refusals(query: dict[str, str], body: dict[str, Any], message: str) -> None:
    with pytest.raises(BusinessError) as caught:
        _small().check(query, {"id": "7"}, body)
    assert caught.value.msg.startswith(message), caught.value.msg


def test_small_description_accepts_what_it_declares() -> None:
    body = {"kind": "tree", "size": None, "tags": [], "child": {"kind": "leaf", "size": 3.0}}
    _small().check({"n": "-5", "flag": "true"}, {"id": "7"}, body)
    with pytest.raises(BusinessError, match="param 'id' is required"):
        _small().check({}, {}, {"kind": "leaf"})
