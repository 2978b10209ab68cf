"""Per-call options: what one call (a generated method, an ``iter_*`` page, ``client.request``) changes for itself.

Every generated method takes them keyword-only (``**options: Unpack[CallOptions]``), like openai-python's:

- ``extra_headers``: merged over the SDK's headers and ``default_headers`` (a same-named one wins), before signing.
  The signature headers (``access-key``, ``timestamp``, ``nonce-str``, ``user-id``, ``signature``) and the ones the
  transport sets (``host``, ``content-length``, ``transfer-encoding``) are refused: the signer rewrites the former
  on every attempt, so a value there could only be silently lost.
- ``extra_query``: merged over the query after the typed fields (a same-named key wins); ``None`` values are left
  out. On query-signed endpoints ``timestamp`` and ``sign`` are refused (the signer owns them).
- ``extra_body``: merged over the JSON body after the typed fields, by wire name (a same-named key wins, ``None``
  is sent as ``null``). Refused where the request has no JSON body (GET and path-only endpoints: use
  ``extra_query``).
- ``timeout`` (per attempt; ``None``: none), ``deadline`` (the whole call; ``None``: none) and ``max_retries``
  replace the client's settings for this call.

A call that passes none of them takes none of this module's code: :meth:`Pipeline.call` gets the method's empty
``**options`` dict as it is (no copy) and goes on with the client's settings after one truth test. (Six explicit
keyword parameters passed on cost about four times as much per call as the one ``**options`` dict.)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, cast

import attrs
import httpx

from .._exceptions import InvalidInputError
from .._signing import SIGNATURE_HEADERS
from .._types import NOT_GIVEN, NotGiven
from .._validate import is_count, is_seconds, shown

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._endpoint import Endpoint
elif sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover - Python 3.10 (anyio requires typing_extensions there)
    from typing_extensions import Unpack

# ``Unpack`` is here at run time so that ``typing.get_type_hints`` resolves the generated methods'
# ``**options: Unpack[CallOptions]`` (the CLI reads them; so do tools like pydantic's validate_call).
__all__ = ["CallOptions", "PerCall", "Unpack", "per_call"]


class CallOptions(TypedDict, total=False):
    """The per-call options of every endpoint method, ``iter_*`` method and ``client.request`` (keyword-only).

    Attributes:
        extra_headers: headers merged over the SDK's and ``default_headers`` (not the signature headers).
        extra_query: query parameters merged over the typed ones.
        extra_body: JSON body fields merged over the typed ones, by wire name.
        timeout: seconds per attempt, an ``httpx.Timeout``, or ``None`` for none (this call only).
        deadline: seconds for the whole call, retries included, or ``None`` for none (this call only).
        max_retries: retries after the first attempt (this call only).
    """

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, object] | None
    timeout: float | httpx.Timeout | NotGiven | None
    deadline: float | NotGiven | None
    max_retries: int | NotGiven


_NAMES = ("extra_headers", "extra_query", "extra_body", "timeout", "deadline", "max_retries")

_TRANSPORT_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
_QUERY_SIGNATURE = frozenset({"timestamp", "sign"})
_BAD_NAME = re.compile(r"[\s:\0]|^$")
_BAD_VALUE = re.compile(r"[\r\n\0]")


class PerCall:
    """One call's own settings, checked; ``None`` (or ``NOT_GIVEN`` for ``deadline``) keeps the client's.

    Attributes:
        headers: lower-cased extra headers.
        timeouts: httpx's timeout mapping for each attempt.
        deadline: seconds for the whole call (``None``: none).
        max_retries: retries after the first attempt.
    """

    __slots__ = ("deadline", "headers", "max_retries", "timeouts")

    def __init__(
        self,
        headers: Mapping[str, str] | None,
        timeouts: Mapping[str, float | None] | None,
        deadline: float | NotGiven | None,
        max_retries: int | None,
    ) -> None:
        self.headers, self.timeouts, self.deadline, self.max_retries = headers, timeouts, deadline, max_retries


def _fail(endpoint: Endpoint[Any], name: str, expected: str, value: object) -> InvalidInputError:
    return InvalidInputError(
        f"{endpoint.operation_id}(): {name} must be {expected}, got {shown(value)} ({type(value).__name__})",
        parameter=name,
    )


def _mapping(endpoint: Endpoint[Any], name: str, value: object) -> Mapping[str, object]:
    given: object = value
    if type(value) is dict or isinstance(value, Mapping):  # a dict skips the ABC check
        mapping = cast("Mapping[object, object]", value)
        if all(isinstance(k, str) and k for k in mapping):
            return cast("Mapping[str, object]", mapping)
    raise _fail(endpoint, name, "a mapping of non-empty str names to values", given)


def _headers(endpoint: Endpoint[Any], value: object) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, text in _mapping(endpoint, "extra_headers", value).items():
        if not isinstance(text, str) or _BAD_NAME.search(name) or _BAD_VALUE.search(text):
            raise _fail(endpoint, "extra_headers", f"a mapping of header names to str values (at {name!r})", value)
        lower = name.lower()
        if lower in SIGNATURE_HEADERS or lower in _TRANSPORT_HEADERS:
            who = "the signer sets it on every attempt" if lower in SIGNATURE_HEADERS else "the transport sets it"
            raise InvalidInputError(
                f"{endpoint.operation_id}(): extra_headers may not set {name!r}: {who} (signature headers: "
                f"{', '.join(sorted(SIGNATURE_HEADERS))}; pass signer= to the client for another scheme)",
                parameter="extra_headers",
            )
        headers[lower] = text
    return headers


def _timeouts(endpoint: Endpoint[Any], value: object) -> Mapping[str, float | None]:
    if isinstance(value, httpx.Timeout):
        return value.as_dict()
    if value is not None and not is_seconds(value):
        raise _fail(endpoint, "timeout", "positive seconds, an httpx.Timeout or None (no timeout)", value)
    return {"connect": value, "read": value, "write": value, "pool": value}  # httpx.Timeout(value).as_dict()


def _deadline(endpoint: Endpoint[Any], value: object) -> float | None:
    if value is not None and not is_seconds(value):
        raise _fail(endpoint, "deadline", "positive seconds or None (no deadline)", value)
    return value


def _retries(endpoint: Endpoint[Any], value: object) -> int:
    if not is_count(value):
        raise _fail(endpoint, "max_retries", "a non-negative int", value)
    return value


def per_call(
    endpoint: Endpoint[Any],
    wire: Mapping[str, object] | None,
    params: Mapping[str, object] | None,
    options: Mapping[str, object],
) -> tuple[Endpoint[Any], Mapping[str, object] | None, Mapping[str, object] | None, PerCall]:
    """Check one call's options and apply the ``extra_*`` ones: the endpoint, body and query to send, and the rest.

    Raises:
        InvalidInputError: naming the parameter, before anything is sent (an unknown keyword included: a typo
            would otherwise change nothing).
    """
    unknown = [name for name in options if name not in _NAMES]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], _NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; the per-call options are {', '.join(_NAMES)}"
        raise InvalidInputError(
            f"{endpoint.operation_id}() got an unexpected keyword argument {unknown[0]!r}{hint}", parameter=unknown[0]
        )
    extra_headers = options.get("extra_headers")
    extra_query = options.get("extra_query")
    extra_body = options.get("extra_body")
    timeout = options.get("timeout", NOT_GIVEN)
    deadline = options.get("deadline", NOT_GIVEN)
    max_retries = options.get("max_retries", NOT_GIVEN)
    headers = None if extra_headers is None else _headers(endpoint, extra_headers)
    if extra_query is not None:
        query = _mapping(endpoint, "extra_query", extra_query)
        if endpoint.auth == "query-sign" and _QUERY_SIGNATURE & set(query):
            raise InvalidInputError(
                f"{endpoint.operation_id}(): extra_query may not set {sorted(_QUERY_SIGNATURE & set(query))}: the "
                "query signer sets timestamp and sign on every attempt",
                parameter="extra_query",
            )
        params = {**params, **query} if params else query
    if extra_body is not None:
        body = _mapping(endpoint, "extra_body", extra_body)
        if endpoint.location not in ("body", None) or endpoint.method in ("GET", "HEAD"):
            raise InvalidInputError(
                f"{endpoint.operation_id}(): extra_body needs a request with a JSON body; "
                f"{endpoint.method} {endpoint.path} sends its fields in the "
                f"{'query' if endpoint.location == 'query' or endpoint.method in ('GET', 'HEAD') else 'path'}: "
                "use extra_query",
                parameter="extra_body",
            )
        if endpoint.location is None:  # e.g. client.request("POST", path) without json=: the body is extra_body
            endpoint = attrs.evolve(endpoint, location="body")
        wire = {**wire, **body} if wire else dict(body)
    per = PerCall(
        headers,
        None if timeout is NOT_GIVEN else _timeouts(endpoint, timeout),
        NOT_GIVEN if deadline is NOT_GIVEN else _deadline(endpoint, deadline),
        None if max_retries is NOT_GIVEN else _retries(endpoint, max_retries),
    )
    return endpoint, wire, params, per
