"""The core pipeline through the public escape hatch, ``client.request``, against httpx.MockTransport."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest

import pandapon
from pandapon import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncPandaPon,
    AuthenticationError,
    ClientClosedError,
    HTTPStatusError,
    MalformedResponseError,
    Model,
    OutcomeUnknownError,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
)
from tests.helpers import ACCESS_KEY, ACCESS_SECRET, CREDS, USER_ID, Recorder, envelope, expected_signature, ok

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(base=0.001, cap=0.002, max_retry_after=1.0)


def client(rec: Recorder, **kw: Any) -> AsyncPandaPon:
    kw.setdefault("retry_policy", FAST)
    return AsyncPandaPon(**CREDS, transport=rec.transport(), **kw)


@attrs.frozen(kw_only=True)
class Item(Model):
    item_id: str | None = attrs.field(default=None, metadata={"wire": "itemId"})
    price: int | None = None
    amount: Decimal | None = None


async def test_success_returns_data_and_sends_signed_json() -> None:
    rec = Recorder(ok({"x": 1}))
    async with client(rec) as c:
        data = await c.request("POST", "/open/thing", json={"orderId": "1024285237573584051", "名": "仓"})
    assert data == {"x": 1}
    [req] = rec.requests
    assert req.url == "https://api.pandapon.com/open/thing"
    assert req.headers["content-type"] == "application/json"
    assert rec.bodies() == [{"orderId": "1024285237573584051", "名": "仓"}]
    h = req.headers
    assert h["signature"] == expected_signature(ACCESS_KEY, h["timestamp"], h["nonce-str"], ACCESS_SECRET)
    assert h["user-id"] == USER_ID


async def test_cast_to_model_keeps_unknown_fields_and_ids_as_str() -> None:
    rec = Recorder(ok({"itemId": 672991141190, "price": 689, "amount": 19.5, "brandNew": "kept"}))
    async with client(rec) as c:
        item = await c.request("GET", "/open/product/get", params={"itemId": "672991141190"}, cast_to=Item)
    assert item == Item(item_id="672991141190", price=689, amount=Decimal("19.5"))
    assert item.extra == {"brandNew": "kept"}
    assert rec.requests[0].url.params["itemId"] == "672991141190"


async def test_business_code_raises_api_error_with_attributes() -> None:
    rec = Recorder(ok(None, code=10010, msg="order not found", request_id="r-77"))
    async with client(rec) as c:
        with pytest.raises(APIError) as info:
            await c.request("GET", "/open/order/detail/get")
    err = info.value
    assert (err.code, err.msg, err.request_id, err.status_code) == (10010, "order not found", "r-77", 200)
    assert "10010" in str(err) and "order not found" in str(err) and "r-77" in str(err)
    assert len(rec.requests) == 1


async def test_data_success_false_is_an_api_error() -> None:
    rec = Recorder(ok({"success": False, "errorCode": "ORDER_NOT_EXIST", "errorInfo": "no such order"}))
    async with client(rec) as c:
        with pytest.raises(APIError, match="no such order") as info:
            await c.request("POST", "/alibaba/order/receivegoods", json={})
    assert info.value.code == "ORDER_NOT_EXIST"


@pytest.mark.parametrize("status", [401, 403])
async def test_http_auth_failure(status: int) -> None:
    rec = Recorder(httpx.Response(status, json=envelope(None, code=status, msg="signature error")))
    async with client(rec) as c:
        with pytest.raises(AuthenticationError, match="signature error") as info:
            await c.request("GET", "/x")
    assert info.value.status_code == status
    assert len(rec.requests) == 1


async def test_business_auth_code() -> None:
    rec = Recorder(ok(None, code=401, msg="timestamp expired"))
    async with client(rec) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.request("GET", "/x")
    assert info.value.code == 401


async def test_429_retry_after_is_honoured_then_succeeds() -> None:
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "0.01"}), ok(True))
    async with client(rec) as c:
        assert await c.request("POST", "/open/order", json={}) is True
    assert len(rec.requests) == 2
    # every attempt is signed afresh
    assert rec.requests[0].headers["nonce-str"] != rec.requests[1].headers["nonce-str"]


async def test_retry_after_beyond_cap_raises_rate_limit_error_with_the_wait() -> None:
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "120"}))
    async with client(rec) as c:
        with pytest.raises(RateLimitError) as info:
            await c.request("GET", "/x")
    assert info.value.retry_after == 120
    assert len(rec.requests) == 1


async def test_5xx_on_read_is_retried() -> None:
    rec = Recorder(httpx.Response(502, text="bad gateway"), httpx.Response(503), ok([1, 2]))
    async with client(rec) as c:
        assert await c.request("GET", "/x") == [1, 2]
    assert len(rec.requests) == 3


async def test_5xx_on_read_exhausts_retries() -> None:
    rec = Recorder(httpx.Response(500, text="boom"))
    async with client(rec, max_retries=1) as c:
        with pytest.raises(HTTPStatusError, match="HTTP 500") as info:
            await c.request("GET", "/x")
    assert info.value.body_excerpt == "boom"
    assert len(rec.requests) == 2


async def test_5xx_on_a_write_is_outcome_unknown_and_not_retried() -> None:
    rec = Recorder(httpx.Response(500))
    async with client(rec) as c:
        with pytest.raises(OutcomeUnknownError) as info:
            await c.request("POST", "/open/order", json={"sellerOrderNumber": "S1"})
    assert len(rec.requests) == 1
    assert info.value.body == {"sellerOrderNumber": "S1"}
    assert isinstance(info.value.cause, HTTPStatusError)


async def test_connect_error_is_retried_even_for_writes() -> None:
    rec = Recorder(httpx.ConnectError("refused"), ok("done"))
    async with client(rec) as c:
        assert await c.request("POST", "/open/order", json={}) == "done"
    assert len(rec.requests) == 2


async def test_read_timeout_on_a_write_is_outcome_unknown() -> None:
    rec = Recorder(httpx.ReadTimeout("slow"))
    async with client(rec) as c:
        with pytest.raises(OutcomeUnknownError) as info:
            await c.request("POST", "/open/order/pay", json={"orderId": "1"})
    assert isinstance(info.value.cause, APITimeoutError)
    assert len(rec.requests) == 1


async def test_read_timeout_on_a_read_is_retried_then_raises_timeout() -> None:
    rec = Recorder(httpx.ReadTimeout("slow"))
    async with client(rec, max_retries=2) as c:
        with pytest.raises(APITimeoutError) as info:
            await c.request("GET", "/x")
    assert info.value.request_sent is True
    assert len(rec.requests) == 3


async def test_connection_error_after_retries() -> None:
    rec = Recorder(httpx.ConnectError("refused"))
    async with client(rec, max_retries=1) as c:
        with pytest.raises(APIConnectionError) as info:
            await c.request("GET", "/x")
    assert info.value.request_sent is False
    assert len(rec.requests) == 2


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(200, html="<html><body>502 Bad Gateway</body></html>"), "not JSON"),
        (httpx.Response(200, content=b'{"requestId": "a", "code": 200, "da'), "not JSON"),
        (httpx.Response(200, content=b""), "empty body"),
        (httpx.Response(200, json=[1, 2]), "without a 'code' key"),
        (httpx.Response(200, content=b"\xff\xfe\x00garbage"), "not JSON"),
    ],
)
async def test_malformed_bodies_are_typed(response: httpx.Response, fragment: str) -> None:
    rec = Recorder(response)
    async with client(rec) as c:
        with pytest.raises(MalformedResponseError, match=fragment):
            await c.request("GET", "/x")


async def test_validation_error_names_path_expected_and_got() -> None:
    rec = Recorder(ok({"itemId": [1], "price": "lots"}))
    async with client(rec) as c:
        with pytest.raises(ResponseValidationError) as info:
            await c.request("GET", "/x", cast_to=Item)
    assert info.value.errors == [
        "$.data.itemId: expected a string, got [1] (list)",
        "$.data.price: expected an integer, got 'lots' (str)",
    ]
    assert "$.data.price" in str(info.value)


async def test_deadline_covers_retries() -> None:
    rec = Recorder(httpx.Response(503))
    policy = RetryPolicy(base=0.2, cap=0.2)
    async with AsyncPandaPon(
        **CREDS, transport=rec.transport(), retry_policy=policy, max_retries=10, deadline=0.3
    ) as c:
        with pytest.raises(HTTPStatusError):
            await c.request("GET", "/x")
    assert 1 <= len(rec.requests) <= 3


async def test_raw_access_returns_response_and_request_id() -> None:
    rec = Recorder(httpx.Response(200, json=envelope(True, request_id="cab21c"), headers={"x-extra": "1"}))
    async with client(rec) as c:
        raw = await c.raw.call(c.request, "POST", "/open/order/updateWarehouse", json={})
    assert raw.parsed is True
    assert raw.status_code == 200
    assert raw.request_id == "cab21c"
    assert raw.headers["x-extra"] == "1"


async def test_http_client_injection_uses_its_transport() -> None:
    rec = Recorder(ok(5))
    http = httpx.AsyncClient(transport=rec.transport(), headers={"x-app": "mine"})
    async with AsyncPandaPon(**CREDS, http_client=http) as c:
        assert await c.request("GET", "/x") == 5
    assert rec.requests[0].headers["x-app"] == "mine"
    assert "signature" in rec.requests[0].headers
    assert not http.is_closed  # the caller owns it
    await http.aclose()


async def test_any_httpx_auth_replaces_the_default_signer() -> None:
    rec = Recorder(ok(1))
    async with client(rec, signer=httpx.BasicAuth("u", "p")) as c:
        await c.request("GET", "/x")
    assert rec.requests[0].headers["authorization"].startswith("Basic ")
    assert "signature" not in rec.requests[0].headers


async def test_closed_client_raises() -> None:
    rec = Recorder(ok(1))
    c = client(rec)
    await c.aclose()
    with pytest.raises(ClientClosedError):
        await c.request("GET", "/x")


async def test_with_options_shares_pool_and_overrides_retries() -> None:
    rec = Recorder(httpx.Response(503))
    async with client(rec, max_retries=3) as c:
        with pytest.raises(HTTPStatusError):
            await c.with_options(max_retries=0).request("GET", "/x")
        assert len(rec.requests) == 1


async def test_bad_path_is_rejected_before_sending() -> None:
    rec = Recorder(ok(1))
    async with client(rec) as c:
        with pytest.raises(pandapon.InvalidInputError, match="path must start"):
            await c.request("GET", "open/x")
    assert rec.requests == []


async def test_clock_skew_is_corrected_from_date_and_retried_once() -> None:
    import email.utils
    import time as _time

    server_offset = 3600.0  # the server's clock is an hour ahead

    def handler(request: httpx.Request) -> httpx.Response:
        date = email.utils.formatdate(_time.time() + server_offset, usegmt=True)
        sent = int(request.headers["timestamp"])
        if abs(sent - (_time.time() + server_offset)) > 600:
            return httpx.Response(401, json=envelope(None, code=401, msg="timestamp expired"), headers={"date": date})
        return httpx.Response(200, json=envelope("ok"), headers={"date": date})

    rec = Recorder(handler)
    async with client(rec) as c:
        assert c.clock_offset == 0
        assert await c.request("POST", "/open/order", json={}) == "ok"
        assert abs(c.clock_offset - server_offset) < 3
        assert await c.request("POST", "/open/order", json={}) == "ok"
    assert len(rec.requests) == 3  # one refusal, one corrected retry, then right first time


async def test_auth_failure_without_skew_is_not_retried() -> None:
    import email.utils

    rec = Recorder(
        httpx.Response(401, json=envelope(None, code=401), headers={"date": email.utils.formatdate(usegmt=True)})
    )
    async with client(rec) as c:
        with pytest.raises(AuthenticationError):
            await c.request("GET", "/x")
    assert len(rec.requests) == 1


async def test_retry_after_pauses_the_shared_limiter() -> None:
    bucket = pandapon.TokenBucket(rate=1000, burst=10)
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "0.2"}), ok(1))
    async with client(rec, rate_limiter=bucket) as c:
        import anyio

        t0 = anyio.current_time()
        assert await c.request("GET", "/x") == 1
        await bucket.acquire()
        assert anyio.current_time() - t0 >= 0.19


async def test_unknown_outcome_of_create_is_reconciled_by_seller_order_number() -> None:
    from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver

    created = {"orderId": "1099999999999999999", "sellerOrderNumber": "SHOP-1", "status": "WAIT_BUYER_P"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/open/order":
            raise httpx.ReadTimeout("the platform created it, but the answer was lost")
        assert request.url.params["sellerOrderNumber"] == "SHOP-1"
        return ok({"pageNo": 1, "pageSize": 20, "data": [created]})

    rec = Recorder(handler)
    line = TaobaoOrdersCreateOrderLine(item_id="1", sku_id="2", quantity="1", price="5")
    async with client(rec) as c:
        result = await c.taobao.orders.create(
            [line], 5, TaobaoOrdersCreateReceiver(name="n"), seller_order_number="SHOP-1"
        )
    assert result == created
    assert [r.url.path for r in rec.requests] == ["/open/order", "/open/order/page"]


async def test_unknown_outcome_without_a_match_still_raises_with_a_note() -> None:
    from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/open/order":
            return httpx.Response(502)
        return ok({"pageNo": 1, "pageSize": 20, "data": []})

    rec = Recorder(handler)
    line = TaobaoOrdersCreateOrderLine(item_id="1", sku_id="2", quantity="1", price="5")
    async with client(rec) as c:
        with pytest.raises(OutcomeUnknownError) as info:
            await c.taobao.orders.create([line], 5, TaobaoOrdersCreateReceiver(name="n"), seller_order_number="S-2")
        assert "not found" in (info.value.reconciliation or "")
        assert "not found" in str(info.value)
        # without the natural key there is nothing to look up
        with pytest.raises(OutcomeUnknownError):
            await c.taobao.orders.create([line], 5, TaobaoOrdersCreateReceiver(name="n"))
    assert [r.url.path for r in rec.requests] == ["/open/order", "/open/order/page", "/open/order"]
