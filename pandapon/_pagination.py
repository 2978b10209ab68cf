"""Iteration over every row of a paginated endpoint, one page request at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from ._exceptions import InvalidInputError
from ._model import RequestModel

if TYPE_CHECKING:
    from ._endpoint import Endpoint
    from ._pipeline import Pipeline
    from ._pipeline._per_call import CallOptions

__all__ = ["iterate_items"]

T = TypeVar("T")

#: A safety bound: no endpoint is known to page further (1688 caps totals at 2000 records).
MAX_PAGES = 10_000


def _wire_get(obj: object, key: str) -> object:
    """Read ``key`` (a wire name) from a structured model or a plain mapping."""
    if isinstance(obj, Mapping):
        return cast("Mapping[str, object]", obj).get(key)
    cls = type(obj)
    if attrs.has(cls):
        for a in attrs.fields(cls):
            if a.metadata.get("wire", a.name) == key:
                return getattr(obj, a.name)
        extra: Mapping[str, object] = getattr(obj, "extra", {})
        return extra.get(key)
    return None


async def iterate_items(
    pipeline: Pipeline,
    endpoint: Endpoint[Any],
    request: RequestModel | Mapping[str, object] | None,
    call_options: CallOptions | None = None,
) -> AsyncIterator[Any]:
    """Yield every row of every page of ``endpoint``, starting at the request's page (or the first page).

    Stops on an empty page, on a page shorter than the page size, when the page number reaches the response's
    total-pages field, or on a page whose rows repeat the page before (a server that ignores the page parameter).
    The per-call options apply to every page request (``deadline`` to each one); they may not set the page
    parameter, which the iterator owns.
    """
    pagination = endpoint.pagination
    if pagination is None:  # pragma: no cover - the generator only emits iterators for paginated endpoints
        raise InvalidInputError(f"{endpoint.operation_id} is not paginated")
    extra_body, extra_query = (call_options or {}).get("extra_body"), (call_options or {}).get("extra_query")
    for name, extra in (("extra_body", extra_body), ("extra_query", extra_query)):
        if isinstance(extra, Mapping) and pagination.page_param in extra:
            raise InvalidInputError(
                f"iter_{endpoint.operation_id.rsplit('.', 1)[-1]}(): {name} may not set {pagination.page_param!r}: "
                "the iterator sets it on every page (pass the first page as the method's own argument)",
                parameter=name,
            )
    wire: dict[str, object] = dict(
        pipeline.converter.unstructure(request) if isinstance(request, RequestModel) else request or {}
    )
    page = wire.get(pagination.page_param)
    page_no = pagination.first_page if page is None else int(str(page))
    # The page size sent: an extra_* value wins over the typed field on the wire (see _per_call), so it wins here.
    size = None
    if pagination.size_param is not None:
        for source in (extra_body, extra_query, wire):
            if isinstance(source, Mapping) and source.get(pagination.size_param) is not None:
                size = source[pagination.size_param]
                break
    previous: list[object] = []
    for _ in range(MAX_PAGES):
        wire[pagination.page_param] = page_no
        result = await pipeline.call(endpoint, wire, call_options)
        rows: object = result
        for key in pagination.items_path:
            rows = _wire_get(rows, key)
        items: list[object] = list(cast("Iterable[object]", rows)) if isinstance(rows, (list, tuple)) else []
        if not items or items == previous:  # empty, or the page before again: the server ignores the page number
            return
        for item in items:
            yield item
        previous = items
        if size is not None and len(items) < int(str(size)):
            return
        if pagination.total_pages_field is not None:
            total = _wire_get(result, pagination.total_pages_field)
            current = _wire_get(result, pagination.current_page_field) if pagination.current_page_field else None
            reached = int(str(current)) if current is not None else page_no
            if total is not None and reached >= int(str(total)):
                return
        page_no += 1
