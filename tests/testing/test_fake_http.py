"""FakePandaPon over plain HTTP: auth, rate limit, stateful flows, faults, pushes (asyncio and trio)."""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any

import anyio
import httpx
import pytest

from pandapon import HeaderSigner, QuerySigner
from pandapon.testing import INVENTED_RESPONSES, MESSAGE_TYPES, STRICT_RULES, FakeCredentials, FakePandaPon, Fault
from tests.helpers import expected_signature

pytestmark = pytest.mark.anyio

BASE = "https://api.pandapon.com"
HOOK = "https://hooks.example.com/pandapon"
T0 = 1_715_669_977.0  # 2024-05-14 06:59:37 UTC, the docs' sample timestamp

RECEIVER = {
    "zip": "11111",
    "country": "中国",
    "state": "浙江省",
    "city": "杭州市",
    "district": "余杭区",
    "address": "测试地址",
    "phone": "",
    "mobile_phone": "15068763421",
    "name": "a测试aa",
}
ALI_ADDRESS = {
    "fullName": "zhang",
    "mobile": "18600888861",
    "phone": "18600888861",
    "postCode": "100000",
    "cityText": "杭州市",
    "provinceText": "浙江省",
    "areaText": "西湖区",
    "townText": "转塘",
    "address": "xxxxxxx",
}
RECEIVER_ADDRESS = {
    "country": "US",
    "state": "California",
    "city": "VALLEY VLG",
    "zip": "91607",
    "address": "5818 WHITSETT AVE 401",
    "name": "Ofir Birinbaum",
}


def compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Clock:
    """A settable clock shared by the fake and the signers."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Api:
    """A plain httpx client on the fake, signed by the SDK's signers, with envelope helpers."""

    def __init__(
        self,
        fake: FakePandaPon,
        *,
        clock: Callable[[], float] | None = None,
        base_url: str | None = None,
        **signer: Any,
    ) -> None:
        c = fake.credentials
        self.fake = fake
        self.signer = HeaderSigner(c.access_key, c.access_secret, c.user_id, clock=clock or fake.clock, **signer)
        self.query_signer = QuerySigner(c.access_key, c.access_secret, c.user_id, clock=clock or fake.clock)
        if base_url is None:  # in-process
            self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE)
        else:  # over a real socket
            self.http = httpx.AsyncClient(base_url=base_url)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def send(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        auth = self.query_signer if path.startswith("/open/pp/logistics/") else self.signer
        return await self.http.request(method, path, json=body, params=params, auth=auth)

    async def ok(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """Send and return ``data`` of a successful envelope."""
        response = await self.send(method, path, body=body, params=params)
        assert response.status_code == 200, response.text
        envelope = response.json()
        assert envelope["code"] == 200, envelope
        assert envelope["msg"] == "成功"
        return envelope["data"]

    async def refused(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, int, str]:
        """Send and return (HTTP status, code, msg) of a refusal."""
        response = await self.send(method, path, body=body, params=params)
        envelope = response.json()
        assert envelope["data"] is None
        return response.status_code, envelope["code"], envelope["msg"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> FakePandaPon:
    return FakePandaPon(seed=7, clock=clock, strict=True)  # every rule, the fake's own included


@pytest.fixture
async def api(fake: FakePandaPon) -> AsyncIterator[Api]:
    async with Api(fake) as client:
        yield client


async def first_product(api: Api, keyword: str = "") -> dict[str, Any]:
    found = await api.ok("POST", "/open/product/item/search", body={"keyword": keyword, "pageNo": 1, "pageSize": 5})
    return await api.ok("GET", "/open/product/get", params={"itemId": str(found["data"][0]["itemId"])})  # type: ignore[no-any-return]


def order_body(product: dict[str, Any], quantity: int = 2, number: str | None = "SO-1") -> dict[str, Any]:
    sku = product["skuList"][0]
    lines = [
        {
            "itemId": product["mpId"],
            "orderLineNo": "1",
            "quantity": str(quantity),
            "price": str(sku["price"]),
            "currency": "CNY",
            "skuId": sku["mpSkuId"],
        }
    ]
    body: dict[str, Any] = {
        "orderLineList": compact(lines),
        "receiver": compact(RECEIVER),
        "purchaseAmount": quantity * sku["price"],
        "orderSource": "lazada",
    }
    if number is not None:
        body["sellerOrderNumber"] = number
    return body


# --------------------------------------------------------------------------- construction and envelope


async def test_credentials_are_seeded_and_kept_out_of_repr() -> None:
    one, same, other = FakePandaPon(seed=1), FakePandaPon(seed=1), FakePandaPon(seed=2)
    assert one.credentials == same.credentials != other.credentials
    creds = one.credentials
    assert re.fullmatch(r"[0-9a-f]{32}", creds.access_key)
    assert re.fullmatch(r"2100\d{9}", creds.user_id)
    assert creds.access_secret not in repr(creds) and creds.access_secret not in repr(one.credentials)
    given = FakePandaPon(access_key="k" * 32, access_secret="s3cret", user_id="2100007341207").credentials
    assert given == FakeCredentials("k" * 32, "s3cret", "2100007341207")
    assert [p.item_id for p in one.state.products] == [p.item_id for p in same.state.products]


async def test_signed_call_succeeds_with_envelope_and_date(api: Api, clock: Clock) -> None:
    response = await api.send("GET", "/open/product/get", params={"itemId": api.fake.state.products[0].item_id})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    envelope = response.json()
    assert list(envelope) == ["requestId", "code", "developId", "msg", "data"]
    assert re.fullmatch(r"[0-9a-f]{32}", envelope["requestId"])
    assert isinstance(envelope["developId"], str) and re.fullmatch(r"\d{19}", envelope["developId"])
    assert (envelope["code"], envelope["msg"]) == (200, "成功")
    assert email.utils.parsedate_to_datetime(response.headers["date"]).timestamp() == int(clock.now)
    data = envelope["data"]
    assert isinstance(data["itemId"], int) and re.fullmatch(r"\d{16,18}", data["mpId"])
    assert api.fake.request_log[-1].status == 200 and api.fake.request_log[-1].code == 200


async def test_unknown_path_is_http_404_and_unknown_id_is_business_404(api: Api) -> None:
    assert await api.refused("GET", "/open/nothing/here") == (404, 404, "no such path: /open/nothing/here")
    status, code, _ = await api.refused("POST", "/open/product/get")
    assert (status, code) == (405, 405)
    status, code, msg = await api.refused("GET", "/open/product/get", params={"itemId": "600000000000"})
    assert (status, code) == (200, 404) and "600000000000" in msg
    status, code, msg = await api.refused("GET", "/open/product/get")
    assert (status, code) == (200, 400) and "itemId" in msg


# --------------------------------------------------------------------------- auth


async def test_wrong_secret_is_refused(fake: FakePandaPon) -> None:
    c = fake.credentials
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        signer = HeaderSigner(c.access_key, "not-the-secret", c.user_id, clock=fake.clock)
        response = await http.post("/open/address/get", json={}, auth=signer)
    assert response.status_code == 401
    assert response.json()["code"] == 401 and response.json()["msg"] == "signature mismatch"


async def test_unknown_key_and_wrong_user_id_are_refused(fake: FakePandaPon) -> None:
    c = fake.credentials
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        other_key = await http.post(
            "/open/address/get", json={}, auth=HeaderSigner("0" * 32, c.access_secret, c.user_id, clock=fake.clock)
        )
        other_user = await http.post(
            "/open/address/get",
            json={},
            auth=HeaderSigner(c.access_key, c.access_secret, "2100000000000", clock=fake.clock),
        )
    assert other_key.status_code == 401 and other_key.json()["msg"] == "unknown access-key"
    assert other_user.status_code == 401 and other_user.json()["code"] == 401
    assert "user-id" in other_user.json()["msg"]


@pytest.mark.parametrize("header", ["access-key", "timestamp", "nonce-str", "user-id", "signature"])
async def test_missing_header_is_refused(fake: FakePandaPon, header: str) -> None:
    c = fake.credentials
    headers = {"access-key": c.access_key, "timestamp": str(int(T0)), "nonce-str": "n" * 32, "user-id": c.user_id}
    headers["signature"] = expected_signature(c.access_key, headers["timestamp"], headers["nonce-str"], c.access_secret)
    del headers[header]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        response = await http.post("/open/address/get", json={}, headers=headers)
    assert response.status_code == 401 and response.json()["msg"] == f"missing header '{header}'"


async def test_signature_is_compared_case_insensitively_when_signature_case_is_off(clock: Clock) -> None:
    fake = FakePandaPon(seed=7, clock=clock, strict=set(STRICT_RULES) - {"signature_case"})
    c = fake.credentials
    headers = {
        "access-key": c.access_key,
        "timestamp": str(int(T0)),
        "nonce-str": "abc123" * 5 + "xy",
        "user-id": c.user_id,
    }
    headers["signature"] = expected_signature(
        c.access_key, headers["timestamp"], headers["nonce-str"], c.access_secret
    ).lower()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        response = await http.post("/open/address/get", json={}, headers=headers)
    assert response.status_code == 200 and response.json()["code"] == 200


@pytest.mark.parametrize(("skew", "accepted"), [(-601, False), (601, False), (-599, True), (599, True)])
async def test_timestamp_tolerance_both_directions(
    fake: FakePandaPon, clock: Clock, skew: float, accepted: bool
) -> None:
    async with Api(fake, clock=lambda: clock.now + skew) as api:
        response = await api.send("POST", "/open/address/get", body={})
    if accepted:
        assert response.status_code == 200
    else:
        assert response.status_code == 401
        assert response.json()["code"] == 401 and response.json()["msg"].startswith("timestamp expired")


async def test_timestamp_units(clock: Clock) -> None:
    auto = FakePandaPon(clock=clock)
    async with Api(auto, timestamp_unit="ms") as ms, Api(auto, timestamp_unit="s") as s:
        assert await ms.ok("POST", "/open/address/get", body={})
        assert await s.ok("POST", "/open/address/get", body={})
    seconds_only = FakePandaPon(clock=clock, timestamp_unit="s")
    async with Api(seconds_only, timestamp_unit="ms") as ms:
        status, code, msg = await ms.refused("POST", "/open/address/get", body={})
    assert (status, code) == (401, 401) and msg.startswith("timestamp expired")


async def test_reused_nonce_is_refused_until_it_expires(fake: FakePandaPon, clock: Clock) -> None:
    async with Api(fake, nonce=lambda: "N" * 32) as api:
        assert await api.ok("POST", "/open/address/get", body={})
        clock.now += 1
        assert await api.refused("POST", "/open/address/get", body={}) == (401, 401, "nonce reused")
        clock.now += 2 * fake.timestamp_tolerance + 1
        assert await api.ok("POST", "/open/address/get", body={})


async def test_query_signed_logistics_call(fake: FakePandaPon) -> None:
    product = fake.state.products[0]
    body = {
        "itemId": product.mp_id,
        "skuId": product.skus[0].mp_sku_id,
        "quantity": 2,
        "receiverAddress": RECEIVER_ADDRESS,
        "currency": "CNY",
        "price": "12.50",
    }
    async with Api(fake) as api:
        response = await api.send("POST", "/open/pp/logistics/itemLogisticsPrice", body=body)
        assert response.status_code == 200
        query = response.request.url.params
        c = fake.credentials
        assert query["sign"] == expected_signature(
            c.access_key, query["timestamp"], response.request.headers["nonce-str"], c.access_secret
        )
        services = response.json()["data"]
        assert [s["serviceId"] for s in services] == ["1", "2", "3"]
        # The header scheme is not enough for this family, and a wrong sign is refused.
        header_signed = await api.http.post("/open/pp/logistics/itemLogisticsPrice", json=body, auth=api.signer)
        assert header_signed.status_code == 401 and header_signed.json()["msg"] == "missing query parameter 'timestamp'"
        bad = QuerySigner(c.access_key, "wrong", c.user_id, clock=fake.clock)
        wrong = await api.http.post("/open/pp/logistics/itemLogisticsPrice", json=body, auth=bad)
        assert wrong.status_code == 401 and wrong.json()["msg"] == "sign mismatch"


# --------------------------------------------------------------------------- rate limit


async def test_rate_limit_answers_429_with_retry_after(clock: Clock) -> None:
    fake = FakePandaPon(clock=clock, rate_limit=2, burst=2)
    async with Api(fake) as api:
        assert await api.ok("POST", "/open/address/get", body={}) is not None
        assert await api.ok("POST", "/open/address/get", body={}) is not None
        response = await api.send("POST", "/open/address/get", body={})
        assert response.status_code == 429
        assert response.json()["code"] == 429
        retry_after = response.headers["retry-after"]
        assert retry_after.isdigit() and int(retry_after) >= 1
        clock.now += int(retry_after)
        assert await api.ok("POST", "/open/address/get", body={}) is not None
    assert [e.status for e in fake.request_log] == [200, 200, 429, 200]


# --------------------------------------------------------------------------- Taobao flow


async def test_taobao_purchase_flow_on_state(clock: Clock) -> None:
    fake = FakePandaPon(seed=11, clock=clock, step_interval=None, dedupe_seller_order_number=True)
    async with Api(fake) as api:
        found = await api.ok("POST", "/open/product/item/search", body={"keyword": "T恤", "pageNo": 1, "pageSize": 5})
        assert found["total"] == 1
        item_id = str(found["data"][0]["itemId"])
        check = await api.ok(
            "POST",
            "/open/product/batch/check",
            body={"params": compact([{"itemId": item_id, "skuIds": []}, {"itemId": "600000000001", "skuIds": []}])},
        )
        assert check["mpProducts"][0]["itemId"] == item_id and check["noMpProductItemIds"] == ["600000000001"]
        product = await api.ok("GET", "/open/product/get", params={"itemId": item_id})
        sku = product["skuList"][0]
        stock = sku["quantity"]

        # Cart: add, edit, list, preview.
        added = await api.ok(
            "POST",
            "/open/cart/add",
            body={
                "userId": fake.credentials.user_id,
                "platform": 1,
                "itemId": int(product["mpId"]),
                "skuId": sku["skuId"],
                "itemTitle": product["title"],
                "mpId": product["mpId"],
                "mpSkuId": sku["mpSkuId"],
                "price": sku["price"],
                "promotionPrice": int(sku["promotionPrice"]),
                "properties": compact(sku["properties"]),
                "quantity": 1,
                "shopId": product["shopId"],
                "shopName": product["shopName"],
                "skuQuantity": str(stock),
            },
        )
        cart_id = added["id"]
        assert await api.ok("POST", "/open/cart/edit-quantity", body={"id": cart_id, "quantity": 3}) is True
        cart = await api.ok("GET", "/open/cart/list")
        assert cart["enableList"][0]["cartItemInfos"][0]["quantity"] == 3
        preview = await api.ok("POST", "/open/cart/preview/order", body={"ids": [cart_id], "orderAddress": RECEIVER})
        assert preview["purchaseAmount"] == 3 * sku["price"]

        # With dedupe_seller_order_number, a create repeated with the same sellerOrderNumber answers the same order.
        body = order_body(product, quantity=3, number="SO-1001")
        created = await api.ok("POST", "/open/order", body=body)
        again = await api.ok("POST", "/open/order", body=body)
        order_id = created["orderId"]
        assert re.fullmatch(r"\d{19}", order_id) and again["orderId"] == order_id
        assert fake.create_calls == 2 and list(fake.orders) == [order_id]
        assert fake.state.by_mp_id[product["mpId"]].skus[0].stock == stock - 3
        assert await api.ok("POST", "/open/cart/delete", body={"ids": [cart_id]}) is True
        assert (await api.ok("GET", "/open/cart/list"))["enableList"] == []

        listing = await api.ok("GET", "/open/order/page", params={"pageNo": 1, "pageSize": 10})
        assert listing["total"] == 1 and listing["data"][0]["orderId"] == order_id
        assert (
            await api.ok(
                "POST",
                "/open/order/updateWarehouse",
                body={"warehouseAddress": "广西省", "warehouseName": "一号仓库", "orderId": order_id},
            )
            is True
        )
        detail = await api.ok("GET", "/open/order/detail/get", params={"orderId": order_id})
        assert (detail["status"], detail["warehouseName"], detail["sellerOrderNumber"]) == (
            "WAIT_BUYER_P",
            "一号仓库",
            "SO-1001",
        )
        sub_id = detail["orderLines"][0]["subPurchaseOrderId"]
        assert re.fullmatch(r"2000\d{8}", sub_id)

        # Pay, then the seller ships and the parcel moves.
        paid = await api.ok("POST", "/open/order/pay", body={"orderId": order_id})
        assert paid["status"] == "WAIT_SELLER_SEND_GOODS"
        status, code, msg = await api.refused("POST", "/open/order/pay", body={"orderId": order_id})
        assert (status, code) == (200, 400) and "WAIT_SELLER_SEND_GOODS" in msg
        before = await api.ok("GET", "/open/order/logistics/detail/get", params={"subPurchaseOrderId": sub_id})
        assert before["pnmLogisticsDetails"] == []
        assert fake.advance(order_id) == "WAIT_BUYER_CONFIRM_GOODS"
        clock.now += 600
        assert fake.advance(order_id) == "WAIT_BUYER_CONFIRM_GOODS"
        logistics = await api.ok("GET", "/open/order/logistics/detail/get", params={"subPurchaseOrderId": sub_id})
        assert re.fullmatch(r"\d{19}", logistics["purchaseOrderOuterId"])
        package = logistics["pnmLogisticsDetails"][0]
        traces = package["logisticsTraces"]
        assert [t["action"] for t in traces] == ["TMS_STATION_IN", "ACCEPT"]  # newest first
        assert {"statusDesc", "standerdDesc", "time", "status", "nextCity", "facilityName"} <= set(traces[0])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", traces[0]["time"])

        # After-sales: render, submit, message, modify, list, return shipment, refund.
        render = await api.ok(
            "POST", "/open/order/refund/render", body={"subOrderId": sub_id, "refundType": 2, "goodsStatus": 1}
        )
        assert render["saleFlag"] is True
        reason = render["refundOrderTemplate"]["refundReasons"][1]["reasonId"]
        line_amount = 3 * sku["price"]
        submitted = await api.ok(
            "POST",
            "/open/order/refund/submit",
            body={
                "subOrderId": sub_id,
                "refundType": 2,
                "goodsStatus": 1,
                "reasonId": reason,
                "refundFee": line_amount,
                "refundDesc": "破损",
            },
        )
        refund_id = submitted["refundId"]
        assert re.fullmatch(r"1100\d{8}", refund_id)
        status, code, msg = await api.refused(
            "POST", "/open/order/refund/submit", body={"subOrderId": sub_id, "refundType": 2, "goodsStatus": 1}
        )
        assert code == 400 and "open refund" in msg
        message = await api.ok(
            "POST",
            "/open/order/refund/submit/message",
            body={"refundId": refund_id, "refundMessage": "请尽快处理", "refundImages": "https://img.example/1.jpg"},
        )
        assert message["refundId"] == refund_id
        messages = await api.ok("POST", "/open/order/refund/message/queryList", body={"refundId": refund_id})
        assert [m["content"] for m in messages["data"]][-1] == "请尽快处理"
        modified = await api.ok(
            "POST", "/open/order/refund/modify", body={"refundId": refund_id, "refundFee": line_amount - 1}
        )
        assert modified["refundFee"] == line_amount - 1
        query = await api.ok("GET", "/open/order/refund/query", params={"refundId": refund_id})
        assert query["refundOrderAggregate"]["refundOrder"]["refundStatus"] == 10
        assert query["refundOrderAggregate"]["purchaseOrderLine"]["salesOrderId"] == "SO-1001"
        page = await api.ok(
            "POST", "/open/order/refund/queryList", body={"salesOrderId": "SO-1001", "pageNo": 1, "pageSize": 10}
        )
        assert page["total"] == 1
        assert fake.advance_refund(refund_id) == 20
        return_info = await api.ok("GET", "/open/order/refund/render/logistics", params={"refundId": refund_id})
        assert return_info["canSubmit"] is True
        carrier = return_info["logisticsCompanies"][0]["logisticCompanyCode"]
        assert (
            await api.ok(
                "POST",
                "/open/order/refund/submit/logistics",
                body={"refundId": refund_id, "logisticsCompanyCode": carrier, "logisticsNo": "SF12181323546"},
            )
            is True
        )
        cancelled = await api.ok("GET", f"/open/order/refund/cancel/{refund_id}")
        assert cancelled["cancelSuccess"] is False  # already shipped back: too late to cancel
        assert cancelled["refundOrderAggregate"]["logistics"]["logisticsNo"] == "SF12181323546"
        assert fake.advance_refund(refund_id) == 100

    types = [m.message_type for m in fake.messages]
    assert types.count(MESSAGE_TYPES["taobao", "status"]) == 3  # created, paid, shipped
    assert types.count(MESSAGE_TYPES["taobao", "refund"]) == 5  # submitted, modified, agreed, returned, refunded


async def test_purchase_amount_must_match_the_lines(api: Api) -> None:
    product = await first_product(api)
    body = order_body(product, quantity=2)
    body["purchaseAmount"] += 1
    status, code, msg = await api.refused("POST", "/open/order", body=body)
    assert (status, code) == (200, 400)
    assert "purchaseAmount" in msg and str(body["purchaseAmount"] - 1) in msg
    assert api.fake.orders == {}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("orderLineList", "[{not json", "invalid JSON"),
        ("orderLineList", [{"itemId": "1"}], "JSON text of an array"),
        ("receiver", "[]", "JSON text of an object, got JSON an array"),
        ("purchaseAmount", "many", "expected an integer"),
    ],
)
async def test_bad_parameters_name_the_parameter(api: Api, field: str, value: object, expected: str) -> None:
    product = await first_product(api)
    body = order_body(product)
    body[field] = value
    status, code, msg = await api.refused("POST", "/open/order", body=body)
    assert (status, code) == (200, 400)
    assert f"'{field}'" in msg and expected in msg


async def test_paid_orders_progress_with_tick(clock: Clock) -> None:
    fake = FakePandaPon(clock=clock, step_interval=3600)
    async with Api(fake) as api:
        product = await first_product(api)
        order_id = (await api.ok("POST", "/open/order", body=order_body(product)))["orderId"]
        fake.tick(10 * 3600)
        assert fake.orders[order_id].status == "WAIT_BUYER_P"  # unpaid orders wait for the buyer
        await api.ok("POST", "/open/order/pay", body={"orderId": order_id})
        fake.tick(3599)
        assert fake.orders[order_id].status == "WAIT_SELLER_SEND_GOODS"
        fake.tick(1)
        assert fake.orders[order_id].status == "WAIT_BUYER_CONFIRM_GOODS"
        fake.tick(10 * 3600)
        detail = await api.ok("GET", "/open/order/detail/get", params={"orderId": order_id})
        sub_id = detail["orderLines"][0]["subPurchaseOrderId"]
        logistics = await api.ok("GET", "/open/order/logistics/detail/get", params={"subPurchaseOrderId": sub_id})
        assert logistics["pnmLogisticsDetails"][0]["logisticsTraces"][0]["status"] == "SIGN"


# --------------------------------------------------------------------------- 1688


async def test_1688_keyword_search_pages_stop_at_total_page(api: Api) -> None:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        data = await api.ok(
            "POST",
            "/alibaba/product/keywords/query",
            body={"keyword": "", "beginPage": page, "pageSize": 5, "country": "en"},
        )
        assert set(data) == {"totalRecords", "totalPage", "pageSize", "currentPage", "data"}
        assert (data["currentPage"], data["pageSize"]) == (page, 5)
        rows += data["data"]
        if data["currentPage"] >= data["totalPage"]:
            break
        page += 1
    assert (page, data["totalRecords"], data["totalPage"]) == (3, 12, 3)
    assert len(rows) == 12 == len({r["offerId"] for r in rows})
    beyond = await api.ok("POST", "/alibaba/product/keywords/query", body={"beginPage": 4, "pageSize": 5})
    assert beyond["data"] == [] and beyond["totalPage"] == 3
    tee = await api.ok(
        "POST",
        "/alibaba/product/keywords/query",
        body={"keyword": "t-shirt", "beginPage": 1, "pageSize": 20, "sort": compact({"price": "asc"})},
    )
    prices = [float(r["priceInfo"]["price"]) for r in tee["data"]]
    assert tee["totalRecords"] == 6 and prices == sorted(prices)
    status, code, msg = await api.refused("POST", "/alibaba/product/keywords/query", body={"sort": "{price"})
    assert (status, code) == (200, 400) and "'sort'" in msg
    status, code, msg = await api.refused("POST", "/alibaba/product/keywords/query", body={"pageSize": 0})
    assert code == 400 and "pageSize" in msg


async def test_1688_order_flow(api: Api) -> None:
    fake = api.fake
    offer = fake.state.offers[0]
    spec = offer.specs[0]
    cargo = [{"offerId": offer.offer_id, "specId": spec.spec_id, "quantity": 2}]
    preview = await api.ok(
        "POST", "/alibaba/order/create/preview", body={"addressParam": ALI_ADDRESS, "cargoParamList": cargo}
    )
    result = preview["orderPreviewResuslt"][0]
    assert preview["success"] is True and result["sumPaymentNoCarriage"] == int(spec.price * 200)
    created = await api.ok(
        "POST", "/alibaba/order/create", body={"flow": "general", "addressParam": ALI_ADDRESS, "cargoParamList": cargo}
    )
    order_id = created["orderId"]
    assert re.fullmatch(r"\d{19}", order_id) and created["totalSuccessAmount"] == result["sumPayment"]
    detail = await api.ok("POST", "/alibaba/order/detail", body={"webSite": "1688", "orderId": order_id})
    assert detail["baseInfo"]["status"] == "waitbuyerpay" and detail["productItems"][0]["productID"] == offer.offer_id
    pay = await api.ok("GET", "/alibaba/order/pay/url", params={"orderId": order_id})
    assert pay["payUrl"].endswith(order_id) and pay["cantPayOrderList"] == []
    paid = await api.ok("POST", "/alibaba/order/batch/submit/to/pay", body={"orderIds": [order_id]})
    assert paid["success"] is True
    early = await api.ok("POST", "/alibaba/order/receivegoods", body={"orderId": int(order_id), "orderEntryIds": []})
    assert early["success"] is False and early["errorCode"]
    assert fake.advance(order_id) == "waitbuyerreceive"
    trace = await api.ok("GET", "/alibaba/order/logistics/trace", params={"orderId": order_id})
    assert trace["logisticsTrace"][0]["logisticsSteps"]
    received = await api.ok(
        "POST",
        "/alibaba/order/receivegoods",
        body={"orderId": int(order_id), "orderEntryIds": [detail["productItems"][0]["subItemID"]]},
    )
    assert received == {"success": True, "errorInfo": "", "errorCode": ""}
    reasons = (await api.ok("POST", "/alibaba/refund/reason/list", body={"orderId": order_id}))["reasons"]
    refund = await api.ok(
        "POST",
        "/alibaba/refund/detail/create",
        body={
            "orderId": int(order_id),
            "disputeRequest": "returnRefund",
            "applyPayment": 100,
            "applyCarriage": 0,
            "applyReasonId": reasons[0]["id"],
            "description": "颜色不对",
            "goodsStatus": "aftersaleBuyerReceived",
        },
    )
    assert refund["refundId"].startswith("TQ")
    assert fake.advance_refund(refund["refundId"]) == "waitbuyersend"
    companies = await api.ok("GET", "/alibaba/refund/logistics/company/list")
    assert (
        await api.ok(
            "POST",
            "/alibaba/refund/goods/return",
            body={
                "refundId": refund["refundId"],
                "logisticsCompanyNo": companies[0]["companyNo"],
                "freightBill": "SF1",
            },
        )
    )["success"] is True
    info = await api.ok("POST", "/alibaba/refund/info", body={"refundId": refund["refundId"]})
    assert info["buyerSendGoods"] is True and info["status"] == "waitsellerreceive"
    assert [o["baseInfo"]["idOfStr"] for o in (await api.ok("POST", "/alibaba/order/page", body={}))["data"]] == [
        order_id
    ]


# --------------------------------------------------------------------------- faults


async def test_fault_latency(api: Api) -> None:
    api.fake.inject(Fault("latency", delay=0.05))
    started = anyio.current_time()
    assert await api.ok("POST", "/open/address/get", body={})
    assert anyio.current_time() - started >= 0.05
    assert api.fake.faults_fired["latency"] == 1 and api.fake.request_log[-1].fault == "latency"


@pytest.mark.parametrize(("kind", "status"), [("http_500", 500), ("http_503", 503), ("http_429", 429)])
async def test_fault_http_status(api: Api, kind: Any, status: int) -> None:
    api.fake.inject(Fault(kind, path="/open/address/get", retry_after=7))
    response = await api.send("POST", "/open/address/get", body={})
    assert response.status_code == status and response.json()["code"] == status
    if status != 500:
        assert response.headers["retry-after"] == "7"
    assert await api.ok("POST", "/open/address/get", body={})  # times=1: the next call is normal


async def test_fault_drop_before_touches_nothing(api: Api) -> None:
    product = await first_product(api)
    api.fake.inject(Fault("drop_before", path="/open/order"))
    with pytest.raises(httpx.RemoteProtocolError):
        await api.send("POST", "/open/order", body=order_body(product))
    assert api.fake.create_calls == 0 and api.fake.orders == {}
    assert api.fake.request_log[-1].status is None and api.fake.request_log[-1].fault == "drop_before"


async def test_fault_drop_after_applies_the_write(api: Api) -> None:
    product = await first_product(api)
    api.fake.inject(Fault("drop_after", path="/open/order"))
    with pytest.raises(httpx.RemoteProtocolError):
        await api.send("POST", "/open/order", body=order_body(product, number="SO-7"))
    assert api.fake.create_calls == 1 and len(api.fake.orders) == 1
    # Looking it up by sellerOrderNumber finds the order the lost answer was about (what the SDK reconciles with).
    found = await api.ok("GET", "/open/order/page", params={"sellerOrderNumber": "SO-7"})
    assert [row["orderId"] for row in found["data"]] == list(api.fake.orders)


async def test_repeated_create_makes_a_second_order_unless_dedupe_is_on(api: Api) -> None:
    product = await first_product(api)
    first = await api.ok("POST", "/open/order", body=order_body(product, number="SO-8"))
    second = await api.ok("POST", "/open/order", body=order_body(product, number="SO-8"))
    assert first["orderId"] != second["orderId"]
    assert len(api.fake.orders) == 2  # the platform publishes no de-duplication: neither does the fake by default


async def test_fault_truncated(api: Api) -> None:
    api.fake.inject(Fault("truncated"))
    response = await api.send("GET", "/open/product/get", params={"itemId": api.fake.state.products[0].item_id})
    assert response.status_code == 200 and int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert response.content.startswith(b'{"requestId":')


async def test_fault_html(api: Api) -> None:
    api.fake.inject(Fault("html"))
    response = await api.send("POST", "/open/address/get", body={})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


async def test_fault_garbage(api: Api) -> None:
    api.fake.inject(Fault("garbage"))
    response = await api.send("POST", "/open/address/get", body={})
    assert response.status_code == 200 and len(response.content) == 64
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
        json.loads(response.content)


async def test_fault_wrong_content_type(api: Api) -> None:
    api.fake.inject(Fault("wrong_content_type"))
    response = await api.send("POST", "/open/address/get", body={})
    assert response.headers["content-type"].startswith("text/plain")
    assert response.json()["code"] == 200


async def test_fault_clock_skew(api: Api, clock: Clock) -> None:
    api.fake.inject(Fault("clock_skew", delay=700))
    response = await api.send("POST", "/open/address/get", body={})
    assert response.status_code == 401 and response.json()["msg"].startswith("timestamp expired")
    assert email.utils.parsedate_to_datetime(response.headers["date"]).timestamp() == int(clock.now) + 700
    assert await api.ok("POST", "/open/address/get", body={})


async def test_faults_times_paths_probability_and_clear(clock: Clock) -> None:
    statuses: dict[int, list[int]] = {}
    for seed in (3, 3, 4):
        fake = FakePandaPon(seed=seed, clock=clock)
        fake.inject(Fault("http_503", path="/open/address/*", times=None, probability=0.5))
        async with Api(fake) as api:
            seen = [(await api.send("POST", "/open/address/get", body={})).status_code for _ in range(12)]
            assert (
                await api.send("GET", "/open/product/get", params={"itemId": fake.state.products[0].item_id})
            ).status_code == 200
        assert set(seen) == {200, 503} and fake.faults_fired["http_503"] == seen.count(503)
        if seed in statuses:
            assert statuses[seed] == seen  # the same seed misbehaves the same way
        statuses[seed] = seen
    assert statuses[3] != statuses[4]
    fake = FakePandaPon(clock=clock)
    fake.inject(Fault("http_500", times=2, method="POST"))
    async with Api(fake) as api:
        assert (
            await api.send("GET", "/open/product/get", params={"itemId": fake.state.products[0].item_id})
        ).status_code == 200
        assert [(await api.send("POST", "/open/address/get", body={})).status_code for _ in range(3)] == [500, 500, 200]
        fake.inject(Fault("http_500", times=None))
        fake.clear_faults()
        assert fake.faults == () and await api.ok("POST", "/open/address/get", body={})
    assert fake.faults_fired == {"http_500": 2}
    with pytest.raises(ValueError, match="kind"):
        Fault("teapot")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- pushes


def verify_push(request: httpx.Request, secret: str) -> dict[str, Any]:
    assert request.method == "POST" and request.headers["content-type"] == "application/json"
    expected = hmac.new(secret.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["authorization"] == expected
    wrapper: dict[str, Any] = json.loads(request.content)
    assert set(wrapper) == {"messageType", "messageBody", "messagePlatform", "timestamp"}
    assert isinstance(wrapper["messageBody"], str) and re.fullmatch(r"\d{13}", wrapper["timestamp"])
    return wrapper


async def test_push_delivered_in_process_with_valid_hmac(api: Api) -> None:
    fake = api.fake
    received: list[dict[str, Any]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == HOOK
        received.append(verify_push(request, fake.credentials.access_secret))
        return httpx.Response(200)

    fake.register_callback(HOOK)
    fake.callback_transport = httpx.MockTransport(receiver)
    product = await first_product(api)
    order_id = (await api.ok("POST", "/open/order", body=order_body(product)))["orderId"]
    await api.ok("POST", "/open/order/pay", body={"orderId": order_id})
    fake.change_price(order_id, 1)
    attempts = await fake.deliver_pending()
    assert [a.status for a in attempts] == [200, 200, 200] and all(a.attempt == 1 for a in attempts)
    assert fake.outbox == () and fake.dead_letters == []
    assert [w["messageType"] for w in received] == [
        "TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE",
        "TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE",
        "TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY",
    ]
    bodies = [json.loads(w["messageBody"]) for w in received]
    assert [b.get("status") for b in bodies[:2]] == ["WAIT_BUYER_P", "WAIT_SELLER_SEND_GOODS"]
    assert bodies[2]["purchaseOrderPriceDTO"]["purchaseTotalFee"] == 1 and "messageId" not in received[0]
    assert {w["messagePlatform"] for w in received} == {0}
    assert await fake.deliver_pending() == []


async def test_push_to_asgi_receiver_times_out(clock: Clock) -> None:
    fake = FakePandaPon(clock=clock, push_timeout=0.05, redelivery_interval=0)

    async def slow_receiver(scope: Any, receive: Any, send: Any) -> None:
        await anyio.sleep(1)

    fake.register_callback(HOOK)
    fake.callback_transport = httpx.ASGITransport(app=slow_receiver)
    async with Api(fake) as client:
        offer = fake.state.offers[1]
        cargo = [{"offerId": offer.offer_id, "specId": offer.specs[0].spec_id, "quantity": 1}]
        await client.ok(
            "POST",
            "/alibaba/order/create",
            body={"flow": "general", "addressParam": ALI_ADDRESS, "cargoParamList": cargo},
        )
    (attempt,) = await fake.deliver_pending()
    assert attempt.status is None and attempt.error == "no answer within 0.05s"
    assert attempt.message.message_type == "1688_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE" and attempt.message.platform == 1
    assert len(fake.outbox) == 1


async def test_failing_receiver_is_retried_five_times_then_dead_lettered(clock: Clock) -> None:
    fake = FakePandaPon(clock=clock, redelivery_interval=0)
    bodies: list[bytes] = []

    def failing(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(500)

    fake.register_callback(HOOK)
    fake.callback_transport = httpx.MockTransport(failing)
    async with Api(fake) as api:
        product = await first_product(api)
        await api.ok("POST", "/open/order", body=order_body(product))
    attempts = []
    for _ in range(8):
        attempts += await fake.deliver_pending()
    assert [a.attempt for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert all(a.status == 500 and not a.delivered for a in attempts)
    assert len(set(bodies)) == 1  # every redelivery sends the same bytes
    assert fake.outbox == () and fake.dead_letters == [attempts[0].message]
    assert fake.pushes == attempts


async def test_redelivery_waits_for_the_interval(clock: Clock) -> None:
    fake = FakePandaPon(clock=clock)  # the platform's half hour
    outcomes = iter([httpx.Response(503), httpx.Response(200)])
    fake.register_callback(HOOK)
    fake.callback_transport = httpx.MockTransport(lambda request: next(outcomes))
    async with Api(fake) as api:
        product = await first_product(api)
        await api.ok("POST", "/open/order", body=order_body(product))
    assert [a.status for a in await fake.deliver_pending()] == [503]
    assert await fake.deliver_pending() == []
    fake.tick(1799)
    assert await fake.deliver_pending() == []
    fake.tick(1)
    assert [(a.status, a.attempt) for a in await fake.deliver_pending()] == [(200, 2)]


# --------------------------------------------------------------------------- the catalogue, endpoint by endpoint


def _spec() -> dict[str, Any]:
    text = resources.files("pandapon").joinpath("spec/pandapon.openapi.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _response_validator(spec: dict[str, Any], key: str) -> Any:
    """A JSON Schema (2020-12) validator for the 200 answer of ``"METHOD /path"``, refs resolved in the spec."""
    from jsonschema import Draft202012Validator

    method, path = key.split(" ", 1)
    pointer = "/".join(
        [
            "#",
            "paths",
            path.replace("~", "~0").replace("/", "~1"),
            method.lower(),
            "responses",
            "200",
            "content",
            "application~1json",
            "schema",
        ]
    )
    return Draft202012Validator({"$ref": pointer, "paths": spec["paths"], "components": spec["components"]})


def _documented_fields(spec: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The documented member names of ``data`` (empty when unknown or scalar).

    Members known only from an example or from the upstream API (``x-pandapon-evidence``) are not required: the fake
    may answer them, and their types are checked by the schema.
    """
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    data: dict[str, Any] = next(
        (part["properties"]["data"] for part in schema.get("allOf", []) if "data" in part.get("properties", {})), {}
    )
    for option in data.get("anyOf", [data]):
        if "$ref" in option or option.get("type") == "array":
            target = option.get("items", option)
            if "$ref" not in target:
                continue
            resolved = spec["components"]["schemas"][target["$ref"].rsplit("/", 1)[1]]
            members = resolved.get("properties", {}).items()
            return {k for k, v in members if v.get("x-pandapon-evidence", "documented") == "documented"}
    return set()


async def test_routes_match_the_sdk_description() -> None:
    spec = _spec()
    operations = {
        f"{m.upper()} {p}": op for p, ops in spec["paths"].items() for m, op in ops.items() if m in ("get", "post")
    }
    fake = FakePandaPon()
    assert sorted(fake.routes) == sorted(operations) and len(fake.routes) == 71
    unknown = {key for key, op in operations.items() if not op["x-pandapon-response-fields-known"]}
    assert unknown <= set(INVENTED_RESPONSES) <= set(fake.routes)


async def test_every_endpoint_answers_with_the_documented_fields(api: Api) -> None:
    """Call all 71 endpoints with valid requests, in an order that keeps the state consistent."""
    fake, spec = api.fake, _spec()
    operations = {
        f"{m.upper()} {p}": op for p, ops in spec["paths"].items() for m, op in ops.items() if m in ("get", "post")
    }
    called: set[str] = set()
    validated: set[str] = set()

    async def call(
        method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None, route: str | None = None
    ) -> Any:
        key = route or f"{method} {path}"
        response = await api.send(method, path, body=body, params=params)
        assert response.status_code == 200, response.text
        envelope = response.json()
        assert envelope["code"] in (200, 0), envelope
        # Every answer validates against the response schema of our OpenAPI description.
        errors = sorted(_response_validator(spec, key).iter_errors(envelope), key=lambda e: list(e.path))
        assert not errors, (key, [f"{list(e.path)}: {e.message}" for e in errors[:5]])
        validated.add(key)
        data = envelope.get("data")
        expected = _documented_fields(spec, operations[key])
        sample = data[0] if isinstance(data, list) and data else data
        if expected and isinstance(sample, dict):
            assert expected <= set(sample), (key, expected - set(sample))
        called.add(key)
        return data

    state = fake.state
    product, offer = state.products[0], state.offers[0]
    sku, spec_ = product.skus[0], offer.specs[0]
    cargo = [{"offerId": offer.offer_id, "specId": spec_.spec_id, "quantity": 1, "sellerOpenId": offer.seller.open_id}]

    # Taobao goods
    await call("POST", "/open/product/image/search", body={"imageUrl": "https://img.example/cup.jpg"})
    await call(
        "POST", "/open/product/item/search", body={"keyword": "杯", "pageNo": 1, "pageSize": 5, "sort": "tk_rate_desc"}
    )
    await call(
        "POST",
        "/open/product/batch/check",
        body={"params": compact([{"itemId": product.item_id, "skuIds": [sku.sku_id]}])},
    )
    await call("GET", "/open/product/get", params={"itemId": product.item_id})
    await call("GET", "/open/product/source/get", params={"itemId": product.item_id})
    await call("POST", "/open/product/source/get", body={"itemId": product.item_id, "language": "vi"})
    # Taobao cart, then orders
    row = await call(
        "POST",
        "/open/cart/add",
        body={"mpId": product.mp_id, "mpSkuId": sku.mp_sku_id, "quantity": 1, "properties": compact(sku.properties)},
    )
    await call("POST", "/open/cart/edit-quantity", body={"id": row["id"], "quantity": 2})
    await call("GET", "/open/cart/list")
    await call("POST", "/open/cart/preview/order", body={"ids": [row["id"]], "orderAddress": RECEIVER})
    from_cart = await call(
        "POST",
        "/open/cart/create/order",
        body={"ids": [row["id"]], "orderAddress": RECEIVER, "userId": fake.credentials.user_id},
    )
    row = await call("POST", "/open/cart/add", body={"mpId": product.mp_id, "mpSkuId": sku.mp_sku_id})
    await call("POST", "/open/cart/delete", body={"ids": [row["id"]]})
    order = await call(
        "POST",
        "/open/order",
        body=order_body(await api.ok("GET", "/open/product/get", params={"itemId": product.item_id})),
    )
    order_id = order["orderId"]
    await call("GET", "/open/order/page", params={"pageNo": 1, "pageSize": 5})
    await call(
        "POST", "/open/order/voucher/upload", body={"orderId": order_id, "voucherUrl": "https://img.example/v.jpg"}
    )
    await call("POST", "/open/order/cancel", body={"orderId": from_cart["orderId"], "cancelReason": "buyer_cancel"})
    await call(
        "POST",
        "/open/order/updateWarehouse",
        body={"warehouseAddress": "广西省", "warehouseName": "一号仓库", "orderId": order_id},
    )
    await call("POST", "/open/order/pay", body={"orderId": order_id})
    await call(
        "POST",
        "/open/order/page/link/get",
        body={
            "loginName": "buyer",
            "password": "pw",
            "pageName": "im",
            "pageParamMap": compact({"sourceType": "item", "bizId": product.item_id}),
        },
    )
    detail = await call("GET", "/open/order/detail/get", params={"orderId": order_id})
    fake.advance(order_id)
    sub_id = detail["orderLines"][0]["subPurchaseOrderId"]
    await call("GET", "/open/order/logistics/detail/get", params={"subPurchaseOrderId": sub_id})
    # Taobao after-sales
    await call("POST", "/open/order/refund/render", body={"subOrderId": sub_id, "refundType": 2, "goodsStatus": 1})
    refund_id = (
        await call(
            "POST",
            "/open/order/refund/submit",
            body={"subOrderId": sub_id, "refundType": 2, "goodsStatus": 1, "reasonId": 1},
        )
    )["refundId"]
    await call("POST", "/open/order/refund/submit/message", body={"refundId": refund_id, "refundMessage": "hi"})
    await call("POST", "/open/order/refund/message/queryList", body={"refundId": refund_id})
    await call("POST", "/open/order/refund/modify", body={"refundId": refund_id, "refundDesc": "changed"})
    await call("POST", "/open/order/refund/queryList", body={"pageNo": 1, "pageSize": 5})
    await call("GET", "/open/order/refund/query", params={"refundId": refund_id})
    fake.advance_refund(refund_id)
    await call("GET", "/open/order/refund/render/logistics", params={"refundId": refund_id})
    await call(
        "POST",
        "/open/order/refund/submit/logistics",
        body={"refundId": refund_id, "logisticsCompanyCode": "SF", "logisticsNo": "SF1"},
    )
    await call("GET", f"/open/order/refund/cancel/{refund_id}", route="GET /open/order/refund/cancel/{refundId}")
    # 1688 goods and marketing
    await call("POST", "/alibaba/product/detail/get", body={"offerId": offer.offer_id, "country": "en"})
    await call(
        "POST",
        "/alibaba/product/openuid/decrypt",
        body={"offerId": str(offer.offer_id), "openUid": offer.seller.open_id},
    )
    await call(
        "POST",
        "/alibaba/product/keywords/query",
        body={
            "keyword": "T恤",
            "beginPage": 1,
            "pageSize": 5,
            "filter": "shipInToday,ksCiphertext",
            "priceStart": "1",
            "priceEnd": "999",
        },
    )
    await call(
        "POST", "/alibaba/product/image/query", body={"imageBase64": "/9j/4AAQSkZJRg", "beginPage": 1, "pageSize": 5}
    )
    await call(
        "POST",
        "/alibaba/product/query/selleroffer",
        body={"sellerOpenId": offer.seller.open_id, "beginPage": 1, "pageSize": 5},
    )
    await call("POST", "/alibaba/product/category/get", body={"categoryId": offer.category_id})
    await call("POST", "/alibaba/product/productRecommendQuery", body={"pageNo": 1, "pageSize": 5})
    await call(
        "POST",
        "/alibaba/product/productRelatedRecommendQuery",
        body={"offerId": str(offer.offer_id), "pageNo": 1, "pageSize": 5, "language": "en"},
    )
    for path in (
        "/alibaba/product/global/keywords/query",
        "/alibaba/product/strict/keywords/query",
        "/alibaba/product/hotlist/query",
    ):
        await call("POST", path, body={"keyword": "", "beginPage": 1, "pageSize": 5})
    # 1688 orders
    await call("POST", "/alibaba/order/create/preview", body={"addressParam": ALI_ADDRESS, "cargoParamList": cargo})
    await call(
        "POST", "/alibaba/order/create/previewbatch", body={"addressParam": ALI_ADDRESS, "cargoParamList": cargo}
    )
    single = (
        await call(
            "POST",
            "/alibaba/order/create",
            body={"flow": "general", "addressParam": ALI_ADDRESS, "cargoParamList": cargo},
        )
    )["orderId"]
    batch = await call(
        "POST",
        "/alibaba/order/batch/create",
        body={"flow": "general", "addressParam": ALI_ADDRESS, "cargoParamList": cargo},
    )
    batch_id = batch[0]["baseInfo"]["idOfStr"]
    await call("GET", "/alibaba/order/pay/url", params={"orderId": single})
    await call(
        "POST",
        "/alibaba/order/cancel",
        body={"webSite": "1688", "orderId": int(batch_id), "cancelReason": "buyerCancel"},
    )
    await call("POST", "/alibaba/order/batch/submit/to/pay", body={"orderIds": [single]})
    fake.advance(single)
    await call("GET", "/alibaba/order/logistics/trace", params={"orderId": single})
    await call("POST", "/alibaba/order/page", body={"beginPage": 1, "pageSize": 5})
    await call("POST", "/alibaba/order/receivegoods", body={"orderId": int(single), "orderEntryIds": []})
    await call("POST", "/alibaba/order/detail", body={"webSite": "1688", "orderId": single})
    # 1688 after-sales
    await call("POST", "/alibaba/refund/reason/list", body={"orderId": single, "goodsStatus": "aftersaleBuyerReceived"})
    await call("POST", "/alibaba/refund/voucher/upload", body={"imageData": "iVBORw0KGgo="})
    ali_refund = (
        await call(
            "POST",
            "/alibaba/refund/detail/create",
            body={
                "orderId": int(single),
                "disputeRequest": "returnRefund",
                "applyPayment": 1,
                "applyCarriage": 0,
                "applyReasonId": 20007,
                "description": "破损了",
                "goodsStatus": "aftersaleBuyerReceived",
                "vouchers": [],
            },
        )
    )["refundId"]
    await call("POST", "/alibaba/refund/info", body={"refundId": ali_refund})
    fake.advance_refund(ali_refund)
    companies = await call("GET", "/alibaba/refund/logistics/company/list")
    await call(
        "POST",
        "/alibaba/refund/goods/return",
        body={"refundId": ali_refund, "logisticsCompanyNo": companies[0]["companyNo"], "freightBill": "SF9"},
    )
    # 1688 cart
    item = await call(
        "POST", "/alibaba/cart/add", body={"offerId": offer.offer_id, "specId": spec_.spec_id, "quantity": 1}
    )
    await call(
        "POST",
        "/alibaba/cart/edit-quantity",
        body={"id": item["id"], "quantity": 3, "productNo": "P1", "container": "C1"},
    )
    await call("GET", "/alibaba/cart/list")
    await call("POST", "/alibaba/cart/preview/order", body={"addressParam": ALI_ADDRESS, "cartIds": [item["id"]]})
    await call(
        "POST",
        "/alibaba/cart/create/order",
        body={
            "flow": "general",
            "addressParam": ALI_ADDRESS,
            "cartIds": [item["id"]],
            "userId": fake.credentials.user_id,
        },
    )
    item = await call("POST", "/alibaba/cart/add", body={"offerId": offer.offer_id, "specId": spec_.spec_id})
    await call("POST", "/alibaba/cart/delete", body={"cartIds": [item["id"]]})
    # Foundations
    answer = (
        await api.send(
            "POST",
            "/open/address/addOrUpdate",
            body={
                "name": "王五",
                "province": "广东省",
                "city": "广州市",
                "district": "白云区",
                "address": "机场路1号",
                "phone": "13800000000",
            },
        )
    ).json()
    assert answer == {"code": 0, "msg": "成功"}
    assert not list(_response_validator(spec, "POST /open/address/addOrUpdate").iter_errors(answer))
    called.add("POST /open/address/addOrUpdate")
    validated.add("POST /open/address/addOrUpdate")
    addresses = await call("POST", "/open/address/get", body={})
    assert [a["name"] for a in addresses][-1] == "王五"
    # Warehouse logistics (query-signed)
    await call(
        "POST",
        "/open/pp/logistics/itemLogisticsPrice",
        body={
            "itemId": product.mp_id,
            "skuId": sku.mp_sku_id,
            "quantity": 1,
            "receiverAddress": RECEIVER_ADDRESS,
            "currency": "CNY",
            "price": "10",
        },
    )
    render = await call(
        "POST",
        "/open/pp/logistics/orderRenderFreight",
        body={
            "receiverAddress": RECEIVER_ADDRESS,
            "renderItems": [
                {
                    "itemId": product.mp_id,
                    "skuId": sku.mp_sku_id,
                    "quantity": 2,
                    "freightInfo": {"serviceId": "1", "companyName": "", "serviceCategory": ""},
                    "currency": "CNY",  # required by the page's schema (the published example leaves it out)
                    "price": "12.50",
                }
            ],
        },
    )
    await call(
        "POST",
        "/open/pp/logistics/updateLogisticInfo",
        body={
            "orderId": order_id,
            "tmallOrderId": "12345667",
            "logisticInfos": [
                {
                    "lineItem": {"itemId": product.mp_id, "skuId": sku.mp_sku_id, "quantity": 1},
                    "logisticNumer": "FARJP2408000013YQ",
                    "domesticLogisticInfo": [
                        {"logisticNumer": "SF1", "logisticCompanyName": "顺丰", "rtsTime": "1754342534"}
                    ],
                }
            ],
        },
    )
    await call(
        "POST",
        "/open/pp/logistics/orderBookingFreight",
        body={
            "renderId": render["renderId"],
            "tmallOrderInfo": {"tmallOrderId": "123123444"},
            "receiverAddress": RECEIVER_ADDRESS,
        },
    )

    assert called == set(fake.routes)
    assert validated == called  # every endpoint's answer was checked against the spec


# --------------------------------------------------------------------------- over real sockets


@pytest.mark.loopback
async def test_served_by_uvicorn_with_lifespan_and_dropped_connections() -> None:
    uvicorn = pytest.importorskip("uvicorn")
    fake = FakePandaPon(seed=5)
    config = uvicorn.Config(fake, host="127.0.0.1", port=0, lifespan="on", http="h11", ws="none", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            time.sleep(0.01)
        assert server.started
        port = server.servers[0].sockets[0].getsockname()[1]
        async with Api(fake, base_url=f"http://127.0.0.1:{port}") as api:
            assert await api.ok("POST", "/open/address/get", body={})
            product = await first_product(api)
            fake.inject(Fault("drop_after", path="/open/order"))
            with pytest.raises(httpx.RemoteProtocolError):
                await api.send("POST", "/open/order", body=order_body(product))
            assert len(fake.orders) == 1
            assert await api.ok("POST", "/open/address/get", body={})
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()


# --------------------------------------------------------------------------- SDK clients wired to the fake


async def test_async_client_uses_the_fake_clock(clock: Clock) -> None:
    fake = FakePandaPon(clock=clock, timestamp_unit="ms")  # a frozen clock a real-time signer would fail on
    async with fake.async_client(max_retries=0) as client:
        product = await client.taobao.products.get(fake.state.products[0].item_id)
    assert product.item_id == fake.state.products[0].item_id
    assert [e.status for e in fake.request_log] == [200]


def test_sync_client() -> None:
    fake = FakePandaPon(seed=3)
    with fake.client() as client:
        page = client.alibaba.products.search_by_keyword(keyword="T恤", begin_page=1, page_size=2)
    assert page.total_records == 6 and len(page.data) == 2
