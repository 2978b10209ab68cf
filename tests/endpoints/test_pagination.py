"""Iteration over every row of every page, async and sync, honouring each endpoint's page parameters."""

from __future__ import annotations

import json

import httpx
import pytest

from pandapon import AsyncPandaPon, PandaPon
from pandapon.types import AlibabaProductsSearchByKeywordData, AlibabaProductsSearchByKeywordResult
from tests.helpers import CREDS, envelope

ROWS = [
    {"imageUrl": f"https://img/{i}.jpg", "subject": f"T恤 {i}", "offerId": 700000000000 + i, "rowTag": f"r{i}"}
    for i in range(11)
]


class KeywordPages:
    """1688 keyword search: beginPage/pageSize in the body, totals in data (API notes §9)."""

    def __init__(self) -> None:
        self.pages: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        page, size = body["beginPage"], body["pageSize"]
        self.pages.append(page)
        rows = ROWS[(page - 1) * size : page * size]
        total_pages = -(-len(ROWS) // size)
        data = {
            "totalRecords": len(ROWS),
            "totalPage": total_pages,
            "pageSize": size,
            "currentPage": page,
            "data": rows,
        }
        return httpx.Response(200, json=envelope(data))


class TaobaoPages:
    """Taobao product search: pageNo/pageSize, no totals: stop on a short page."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pages: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        page, size = body["pageNo"], body["pageSize"]
        self.pages.append(page)
        rows = [{"itemId": i} for i in range(self.total)][(page - 1) * size : page * size]
        return httpx.Response(200, json=envelope({"pageNo": page, "pageSize": size, "data": rows}))


@pytest.mark.anyio
async def test_async_iteration_walks_every_page_and_stops_at_total_page() -> None:
    handler = KeywordPages()
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        page = await client.alibaba.products.search_by_keyword(keyword="T恤", begin_page=1, page_size=4)
        assert isinstance(page, AlibabaProductsSearchByKeywordResult)
        assert page.total_page == 3
        assert page.data is not None
        assert page.data[0].offer_id == "700000000000"  # an upstream row field, id kept as str
        assert page.data[0].extra == {"rowTag": "r0"}  # unknown row fields kept
        handler.pages.clear()
        items = [item async for item in client.alibaba.products.iter_search_by_keyword(keyword="T恤", page_size=4)]
    assert handler.pages == [1, 2, 3]
    assert [i.subject for i in items] == [r["subject"] for r in ROWS]
    assert all(isinstance(i, AlibabaProductsSearchByKeywordData) for i in items)


@pytest.mark.anyio
async def test_iteration_starts_at_the_requested_page() -> None:
    handler = KeywordPages()
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        items = [
            i async for i in client.alibaba.products.iter_search_by_keyword(keyword="x", begin_page=2, page_size=5)
        ]
    assert handler.pages == [2, 3]
    assert len(items) == 6


@pytest.mark.anyio
@pytest.mark.parametrize(("total", "pages"), [(0, [1]), (3, [1]), (10, [1, 2, 3]), (8, [1, 2, 3])])
async def test_page_number_family_stops_on_empty_or_short_page(total: int, pages: list[int]) -> None:
    handler = TaobaoPages(total)
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        items = [i async for i in client.taobao.products.iter_search(keyword="x", page_size=4)]
    assert len(items) == total
    assert handler.pages == pages


def test_sync_iteration_fetches_one_page_at_a_time() -> None:
    handler = KeywordPages()
    with PandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        iterator = client.alibaba.products.iter_search_by_keyword(keyword="T恤", page_size=5)
        first = next(iterator)
        assert first.subject == "T恤 0"
        assert handler.pages == [1]  # lazily: only the first page so far
        rest = list(iterator)
    assert len(rest) == 10
    assert handler.pages == [1, 2, 3]


def test_sync_iteration_closed_early_releases_the_generator() -> None:
    handler = KeywordPages()
    with PandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        for item in client.alibaba.products.iter_search_by_keyword(keyword="T恤", page_size=2):
            assert item.subject == "T恤 0"
            break
        # the client is still usable after abandoning an iterator
        assert client.alibaba.products.search_by_keyword(keyword="y", begin_page=1, page_size=2).current_page == 1
    assert handler.pages == [1, 1]
