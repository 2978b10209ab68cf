"""Reconciliation: after a write whose outcome is unknown, look its result up by the key the caller chose."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import OutcomeUnknownError, PandaPonError
from .._types import as_list, as_object

if TYPE_CHECKING:
    from .._endpoint import Endpoint, Reconcile

__all__ = ["find_row", "lookup_endpoint", "reconcile"]

log = logging.getLogger("pandapon")

#: Runs one idempotent lookup (the pipeline's attempt loop, on the same deadline).
Lookup = Callable[["Endpoint[Any]", Mapping[str, object]], Awaitable[Any]]


def lookup_endpoint(rec: Reconcile) -> Endpoint[Any]:
    """The idempotent read that finds a write's result."""
    from .. import _types
    from .._endpoint import Endpoint

    return Endpoint(
        operation_id=rec.operation_id,
        method=rec.method,
        path=rec.path,
        location=rec.location,
        result=_types.JSON,
        idempotent=True,
    )


async def reconcile(endpoint: Endpoint[Any], error: OutcomeUnknownError, lookup: Lookup) -> Any:
    """The write's result found by its natural key; else ``error`` is raised (its ``reconciliation`` says why when
    the endpoint has a lookup)."""
    found = None if endpoint.reconcile is None else await _look_up(endpoint, endpoint.reconcile, error, lookup)
    if found is None:
        raise error
    return found


async def _look_up(endpoint: Endpoint[Any], rec: Reconcile, error: OutcomeUnknownError, lookup: Lookup) -> Any:
    value = (error.body or {}).get(rec.key)
    if value is None or value == "":
        return None
    try:
        data = await lookup(lookup_endpoint(rec), {rec.param: value})
    except PandaPonError as exc:
        log.warning("could not reconcile %s by %s=%r: %s", endpoint.operation_id, rec.key, value, exc)
        error.reconciliation = f"Looking it up by {rec.key}={value!r} with {rec.operation_id} failed: {exc}"
        return None
    row = find_row(rec, data, value)
    if row is not None:
        log.warning(
            "%s: the outcome was unknown (%s); found the result by %s=%r, not creating it again",
            endpoint.operation_id,
            type(error.cause).__name__,
            rec.key,
            value,
        )
        return row
    error.reconciliation = (
        f"Looked it up by {rec.key}={value!r} with {rec.operation_id}: not found (it may still appear)."
    )
    return None


def find_row(rec: Reconcile, data: object, value: object) -> dict[str, object] | None:
    """The row of a lookup's ``data`` whose ``rec.key`` is ``value`` (compared as text), or ``None``."""
    rows: object = data
    for key in rec.items_path:
        mapping = as_object(rows)
        rows = mapping.get(key) if mapping is not None else None
    for item in as_list(rows):
        row = as_object(item)
        if row is not None and str(row.get(rec.key)) == str(value):
            return row
    return None
