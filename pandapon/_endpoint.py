"""Endpoint descriptions: the data the generator emits for each operation and the core executes."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

import attrs

from ._types import fields_repr

__all__ = ["Endpoint", "Pagination", "Reconcile"]

T = TypeVar("T")


# repr/eq: see _types.fields_repr (import time); descriptors are compared by identity.
@attrs.frozen(repr=False, eq=False)
class Pagination:
    """How a list endpoint pages: parameter names, where the rows are, and when to stop."""

    page_param: str
    size_param: str | None = None
    first_page: int = 1
    #: Keys leading from the envelope's ``data`` to the list of rows (``()`` when ``data`` is the list).
    items_path: tuple[str, ...] = ()
    #: Wire name of the total-pages field, when the response has one.
    total_pages_field: str | None = None
    current_page_field: str | None = None

    __repr__ = fields_repr


@attrs.frozen(repr=False, eq=False)
class Reconcile:
    """How to find the result of a write whose outcome is unknown, by a key the caller chose.

    Attributes:
        key: the wire field of the write's body that identifies it (e.g. ``sellerOrderNumber``).
        operation_id, method, path, location: the lookup endpoint (an idempotent read).
        param: the lookup's parameter that takes the key.
        items_path: keys from the lookup's ``data`` to its list of rows; a row whose ``key`` equals the value matches.
    """

    key: str
    operation_id: str
    method: str
    path: str
    location: Literal["body", "query"]
    param: str
    items_path: tuple[str, ...] = ()

    __repr__ = fields_repr


@attrs.frozen(repr=False, eq=False)
class Endpoint(Generic[T]):
    """One operation of the API description; ``T`` is what a call returns (``Endpoint[JSON]`` for raw JSON).

    Attributes:
        operation_id: ``<resource>.<method>``, e.g. ``taobao.orders.update_warehouse``; the key for path overrides.
        method, path: HTTP method and path (``{name}`` placeholders for path parameters).
        location: where the request model goes: ``"body"`` (JSON), ``"query"``, ``"path"`` or ``None``.
        result: the type the envelope's ``data`` is structured into.
        idempotent: safe to retry after the request may have reached the server.
        auth: ``"headers"`` (default signer) or ``"query-sign"`` (the logistics family's signer).
        envelope: ``"standard"`` or ``"code-msg-only"`` (no ``data``).
        confidence: ``documented``, ``corroborated`` or ``inferred``.
        pagination: set on list endpoints.
    """

    operation_id: str
    method: str
    path: str
    location: Literal["body", "query", "path"] | None
    result: Any
    idempotent: bool
    auth: Literal["headers", "query-sign"] = "headers"
    envelope: Literal["standard", "code-msg-only"] = "standard"
    confidence: Literal["documented", "corroborated", "inferred"] = "documented"
    pagination: Pagination | None = None
    path_params: tuple[str, ...] = ()
    reconcile: Reconcile | None = None

    __repr__ = fields_repr
