"""The documented examples: the SDK sends the documented request and parses the documented response losslessly.

Also: every operation of the API description exists on both clients with the same signature.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

import pandapon
import pandapon.types
from pandapon import CONVERTER, AsyncPandaPon, Model, PandaPon, RequestModel
from pandapon._generated.operations import OPERATIONS
from tests.helpers import CREDS, Recorder, complete_partial_json, ok

SPEC = json.loads((Path(pandapon.__file__).parent / "spec" / "pandapon.openapi.json").read_text(encoding="utf-8"))


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in ("get", "post"):
                out.append((path, method.upper(), op))
    return out


OPS = _operations()


def _pascal(op_id: str) -> str:
    return "".join(p[:1].upper() + p[1:] for part in op_id.split(".") for p in part.split("_"))


def _types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _nested_class(tp: Any) -> tuple[type | None, bool]:
    """Return (request model class, is_list) found in an annotation like ``list[X] | str | None``."""
    for arg in typing.get_args(tp) or (tp,):
        origin = typing.get_origin(arg)
        if origin is list:
            (inner,) = typing.get_args(arg)
            if isinstance(inner, type) and issubclass(inner, RequestModel):
                return inner, True
        elif isinstance(arg, type) and issubclass(arg, RequestModel):
            return arg, False
    return None, False


def from_wire(cls: type[RequestModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """Build keyword arguments (Python names, typed nested models) from a wire-format example."""
    hints = _types(cls)
    kwargs: dict[str, Any] = {}
    known = {a.metadata.get("wire", a.name) for a in attrs.fields(cls)}
    extra = {k: v for k, v in data.items() if k not in known}
    if extra:
        kwargs["extra"] = extra
    for a in attrs.fields(cls):
        if a.name == "extra":
            continue
        wire = a.metadata.get("wire", a.name)
        if wire not in data:
            continue
        value = data[wire]
        if a.metadata.get("json_in_string") and isinstance(value, str):
            value = json.loads(value)
        nested, many = _nested_class(hints[a.name])
        if nested is not None and value is not None:
            value = [nested(**from_wire(nested, v)) for v in value] if many else nested(**from_wire(nested, value))
        kwargs[a.name] = value
    return kwargs


def _decoded(body: Mapping[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    """Decode JSON-in-string fields so that the comparison is about content, not spacing."""
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    props = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]["properties"]
    return {
        k: json.loads(v) if isinstance(v, str) and props.get(k, {}).get("x-pandapon-json-in-string") else v
        for k, v in body.items()
    }


#: Published request examples that contradict their own page's schema (API notes §15); they must keep failing.
KNOWN_MISMATCHES = {
    "taobao.orders.get_im_link": "the published example is the content of pageParamMap, not the request",
    "logistics.preview_order_freight": "the published example omits fields its schema marks required",
}

REQUEST_EXAMPLES = [
    pytest.param(
        path,
        method,
        op,
        id=op["operationId"],
        marks=[pytest.mark.xfail(reason=KNOWN_MISMATCHES[op["operationId"]], raises=TypeError, strict=True)]
        if op["operationId"] in KNOWN_MISMATCHES
        else [],
    )
    for path, method, op in OPS
    if isinstance(op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example"), dict)
    and op.get("x-pandapon-request-fields-known")
]


def _method(client: Any, op_id: str) -> Any:
    resource, name, _ = OPERATIONS[op_id]
    target = client
    for part in resource.split("."):
        target = getattr(target, part)
    return getattr(target, name)


def test_there_are_request_examples_to_check() -> None:
    assert len(REQUEST_EXAMPLES) >= 20


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "method", "op"), REQUEST_EXAMPLES)
async def test_sdk_sends_the_documented_request_body(path: str, method: str, op: dict[str, Any]) -> None:
    example = op["requestBody"]["content"]["application/json"]["example"]
    request_cls = getattr(pandapon.types, _pascal(op["operationId"]) + "Request")
    kwargs = from_wire(request_cls, example)
    rec = Recorder(ok(None))
    async with AsyncPandaPon(**CREDS, transport=rec.transport()) as client:
        await _method(client, op["operationId"])(**kwargs)
    [request] = rec.requests
    assert request.method == method
    sent = json.loads(request.content)
    assert _decoded(sent, op) == _decoded(example, op)
    # JSON-in-string fields are compact with raw CJK characters, like the platform's examples.
    for key, value in sent.items():
        if (
            isinstance(value, str)
            and value[:1] in "[{"
            and key in _decoded(sent, op)
            and _decoded(sent, op)[key] != value
        ):
            assert ", " not in value and "\\u" not in value


def _response_example(op: dict[str, Any]) -> Any:
    """The full example, or the longest closable prefix of a partial one (most published examples are cut off)."""
    content = op["responses"]["200"]["content"]["application/json"]
    if "example" in content:
        return content["example"]
    partial = content.get("x-pandapon-partial-example") or op["responses"]["200"].get("x-pandapon-partial-example")
    return complete_partial_json(partial) if isinstance(partial, str) else None


def _is_placeholder(example: dict[str, Any]) -> bool:
    """The doc generator's placeholders (all values empty, API notes §6) are shapes, not real answers."""
    return example.get("requestId") == "" and example.get("msg") == ""


