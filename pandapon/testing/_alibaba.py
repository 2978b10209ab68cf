"""1688 endpoints: goods and marketing; the ``beginPage`` page the 1688 order list shares."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from . import _serialize_1688 as wire
from ._base import Params, bad, not_found
from ._records import Offer
from ._routes import Context, RouteTable
from ._strict import BEGIN_PAGE, IMAGE_BASE64

__all__ = ["TABLE", "page", "paging"]

TABLE = RouteTable()
route = TABLE.route


def page(rows: Sequence[object], begin_page: int, page_size: int) -> dict[str, object]:
    """The 1688 page: ``{totalRecords, totalPage, pageSize, currentPage, data}``."""
    start = (begin_page - 1) * page_size
    return {
        "totalRecords": len(rows),
        "totalPage": math.ceil(len(rows) / page_size),
        "pageSize": page_size,
        "currentPage": begin_page,
        "data": list(rows[start : start + page_size]),
    }


def paging(ctx: Context) -> tuple[int, int]:
    """Read the 1-based page number and the page size of a 1688 page request.

    A page below 1 is refused under the strict rule ``begin_page``, else answered as page 1.
    """
    p = ctx.params
    # The searches document beginPage; the v2 recommendation calls use pageNo. Either is accepted.
    key = "beginPage" if p.has("beginPage") or not p.has("pageNo") else "pageNo"
    page_no = p.integer_or(key, 1, minimum=1) if BEGIN_PAGE in ctx.strict else max(1, p.integer_or(key, 1))
    return page_no, p.integer_or("pageSize", 20, minimum=1, maximum=50)


def _filtered(p: Params, offers: Iterable[Offer]) -> list[Offer]:
    keyword = (p.text_or_none("keyword") or "").lower()
    low = p.decimal_or_none("priceStart", minimum=Decimal(0))
    high = p.decimal_or_none("priceEnd", minimum=Decimal(0))
    if low is not None and high is not None and low > high:
        raise bad(f"param 'priceStart' ({low}) must not exceed 'priceEnd' ({high})")
    category = p.integer_or_none("categoryId")
    p.text_or_none("filter")  # comma-separated flags; the fake accepts and ignores them
    sort = p.json_text_or_none("sort", "object")
    found = [
        o
        for o in offers
        if (not keyword or keyword in o.subject.lower() or keyword in o.subject_trans.lower())
        and (low is None or o.price >= low)
        and (high is None or o.price <= high)
        and (category is None or o.category_id == category)
    ]
    if sort is not None:
        for field, direction in sort.items():
            if field not in ("price", "monthSold"):
                raise bad(f"param 'sort': expected keys 'price' or 'monthSold', got {field!r}")
            if direction not in ("asc", "desc"):
                raise bad(f"param 'sort.{field}': expected 'asc' or 'desc', got {direction!r}")
            key: Callable[[Offer], Decimal] = (
                (lambda o: o.price) if field == "price" else (lambda o: Decimal(o.month_sold))
            )
            found.sort(key=key, reverse=direction == "desc")
    return found


def _search(ctx: Context, offers: Iterable[Offer] | None = None) -> object:
    p = ctx.params
    begin_page, size = paging(ctx)
    found = _filtered(p, ctx.state.offers if offers is None else offers)
    return page([wire.offer_row(o) for o in found], begin_page, size)


@route("POST", "/alibaba/product/detail/get")
def detail_get(ctx: Context) -> object:
    p = ctx.params
    offer = ctx.state.offer(p.integer("offerId", minimum=1))
    p.text_or_none("country")
    return wire.offer_detail(offer)


@route("POST", "/alibaba/product/openuid/decrypt")
def openuid_decrypt(ctx: Context) -> object:
    p = ctx.params
    ctx.state.offer(p.text("offerId"))
    open_uid = p.text("openUid")
    seller = next((s for s in ctx.state.sellers if s.open_id == open_uid), None)
    if seller is None:
        raise not_found("openUid", open_uid)
    return {
        "wangwangNick": seller.wangwang,
        "wangwangUrl": f"https://amos.alicdn.com/getcid.aw?uid={seller.wangwang}&site=cnalichn",
    }


@route("POST", "/alibaba/product/keywords/query")
def keywords_query(ctx: Context) -> object:
    return _search(ctx)


@route("POST", "/alibaba/product/image/query")
def image_query(ctx: Context) -> object:
    p = ctx.params
    if IMAGE_BASE64 in ctx.strict:
        image = p.text_or_none("imageBase64")
        if image is None:
            raise p.missing("imageBase64", "a base64 image (strict rule 'image_base64': imageAddress alone is refused)")
    else:
        image = p.text_or_none("imageBase64") or p.text_or_none("imageAddress")
        if image is None:
            raise p.missing("imageBase64", "a base64 image (or imageAddress)")
    p.text_or_none("region")
    ranked = sorted(ctx.state.offers, key=lambda o: hashlib.sha256((image + str(o.offer_id)).encode()).digest())
    return _search(ctx, ranked)


@route("POST", "/alibaba/product/query/selleroffer")
def seller_offer_query(ctx: Context) -> object:
    open_id = ctx.params.text_or_none("sellerOpenId")
    return _search(ctx, [o for o in ctx.state.offers if open_id is None or o.seller.open_id == open_id])


@route("POST", "/alibaba/product/category/get")
def category_get(ctx: Context) -> object:
    p = ctx.params
    category_id = p.integer("categoryId", minimum=1)
    language = p.text_or_none("language") or p.text_or_none("country") or "en"
    offer = next((o for o in ctx.state.offers if o.category_id == category_id), None)
    if offer is None:
        raise not_found("categoryId", category_id)
    return {
        "categoryId": category_id,
        "chineseName": offer.category_name,
        "translatedName": offer.subject_trans.split()[-1],
        "language": language,
        "leaf": True,
        "level": "3",
        "parentCateId": 10166,
    }


@route("POST", "/alibaba/product/productRecommendQuery")
def recommend(ctx: Context) -> object:
    p = ctx.params
    page_no = p.integer_or("pageNo", 1, minimum=1)
    size = p.integer_or("pageSize", 10, minimum=1, maximum=50)
    rows = sorted(ctx.state.offers, key=lambda o: -o.month_sold)
    start = (page_no - 1) * size
    return {"pageNo": page_no, "pageSize": size, "data": [wire.offer_row(o) for o in rows[start : start + size]]}


@route("POST", "/alibaba/product/productRelatedRecommendQuery")
def related(ctx: Context) -> object:
    p = ctx.params
    offer = ctx.state.offer(p.text("offerId"))
    page_no = p.integer_or("pageNo", 1, minimum=1)
    size = p.integer_or("pageSize", 10, minimum=1, maximum=50)
    p.text_or_none("language")
    rows = [o for o in ctx.state.offers if o.category_id == offer.category_id and o is not offer]
    start = (page_no - 1) * size
    # data is the row array itself: the upstream product.related.recommend answers a plain array, no page object.
    return [wire.offer_row(o) for o in rows[start : start + size]]


@route("POST", "/alibaba/product/global/keywords/query")
def global_selection(ctx: Context) -> object:
    return _search(ctx, [o for o in ctx.state.offers if o.month_sold % 2 == 0])


@route("POST", "/alibaba/product/strict/keywords/query")
def strict_selection(ctx: Context) -> object:
    return _search(ctx, [o for o in ctx.state.offers if o.month_sold % 3 != 0])


@route("POST", "/alibaba/product/hotlist/query")
def hot_list(ctx: Context) -> object:
    return _search(ctx, sorted(ctx.state.offers, key=lambda o: -o.month_sold)[:8])
