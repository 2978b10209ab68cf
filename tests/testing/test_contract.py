"""The fake holds callers to the HTTP contract (issue 18, items 1, 3 and 8): a JSON body must say it is JSON, and a
wrong method on any served path, fixed or with ``{name}`` parameters, is 405 with ``Allow``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pandapon.testing import FakePandaPon

from .test_fake_http import Api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with Api(FakePandaPon(seed=7)) as client:
        yield client


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data", "application/x-www-form-urlencoded", None]
)
async def test_a_json_body_under_another_content_type_is_refused(api: Api, content_type: str | None) -> None:
    body = b'{"keyword": "T\\u6064", "pageNo": 1, "pageSize": 5}'
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await api.http.post("/open/product/item/search", content=body, headers=headers, auth=api.signer)
    assert response.status_code == 415
    envelope = response.json()
    assert envelope["code"] == 415
    got = "none" if content_type is None else repr(content_type)
    assert envelope["msg"] == f"expected a JSON body with Content-Type application/json, got {got}"
    assert api.fake.request_log[-1].status == 415


async def test_json_with_a_charset_is_json(api: Api) -> None:
    body = b'{"keyword": "", "pageNo": 1, "pageSize": 5}'
    headers = {"Content-Type": "Application/JSON; charset=utf-8"}
    response = await api.http.post("/open/product/item/search", content=body, headers=headers, auth=api.signer)
    assert (response.status_code, response.json()["code"]) == (200, 200)


async def test_a_wrong_method_on_a_fixed_path_is_405_with_allow(api: Api) -> None:
    response = await api.send("DELETE", "/open/product/item/search")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["msg"] == "DELETE not allowed on /open/product/item/search; allowed: POST"


async def test_a_wrong_method_on_a_path_with_parameters_is_405_not_404(api: Api) -> None:
    response = await api.send("POST", "/open/order/refund/cancel/110096133747")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert (await api.send("POST", "/open/order/refund/cancel")).status_code == 404  # not a served path at all
