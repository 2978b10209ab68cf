"""The first endpoint end to end: update_warehouse(order_id, name, address) -> bool, async and sync."""

from __future__ import annotations

import inspect
import json

import httpx
import pytest

from pandapon import AsyncPandaPon, InvalidInputError, PandaPon
from tests.helpers import ACCESS_KEY, ACCESS_SECRET, CREDS, Recorder, expected_signature, ok

ORDER = "1024285237573584051"
DOC_BODY = {"warehouseAddress": "广西省", "warehouseName": "一号仓库", "orderId": ORDER}


@pytest.mark.anyio
async def test_async_positional_and_keyword() -> None:
    rec = Recorder(ok(True))
    async with AsyncPandaPon(**CREDS, transport=rec.transport()) as client:
        assert await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
        assert await client.taobao.orders.update_warehouse(order_id=ORDER, name="一号仓库", address="广西省") is True
    for request in rec.requests:
        assert request.method == "POST"
        assert request.url == "https://api.pandapon.com/open/order/updateWarehouse"
        assert json.loads(request.content) == DOC_BODY
        h = request.headers
        assert h["signature"] == expected_signature(ACCESS_KEY, h["timestamp"], h["nonce-str"], ACCESS_SECRET)


def test_sync_positional_and_keyword() -> None:
    rec = Recorder(ok(True))
    with PandaPon(**CREDS, transport=rec.transport()) as client:
        assert client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
        assert client.taobao.orders.update_warehouse(order_id=ORDER, name="一号仓库", address="广西省") is True
    assert [json.loads(r.content) for r in rec.requests] == [DOC_BODY, DOC_BODY]


def test_signature_shape_is_exact() -> None:
    for cls in (AsyncPandaPon, PandaPon):
        client = cls(**CREDS)
        params = inspect.signature(client.taobao.orders.update_warehouse).parameters
        assert list(params) == ["order_id", "name", "address", "options"]
        assert params["options"].kind is inspect.Parameter.VAR_KEYWORD  # the per-call options, keyword-only
        assert str(params["options"].annotation) == "Unpack[CallOptions]"


@pytest.mark.anyio
async def test_wrong_type_fails_before_sending() -> None:
    rec = Recorder(ok(True))
    async with AsyncPandaPon(**CREDS, transport=rec.transport()) as client:
        with pytest.raises(InvalidInputError) as info:
            await client.taobao.orders.update_warehouse(ORDER, 42, "广西省")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="address"):
            await client.taobao.orders.update_warehouse(ORDER, "一号仓库")  # type: ignore[call-arg]
    assert rec.requests == []
    message = str(info.value)
    assert "taobao.orders.update_warehouse" in message
    assert "'name'" in message and "a str" in message and "42 (int)" in message
    assert info.value.parameter == "name"


@pytest.mark.anyio
async def test_path_override_without_a_release() -> None:
    rec = Recorder(ok(True))
    overrides = {"taobao.orders.update_warehouse": "/v2/taobao/order/updateWarehouse"}
    async with AsyncPandaPon(**CREDS, transport=rec.transport(), path_overrides=overrides) as client:
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
    assert rec.requests[0].url.path == "/v2/taobao/order/updateWarehouse"


@pytest.mark.anyio
async def test_raw_response_of_a_generated_endpoint() -> None:
    rec = Recorder(httpx.Response(200, json={"requestId": "cab21c", "code": 200, "msg": "成功", "data": True}))
    async with AsyncPandaPon(**CREDS, transport=rec.transport()) as client:
        raw = await client.raw.call(client.taobao.orders.update_warehouse, ORDER, "一号仓库", "广西省")
    assert (raw.parsed, raw.status_code, raw.request_id) == (True, 200, "cab21c")


def test_sync_raw_response_of_a_generated_endpoint() -> None:
    rec = Recorder(httpx.Response(200, json={"requestId": "r9", "code": 200, "msg": "成功", "data": True}))
    with PandaPon(**CREDS, transport=rec.transport()) as client:
        raw = client.raw.call(client.taobao.orders.update_warehouse, ORDER, "一号仓库", "广西省")
    assert (raw.parsed, raw.request_id) == (True, "r9")
