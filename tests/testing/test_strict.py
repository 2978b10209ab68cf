"""``FakePandaPon(strict=...)``: each rule the docs do not state, on and off, its default, and bad arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pandapon import HeaderSigner, QuerySigner
from pandapon.testing import STRICT_DEFAULTS, STRICT_RULES, FakePandaPon
from tests.helpers import expected_signature

pytestmark = pytest.mark.anyio

BASE = "https://api.pandapon.com"
T0 = 1_715_669_977.0
ALL_RULES = {"nonce_reuse", "nonce_length", "signature_case", "begin_page", "image_base64", "needed_inputs"}


def make_fake(strict: Any = None) -> FakePandaPon:
    return FakePandaPon(seed=7, clock=lambda: T0, strict=strict)


async def post(
    fake: FakePandaPon,
    path: str,
    body: dict[str, Any],
    *,
    nonce: Callable[[], str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a JSON body signed by the SDK's signer (or with ``headers`` as given); (HTTP status, envelope)."""
    c = fake.credentials
    auth: httpx.Auth | None = None
    if headers is None:
        signer = QuerySigner if path.startswith("/open/pp/logistics/") else HeaderSigner
        extra = {} if nonce is None else {"nonce": nonce}
        auth = signer(c.access_key, c.access_secret, c.user_id, clock=fake.clock, **extra)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        response = await http.post(path, json=body, auth=auth, headers=headers)
    envelope: dict[str, Any] = response.json()
    return response.status_code, envelope


def signed_headers(
    fake: FakePandaPon, *, nonce: str = "n" * 32, case: Callable[[str], str] = str.upper
) -> dict[str, str]:
    c = fake.credentials
    timestamp = str(int(T0))
    signature = case(expected_signature(c.access_key, timestamp, nonce, c.access_secret))
    return {
        "access-key": c.access_key,
        "timestamp": timestamp,
        "nonce-str": nonce,
        "user-id": c.user_id,
        "signature": signature,
    }


# --------------------------------------------------------------------------- the switch


def test_rules_are_named_and_described_on_one_line() -> None:
    assert set(STRICT_RULES) == ALL_RULES
    for name, description in STRICT_RULES.items():
        assert description.strip() and "\n" not in description, name
    # On by default: the rules the docs state. Off: the ones only the fake makes.
    assert {"nonce_length", "signature_case", "image_base64"} == STRICT_DEFAULTS
    assert set(STRICT_RULES) >= STRICT_DEFAULTS


def test_strict_accepts_a_bool_or_a_set_of_names() -> None:
    assert make_fake().strict == STRICT_DEFAULTS
    assert make_fake(None).strict == STRICT_DEFAULTS
    assert make_fake(True).strict == ALL_RULES
    assert make_fake(False).strict == frozenset()
    assert make_fake({"nonce_reuse", "begin_page"}).strict == {"nonce_reuse", "begin_page"}
    assert make_fake(frozenset({"signature_case"})).strict == {"signature_case"}
    assert make_fake(set()).strict == frozenset()


def test_an_unknown_rule_is_refused_listing_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown strict rule") as caught:
        make_fake({"nonce_reuse", "nonce_resue"})
    message = str(caught.value)
    assert "'nonce_resue'" in message
    for name in ALL_RULES:
        assert name in message


@pytest.mark.parametrize("strict", ["nonce_reuse", ["nonce_reuse"], ("begin_page",), 1])
def test_strict_that_is_not_a_bool_or_a_set_is_refused(strict: object) -> None:
    with pytest.raises(TypeError, match="strict must be a bool or a set of rule names"):
        make_fake(strict)


async def test_the_sdk_satisfies_every_rule() -> None:
    fake = FakePandaPon(seed=7, strict=True)  # the real clock: the SDK corrects its signing clock from ``Date``
    async with fake.async_client() as client:
        page = await client.alibaba.products.search_by_keyword(keyword="T恤", begin_page=1, page_size=2)
        assert page is not None
        found = await client.alibaba.products.search_by_image("/9j/4AAQSkZJRg", begin_page=2, page_size=2)
        assert found is not None
        product = fake.state.products[0]
        assert (await client.taobao.products.get(product.item_id)).item_id == product.item_id
    assert [entry.status for entry in fake.request_log] == [200, 200, 200]


# --------------------------------------------------------------------------- nonce_reuse


async def test_nonce_reuse_refused_when_on() -> None:
    fake = make_fake({"nonce_reuse"})
    assert (await post(fake, "/open/address/get", {}, nonce=lambda: "N" * 32))[0] == 200
    status, envelope = await post(fake, "/open/address/get", {}, nonce=lambda: "N" * 32)
    assert (status, envelope["code"], envelope["msg"]) == (401, 401, "nonce reused")


async def test_nonce_reuse_accepted_by_default() -> None:
    fake = make_fake()
    for _ in range(3):
        status, envelope = await post(fake, "/open/address/get", {}, nonce=lambda: "N" * 32)
        assert (status, envelope["code"]) == (200, 200)


# --------------------------------------------------------------------------- nonce_length


@pytest.mark.parametrize("length", [8, 31, 33, 64])
async def test_nonce_of_another_length_refused_by_default(length: int) -> None:
    fake = make_fake()
    status, envelope = await post(fake, "/open/address/get", {}, nonce=lambda: "x" * length)
    assert (status, envelope["code"]) == (401, 401)
    assert envelope["msg"] == f"nonce-str malformed: expected 32 characters, got {length}"


@pytest.mark.parametrize("length", [8, 64])
async def test_nonce_of_another_length_accepted_when_off(length: int) -> None:
    fake = make_fake(STRICT_DEFAULTS - {"nonce_length"})
    status, envelope = await post(fake, "/open/address/get", {}, nonce=lambda: "x" * length)
    assert (status, envelope["code"]) == (200, 200)


