"""The pytest fixtures users import: ``pytest_plugins = ["pandapon.testing.pytest_plugin"]``."""

from __future__ import annotations

import pytest

from pandapon import AsyncPandaPon, PandaPon
from pandapon.testing import FakePandaPon

pytest_plugins = ["pandapon.testing.pytest_plugin"]


def test_sync_client_fixture(pandapon_fake: FakePandaPon, pandapon_client: PandaPon) -> None:
    page = pandapon_client.taobao.products.search(keyword="", page_no=1, page_size=3)
    assert isinstance(page, dict)
    assert len(page["data"]) == 3
    assert pandapon_fake.request_log[-1].path == "/open/product/item/search"


@pytest.mark.anyio
async def test_async_client_fixture(pandapon_fake: FakePandaPon, pandapon_async_client: AsyncPandaPon) -> None:
    product = pandapon_fake.state.products[0]
    got = await pandapon_async_client.taobao.products.get(product.item_id)
    assert got.item_id == product.item_id
