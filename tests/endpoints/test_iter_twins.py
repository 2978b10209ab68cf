"""Every operation that pages has an ``iter_*`` twin, async and sync, and each one walks every page of the fake.

The fake is seeded with more rows than one page for each list (orders, refunds, messages of a refund, 1688 orders);
the catalogue's 12 products and 12 offers fill the searches. Each twin runs on asyncio and trio, async and sync.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

import pandapon
from pandapon import AsyncPandaPon, InvalidInputError, PandaPon
from pandapon._generated.operations import OPERATIONS
from pandapon.testing import FakePandaPon
from pandapon.testing._records import AlibabaLine, AlibabaOrder, TaobaoRefund
from pandapon.testing._taobao import new_order
from pandapon.testing._taobao_aftersales import _message
from tests.helpers import CREDS, envelope

#: Every ``iter_*`` twin: the eight added for issue 15 and the six before them.
TWINS = {
    "alibaba.marketing.global_selection",
    "alibaba.marketing.hot_list",
    "alibaba.marketing.strict_selection",
    "alibaba.orders.list",
    "alibaba.products.recommend",
    "alibaba.products.related",
    "alibaba.products.search_by_image",
    "alibaba.products.search_by_keyword",
    "alibaba.products.search_store",
    "taobao.orders.list",
    "taobao.products.search",
    "taobao.products.search_by_image",
    "taobao.refunds.list",
    "taobao.refunds.list_messages",
}
RECEIVER = {"name": "张三", "mobilePhone": "15068763421", "country": "中国", "address": "文一西路 969 号"}
ADDRESS = {"fullName": "张三", "mobile": "15068763421", "provinceText": "浙江省", "cityText": "杭州市", "address": "x"}


def seeded() -> FakePandaPon:
    """A fake with 7 Taobao orders, 5 reverse orders (the first with 7 messages) and 5 1688 orders."""
    fake = FakePandaPon(seed=15)
    state, now = fake.state, fake.now()
    orders = []
    for i in range(7):
        product = state.products[i % len(state.products)]
        sku = max(product.skus, key=lambda s: s.stock)
        line = (product, sku.sku_id, 1, sku.price, "1", "CNY")
        orders.append(
            new_order(
                state,
                [line],
                receiver=RECEIVER,
                purchase_amount=sku.price,
                seller_order_number=f"SO-{i}",
                order_source=None,
                now=now + i,
            )
        )
    for i, order in enumerate(orders[:5]):
        refund = TaobaoRefund(
            refund_id=state.new_id(12, "1100"),
            order=order,
            line=order.lines[0],
            refund_type=0,
            goods_status=0,
            reason_id=1,
            reason_desc="不想要了",
            refund_fee=order.lines[0].price,
            refund_desc="",
            status=10,
            created_at=now + i,
        )
        state.taobao_refunds[refund.refund_id] = refund
    first = next(iter(state.taobao_refunds.values()))
    for i in range(7):
        _message(state, first, "BUYER", f"message {i}", [], now + i)
    for i in range(5):
        offer = state.offers[i]
        spec = offer.specs[0]
        entry = AlibabaLine(entry_id=int(state.new_id(19, "2")), offer=offer, spec=spec, quantity=1, price=spec.price)
        order_id = state.new_id(19, "20")
        state.orders[order_id] = AlibabaOrder(
            order_id=order_id,
            seller=offer.seller,
            flow="general",
            message=None,
            trade_type="fxassure",
            address=dict(ADDRESS),
            lines=[entry],
            status="waitbuyerpay",
            created_at=now + i,
            shipping_fee=Decimal(0),
        )
    return fake


@attrs.frozen
class Case:
    """One twin: how to call it on ``fake`` (args, kwargs), how many rows it must yield, its page size and path."""

    op: str
    path: str
    call: Callable[[FakePandaPon], tuple[tuple[Any, ...], dict[str, Any]]]
    rows: Callable[[FakePandaPon], int]
    size: int


def _related(fake: FakePandaPon) -> Any:
    """The offer whose category has the most other offers."""
    offers = fake.state.offers
    return max(offers, key=lambda o: sum(x.category_id == o.category_id for x in offers))


def _same_category(fake: FakePandaPon) -> int:
    offer = _related(fake)
    return sum(o.category_id == offer.category_id and o is not offer for o in fake.state.offers)


CASES = [
    Case("taobao.products.search", "/open/product/item/search", lambda f: ((), {"page_size": 5}), lambda f: 12, 5),
    Case(
        "taobao.products.search_by_image",
        "/open/product/image/search",
        lambda f: (({"imageUrl": "https://img.example/cat.jpg", "pageSize": 4},), {}),
        lambda f: 10,  # the fake ranks the catalogue and answers the 10 most similar
        4,
    ),
    Case("taobao.orders.list", "/open/order/page", lambda f: (({"pageSize": 3},), {}), lambda f: 7, 3),
    Case("taobao.refunds.list", "/open/order/refund/queryList", lambda f: ((2,), {}), lambda f: 5, 2),
    Case(
        "taobao.refunds.list_messages",
        "/open/order/refund/message/queryList",
        lambda f: (({"refundId": next(iter(f.state.taobao_refunds)), "pageSize": 3},), {}),
        lambda f: 7,
        3,
    ),
    Case(
        "alibaba.products.search_by_keyword",
        "/alibaba/product/keywords/query",
        lambda f: ((), {"page_size": 5}),
        lambda f: 12,
        5,
    ),
    Case(
        "alibaba.products.search_by_image",
        "/alibaba/product/image/query",
        lambda f: (("aGVsbG8=",), {"page_size": 5}),
        lambda f: 12,
        5,
    ),
    Case(
        "alibaba.products.search_store",
        "/alibaba/product/query/selleroffer",
        lambda f: ((), {"page_size": 5}),
        lambda f: 12,
        5,
    ),
    Case(
        "alibaba.products.related",
        "/alibaba/product/productRelatedRecommendQuery",
        lambda f: ((), {"offer_id": _related(f).offer_id, "page_size": 1}),
        _same_category,
        1,
    ),
    Case(
        "alibaba.products.recommend",
        "/alibaba/product/productRecommendQuery",
        lambda f: (({"pageSize": 5},), {}),
        lambda f: 12,
        5,
    ),
    Case("alibaba.orders.list", "/alibaba/order/page", lambda f: (({"pageSize": 2},), {}), lambda f: 5, 2),
    Case(
        "alibaba.marketing.global_selection",
        "/alibaba/product/global/keywords/query",
        lambda f: (({"pageSize": 2},), {}),
        lambda f: sum(o.month_sold % 2 == 0 for o in f.state.offers),
        2,
    ),
    Case(
        "alibaba.marketing.strict_selection",
        "/alibaba/product/strict/keywords/query",
        lambda f: (({"pageSize": 2},), {}),
        lambda f: sum(o.month_sold % 3 != 0 for o in f.state.offers),
        2,
    ),
    Case(
        "alibaba.marketing.hot_list",
        "/alibaba/product/hotlist/query",
        lambda f: (({"pageSize": 3},), {}),
        lambda f: 8,
        3,
    ),
]


def _method(client: object, op: str) -> Any:
    *resource, name = op.split(".")
    target: Any = client
    for part in resource:
        target = getattr(target, part)
    return getattr(target, "iter_" + name)


def _totals(op: str) -> bool:
    """Whether the operation stops at a total-pages field (else on a short or empty page)."""
    resource, name, _ = OPERATIONS[op]
    module = importlib.import_module(f"pandapon._generated.resources.{resource.replace('.', '_')}")
    pagination = getattr(module, "_" + name.upper()).pagination
    return pagination.total_pages_field is not None


def _check(fake: FakePandaPon, case: Case, rows: list[Any]) -> None:
    expected = case.rows(fake)
    assert expected > case.size, "the seed must fill more than one page"
    assert len(rows) == expected
    wire = [json.dumps(pandapon.CONVERTER.unstructure(r), sort_keys=True, default=str) for r in rows]
    assert len(set(wire)) == len(wire), "a row came twice"
    pages = [r for r in fake.request_log if r.path == case.path]
    # Stops at totalPage, or at a short last page (a full one is followed by one empty page).
    empty = 0 if _totals(case.op) or expected % case.size else 1
    assert len(pages) == math.ceil(expected / case.size) + empty
    assert all(r.status == 200 and r.code == 200 for r in pages)


def test_every_paging_operation_has_both_twins_and_only_those() -> None:
    paged = {op for op, (_, _, paginated) in OPERATIONS.items() if paginated}
    assert paged == TWINS == {c.op for c in CASES}
    for cls in (AsyncPandaPon, PandaPon):
        client = cls(**CREDS)
        for op in OPERATIONS:
            *resource, name = op.split(".")
            target: Any = client
            for part in resource:
                target = getattr(target, part)
            assert hasattr(target, "iter_" + name) == (op in TWINS), (cls.__name__, op)
    # The cart lists answer every item in one response (the 1688 one documents no parameters): no page to walk.
    assert not {"taobao.cart.list", "alibaba.cart.list"} & TWINS


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.op)
async def test_async_twin_walks_every_page_of_the_fake(case: Case) -> None:
    fake = seeded()
    args, kwargs = case.call(fake)
    async with fake.async_client() as client:
        rows = [row async for row in _method(client, case.op)(*args, **kwargs)]
    _check(fake, case, rows)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.op)
def test_sync_twin_walks_every_page_of_the_fake(case: Case, backend: str) -> None:
    fake = seeded()
    args, kwargs = case.call(fake)
    with fake.client(backend=backend) as client:  # type: ignore[arg-type]
        iterator = _method(client, case.op)(*args, **kwargs)
        first = next(iterator)
        assert len([r for r in fake.request_log if r.path == case.path]) == 1  # one page at a time
        rows = [first, *iterator]
    _check(fake, case, rows)


# ---------------------------------------------------------------------------- per-call options and odd servers


class PageRecorder:
    """Answers ``pageNo`` pages of 3 rows out of 7 (``ignore_page``: always the first page) and records requests."""

    def __init__(self, *, ignore_page: bool = False) -> None:
        self.ignore_page = ignore_page
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.loads(request.content) if request.content else {}
        page = 1 if self.ignore_page else int(body.get("pageNo") or request.url.params.get("pageNo") or 1)
        rows = [{"messageId": str(i)} for i in range(7)][(page - 1) * 3 : page * 3]
        return httpx.Response(200, json=envelope({"pageNo": page, "pageSize": 3, "data": rows}))


@pytest.mark.anyio
async def test_the_per_call_options_reach_every_page_request() -> None:
    handler = PageRecorder()
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        rows = [
            r
            async for r in client.taobao.refunds.iter_list_messages(
                {"refundId": "1"},
                extra_headers={"X-Trace": "t-1"},
                extra_query={"lang": "en"},
                extra_body={"pageSize": 3},
                timeout=5.0,
            )
        ]
    assert len(rows) == 7
    assert [json.loads(r.content)["pageNo"] for r in handler.requests] == [1, 2, 3]
    assert all(r.headers["x-trace"] == "t-1" and r.url.params["lang"] == "en" for r in handler.requests)
    assert all(json.loads(r.content)["pageSize"] == 3 for r in handler.requests)


@pytest.mark.anyio
async def test_a_page_size_in_extra_body_is_the_one_the_walk_counts_with() -> None:
    """``extra_body`` wins over the typed field on the wire, so the iterator must count pages with its size too: a
    typed 10 overridden by 3 walks every page of 3 (it used to stop after the first, "shorter than 10")."""
    handler = PageRecorder()
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        rows = [r async for r in client.taobao.products.iter_search(page_size=10, extra_body={"pageSize": 3})]
    assert len(rows) == 7
    assert [json.loads(r.content)["pageNo"] for r in handler.requests] == [1, 2, 3]
    assert all(json.loads(r.content)["pageSize"] == 3 for r in handler.requests)


def test_the_per_call_options_reach_every_page_request_on_the_sync_client() -> None:
    handler = PageRecorder()
    with PandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        rows = list(client.taobao.orders.iter_list({"pageSize": 3}, extra_headers={"X-Trace": "t-2"}))
    assert len(rows) == 7
    assert [r.url.params["pageNo"] for r in handler.requests] == ["1", "2", "3"]
    assert {r.headers["x-trace"] for r in handler.requests} == {"t-2"}


@pytest.mark.anyio
async def test_a_server_that_ignores_the_page_number_ends_the_walk_after_one_page() -> None:
    handler = PageRecorder(ignore_page=True)
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        rows = [r async for r in client.taobao.products.iter_search_by_image({"imageUrl": "https://x/y.jpg"})]
    assert len(rows) == 3  # the first page once: its repeat on page 2 stops the walk
    assert len(handler.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "value"), [("extra_body", {"pageNo": 5}), ("extra_query", {"pageNo": 5})])
async def test_the_page_parameter_belongs_to_the_iterator(name: str, value: dict[str, object]) -> None:
    handler = PageRecorder()
    async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidInputError, match=f"{name} may not set 'pageNo'") as info:
            async for _ in client.taobao.refunds.iter_list_messages({"refundId": "1"}, **{name: value}):
                pass  # pragma: no cover - refused before the first page
    assert info.value.parameter == name
    assert handler.requests == []


# ---------------------------------------------------------------------------- the overrides' pagination rules

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = (
    REPO / "tests" / "evidence" / "endpoints.json"
)  # the vendored catalogue (tests/spec/test_response_evidence.py checks it against ../shared)


@pytest.mark.parametrize(
    ("key", "change", "message"),
    [
        ("GET /open/order/page", lambda p: p.pop("basis"), "pagination of unknown request fields needs a basis"),
        ("GET /open/order/page", lambda p: p.update(basis="pageNo, like the others"), "needs a basis 'Inferred: ...'"),
        ("POST /open/product/item/search", lambda p: p.update(page_param="page"), "pagination page_param 'page'"),
        ("POST /open/product/item/search", lambda p: p.update(extra=1), "pagination keys must be"),
    ],
)
def test_the_spec_tool_refuses_pagination_it_cannot_back(
    key: str, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    if not CATALOGUE.is_file():
        pytest.skip(f"catalogue not present: {CATALOGUE}")
    loaded = importlib.util.spec_from_file_location("catalogue_to_openapi", REPO / "tools" / "catalogue_to_openapi.py")
    assert loaded is not None and loaded.loader is not None
    tool = importlib.util.module_from_spec(loaded)
    sys.modules.setdefault("catalogue_to_openapi", tool)
    loaded.loader.exec_module(tool)
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    overrides = json.loads((REPO / "tools" / "spec_overrides.json").read_text(encoding="utf-8"))
    tool.build_document(catalogue, overrides)  # as committed: accepted
    change(overrides[key]["pagination"])
    with pytest.raises(tool.CatalogueError, match=re.escape(message)):
        tool.build_document(catalogue, overrides)