async def test_nonce_length_applies_to_the_query_signed_family() -> None:
    body = {"serviceId": "1", "orderId": "1"}
    refused = await post(make_fake(), "/open/pp/logistics/updateLogisticInfo", body, nonce=lambda: "q" * 8)
    assert refused[0] == 401 and refused[1]["msg"].startswith("nonce-str malformed")
    lax = make_fake(False)
    status, envelope = await post(lax, "/open/pp/logistics/updateLogisticInfo", body, nonce=lambda: "q" * 8)
    assert status == 200 and not envelope["msg"].startswith("nonce-str")


# --------------------------------------------------------------------------- signature_case


async def test_lower_case_signature_accepted_when_off() -> None:
    fake = make_fake(STRICT_DEFAULTS - {"signature_case"})
    status, envelope = await post(fake, "/open/address/get", {}, headers=signed_headers(fake, case=str.lower))
    assert (status, envelope["code"]) == (200, 200)


async def test_lower_case_signature_refused_by_default() -> None:
    fake = make_fake()
    status, envelope = await post(fake, "/open/address/get", {}, headers=signed_headers(fake, case=str.lower))
    assert (status, envelope["code"], envelope["msg"]) == (401, 401, "signature mismatch")
    upper = signed_headers(fake, nonce="u" * 32)
    assert (await post(fake, "/open/address/get", {}, headers=upper))[0] == 200


async def test_signature_case_applies_to_the_query_sign() -> None:
    fake = make_fake({"signature_case"})
    c = fake.credentials
    timestamp, nonce = str(int(T0)), "s" * 32
    sign = expected_signature(c.access_key, timestamp, nonce, c.access_secret).lower()
    headers = {"access-key": c.access_key, "nonce-str": nonce, "user-id": c.user_id}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url=BASE) as http:
        response = await http.post(
            "/open/pp/logistics/updateLogisticInfo",
            params={"timestamp": timestamp, "sign": sign},
            json={"serviceId": "1", "orderId": "1"},
            headers=headers,
        )
    assert response.status_code == 401 and response.json()["msg"] == "sign mismatch"


# --------------------------------------------------------------------------- begin_page


@pytest.mark.parametrize("begin_page", [0, -1])
async def test_begin_page_below_one_refused_when_on(begin_page: int) -> None:
    fake = make_fake({"begin_page"})
    body = {"keyword": "", "beginPage": begin_page, "pageSize": 5}
    status, envelope = await post(fake, "/alibaba/product/keywords/query", body)
    assert (status, envelope["code"]) == (200, 400)
    assert envelope["msg"] == f"param 'beginPage': expected an integer >= 1, got {begin_page} (an integer)"
    status, envelope = await post(fake, "/alibaba/order/page", {"beginPage": begin_page, "pageSize": 5})
    assert (status, envelope["code"]) == (200, 400) and "'beginPage'" in envelope["msg"]


@pytest.mark.parametrize("begin_page", [0, -1])
async def test_begin_page_below_one_answers_page_one_by_default(begin_page: int) -> None:
    fake = make_fake()
    first = await post(fake, "/alibaba/product/keywords/query", {"keyword": "", "beginPage": 1, "pageSize": 5})
    low = await post(fake, "/alibaba/product/keywords/query", {"keyword": "", "beginPage": begin_page, "pageSize": 5})
    assert low[1]["code"] == 200 and low[1]["data"]["currentPage"] == 1
    assert low[1]["data"] == first[1]["data"]
    status, envelope = await post(fake, "/alibaba/order/page", {"beginPage": begin_page, "pageSize": 5})
    assert (status, envelope["code"]) == (200, 200) and envelope["data"]["currentPage"] == 1


async def test_begin_page_still_needs_an_integer_when_off() -> None:
    fake = make_fake(False)
    _, envelope = await post(fake, "/alibaba/product/keywords/query", {"beginPage": "first", "pageSize": 5})
    assert envelope["code"] == 400 and "'beginPage'" in envelope["msg"]


# --------------------------------------------------------------------------- image_base64

IMAGE_URL = "https://cbu01.alicdn.com/img/ibank/O1CN01vggy3T1mdyaUYC0LL_!!2211085014978-0-cib.jpg"


async def test_image_address_alone_refused_by_default() -> None:
    fake = make_fake()
    body = {"imageAddress": IMAGE_URL, "beginPage": 1, "pageSize": 5}
    status, envelope = await post(fake, "/alibaba/product/image/query", body)
    assert (status, envelope["code"]) == (200, 400)
    assert envelope["msg"].startswith("param 'imageBase64' is required") and "image_base64" in envelope["msg"]
    both = {**body, "imageBase64": "/9j/4AAQSkZJRg"}
    status, envelope = await post(fake, "/alibaba/product/image/query", both)
    assert (status, envelope["code"]) == (200, 200) and len(envelope["data"]["data"]) == 5


async def test_image_address_alone_accepted_when_off() -> None:
    fake = make_fake(STRICT_DEFAULTS - {"image_base64"})
    body = {"imageAddress": IMAGE_URL, "beginPage": 1, "pageSize": 5}
    status, envelope = await post(fake, "/alibaba/product/image/query", body)
    assert (status, envelope["code"]) == (200, 200) and len(envelope["data"]["data"]) == 5
    status, envelope = await post(fake, "/alibaba/product/image/query", {"beginPage": 1})
    assert (status, envelope["code"]) == (200, 400)
    assert envelope["msg"] == "param 'imageBase64' is required: expected a base64 image (or imageAddress)"
