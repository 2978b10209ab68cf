"""pandapon: the typed Python SDK for the PandaPon OpenAPI.

``AsyncPandaPon`` is the async client; ``PandaPon`` runs the same coroutines through one anyio portal for
synchronous code. Errors all derive from :class:`PandaPonError`.
"""

from __future__ import annotations

import typing as _typing

from ._client import AsyncPandaPon, RawResponse
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    BulkUsageError,
    ClientClosedError,
    ConfigurationError,
    HTTPStatusError,
    InvalidInputError,
    MalformedResponseError,
    OutcomeUnknownError,
    PandaPonError,
    PandaPonInferredEndpointWarning,
    RateLimitError,
    ResponseValidationError,
    WrongEventLoopError,
    WrongThreadError,
)
from ._ratelimit import RateLimiter, RedisRateLimiter, TokenBucket, Unlimited
from ._retry import RetryPolicy
from ._signing import HeaderSigner, QuerySigner
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__

if _typing.TYPE_CHECKING:
    from ._bulk import AsyncBulk, Bulk, BulkResult
    from ._converter import CONVERTER, make_converter
    from ._endpoint import Endpoint, Pagination
    from ._events import CallEnd, CallStart, Observer, RequestEvent, ResponseEvent, RetryEvent
    from ._model import Model, RequestModel
    from ._options import ClientOptions
    from ._pipeline._per_call import CallOptions
    from ._sync import PandaPon
    from ._transport import Transport
    from ._transport._aiohttp import AiohttpTransport
    from ._types import JSON

# Imported on first use, so that `import pandapon` does not pay for cattrs, the portal machinery, the endpoint
# descriptors, the model bases or ``decimal`` (the generated resources and the first response load those).
_LAZY = {
    "AsyncBulk": "_bulk",
    "Bulk": "_bulk",
    "BulkResult": "_bulk",
    "JSON": "_types",
    "Model": "_model",
    "RequestModel": "_model",
    "CONVERTER": "_converter",
    "make_converter": "_converter",
    "PandaPon": "_sync",
    "Endpoint": "_endpoint",
    "ClientOptions": "_options",
    "CallOptions": "_pipeline._per_call",
    "Transport": "_transport",
    "AiohttpTransport": "_transport._aiohttp",
    "Pagination": "_endpoint",
    "CallEnd": "_events",
    "CallStart": "_events",
    "Observer": "_events",
    "RequestEvent": "_events",
    "ResponseEvent": "_events",
    "RetryEvent": "_events",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pandapon' has no attribute {name!r}")
    value = getattr(__import__(f"pandapon.{module}", fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APITimeoutError",
    "AiohttpTransport",
    "AsyncBulk",
    "AsyncPandaPon",
    "AuthenticationError",
    "Bulk",
    "BulkResult",
    "BulkUsageError",
    "CONVERTER",
    "CallEnd",
    "CallOptions",
    "CallStart",
    "ClientClosedError",
    "ClientOptions",
    "ConfigurationError",
    "Endpoint",
    "HTTPStatusError",
    "HeaderSigner",
    "InvalidInputError",
    "JSON",
    "MalformedResponseError",
    "Model",
    "NOT_GIVEN",
    "NotGiven",
    "Observer",
    "OutcomeUnknownError",
    "Pagination",
    "PandaPon",
    "PandaPonError",
    "PandaPonInferredEndpointWarning",
    "QuerySigner",
    "RateLimitError",
    "RateLimiter",
    "RawResponse",
    "RedisRateLimiter",
    "RequestEvent",
    "RequestModel",
    "ResponseEvent",
    "ResponseValidationError",
    "RetryEvent",
    "RetryPolicy",
    "TokenBucket",
    "Transport",
    "Unlimited",
    "WrongEventLoopError",
    "WrongThreadError",
    "__version__",
    "make_converter",
]
