"""Request building: path, query and body of one attempt, encoded once per call with the one JSON encoder."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs
import httpx

from .._json import dumps
from .._wire import Prepared

if TYPE_CHECKING:
    from .._endpoint import Endpoint

__all__ = ["Builder", "unstructurer"]

_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
_GET_HEADERS = {"accept": "application/json"}


@functools.lru_cache(maxsize=512)
def unstructurer(cls: type) -> Callable[[Any], dict[str, object]]:
    """The converter's unstructure hook for a request model class (the converter's dispatch, once per class)."""
    from .._converter import CONVERTER

    return cast("Callable[[Any], dict[str, object]]", CONVERTER.get_unstructure_hook(cls))


def _unstructure(value: object) -> object:
    """A request model found inside a plain mapping: its wire form (the converter loads only when one is there)."""
    if attrs.has(type(value)):
        from .._converter import CONVERTER

        return CONVERTER.unstructure(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class Builder:
    """Builds each attempt's :class:`Prepared` request: the URL (path overrides applied), query and JSON body.

    Args:
        base_url: the platform's base URL.
        path_overrides: operation id → path.
        timeouts: httpx's timeout mapping for one attempt.
        default_headers: lower-cased headers for every request (they win over the SDK's own).
    """

    def __init__(
        self,
        base_url: str,
        path_overrides: Mapping[str, str],
        timeouts: Mapping[str, float | None],
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._overrides = path_overrides
        self.timeouts = timeouts
        self._json_headers = {**_JSON_HEADERS, **(default_headers or {})}
        self._get_headers = {**_GET_HEADERS, **(default_headers or {})}
        self._urls: dict[str, httpx.URL] = {}

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) > 1024:  # raw paths with ids in them: keep the cache bounded
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self._base + "/" + path.lstrip("/"))
        return url

    def wire(
        self, endpoint: Endpoint[Any], wire: Mapping[str, object] | None
    ) -> tuple[str, bytes | None, dict[str, str]]:
        """The path, body and query of ``wire`` (the request in wire names) for ``endpoint``; built once per call."""
        path = self._overrides.get(endpoint.operation_id, endpoint.path)
        query: dict[str, str] = {}
        content: bytes | None = None
        if wire is not None:
            if endpoint.path_params:
                fields = dict(wire)
                for name in endpoint.path_params:
                    path = path.replace("{" + name + "}", httpx.URL(str(fields.pop(name))).raw_path.decode())
                wire = fields
            if endpoint.location == "body":
                content = dumps(wire, fallback=_unstructure).encode("utf-8")
            else:
                query.update((k, _query_value(v)) for k, v in wire.items() if v is not None)
        return path, content, query

    def prepare(
        self,
        method: str,
        path: str,
        content: bytes | None,
        query: Mapping[str, str],
        params: Mapping[str, object] | None,
    ) -> Prepared:
        """A fresh attempt of the request (the signer changes its headers, so each attempt gets its own)."""
        url = self._url(path)
        if params:
            query = {**query, **{k: _query_value(v) for k, v in params.items() if v is not None}}
        if query:
            url = url.copy_merge_params(query)
        headers = dict(self._json_headers if content is not None else self._get_headers)
        return Prepared(method, url, headers, content, self.timeouts)