RESPONSE_EXAMPLES = [
    pytest.param(path, method, op, id=op["operationId"])
    for path, method, op in OPS
    if isinstance(_response_example(op), dict)
    and "data" in _response_example(op)
    and not _is_placeholder(_response_example(op))
]


def _endpoint(op_id: str) -> pandapon.Endpoint:
    resource, name, _ = OPERATIONS[op_id]
    module = __import__(f"pandapon._generated.resources.{resource.replace('.', '_')}", fromlist=["x"])
    endpoint = getattr(module, "_" + name.upper())
    assert isinstance(endpoint, pandapon.Endpoint)
    return endpoint


def assert_nothing_lost(data: Any, value: Any, path: str = "$") -> None:
    """Every key of ``data`` is a field of the parsed value (recursively) or kept in its ``extra``."""
    if isinstance(value, Model):
        assert isinstance(data, dict), path
        wire = {a.metadata.get("wire", a.name): a.name for a in attrs.fields(type(value)) if a.name != "extra"}
        for key, sub in data.items():
            if key in wire:
                assert_nothing_lost(sub, getattr(value, wire[key]), f"{path}.{key}")
            else:
                assert value.extra[key] == sub, f"{path}.{key} lost"
    elif isinstance(value, list):
        assert len(value) == len(data), path
        for i, (d, v) in enumerate(zip(data, value, strict=True)):
            assert_nothing_lost(d, v, f"{path}[{i}]")
    elif isinstance(data, str) and isinstance(value, (Model, list)):
        assert_nothing_lost(json.loads(data), value, path)
    elif data is None:
        assert value is None, path
    elif isinstance(value, Decimal):
        assert value == Decimal(str(data)), path
    elif isinstance(value, str) and not isinstance(data, str):
        assert value == str(data), path  # ids arrive as JSON integers and are kept as str
    else:
        assert value == data, path


def test_there_are_response_examples_to_check() -> None:
    assert len(RESPONSE_EXAMPLES) >= 11


@pytest.mark.parametrize(("path", "method", "op"), RESPONSE_EXAMPLES)
def test_documented_response_parses_with_nothing_lost(path: str, method: str, op: dict[str, Any]) -> None:
    example = _response_example(op)
    endpoint = _endpoint(op["operationId"])
    body = json.dumps(example, ensure_ascii=False).encode()
    data = json.loads(body, parse_float=Decimal)["data"]
    if endpoint.result is pandapon.JSON or data is None:
        return
    parsed = CONVERTER.structure(data, endpoint.result)
    assert_nothing_lost(data, parsed)


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "method", "op"), RESPONSE_EXAMPLES[:6])
async def test_documented_response_through_the_pipeline(path: str, method: str, op: dict[str, Any]) -> None:
    example = _response_example(op)
    endpoint = _endpoint(op["operationId"])
    rec = Recorder(httpx.Response(200, json=example))
    async with AsyncPandaPon(**CREDS, transport=rec.transport()) as client:
        result = await client._pipeline.call(endpoint, None)
    if endpoint.result is not pandapon.JSON and example["data"] is not None:
        assert_nothing_lost(json.loads(json.dumps(example["data"]), parse_float=Decimal), result)


def test_every_operation_exists_on_both_clients_with_the_same_signature() -> None:
    spec_ops = {op["operationId"] for _, _, op in OPS}
    assert spec_ops == set(OPERATIONS)
    assert len(spec_ops) == 71
    aclient, sclient = AsyncPandaPon(**CREDS), PandaPon(**CREDS)
    for op_id, (_, _, paginated) in OPERATIONS.items():
        names = [OPERATIONS[op_id][1]] + (["iter_" + OPERATIONS[op_id][1]] if paginated else [])
        for name in names:
            a = (
                _method(aclient, op_id)
                if name == OPERATIONS[op_id][1]
                else getattr(_method(aclient, op_id).__self__, name)
            )
            s = (
                _method(sclient, op_id)
                if name == OPERATIONS[op_id][1]
                else getattr(_method(sclient, op_id).__self__, name)
            )
            sa, ss = inspect.signature(a), inspect.signature(s)
            assert list(sa.parameters.values()) == list(ss.parameters.values()), op_id
            assert a.__doc__ == s.__doc__, op_id
            if name.startswith("iter_"):
                continue
            assert inspect.iscoroutinefunction(a), op_id
            ra, rs = sa.return_annotation, ss.return_annotation
            assert ra == rs, op_id
    sclient.close()


def test_inferred_endpoints_say_so_and_cite_their_sibling() -> None:
    client = AsyncPandaPon(**CREDS)
    inferred = [op for _, _, op in OPS if op["x-pandapon-confidence"] == "inferred"]
    assert len(inferred) == 28  # (and 4 inferred callbacks, under webhooks)
    for op in inferred:
        doc = _method(client, op["operationId"]).__doc__
        assert "Inferred:" in doc, op["operationId"]
        assert op["x-pandapon-inferred-from"] in doc, op["operationId"]
