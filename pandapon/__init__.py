"""pandapon: the typed Python SDK for the PandaPon OpenAPI.

``AsyncPandaPon`` is the async client; ``PandaPon`` runs the same coroutines through one anyio portal for
synchronous code. Errors all derive from :class:`PandaPonError`.
"""

from __future__ import annotations

from ._client import AsyncPandaPon, RawResponse
from ._converter import CONVERTER, Model, RequestModel, make_converter
from ._endpoint import Endpoint, Pagination
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    HTTPStatusError,
    InvalidInputError,
    MalformedResponseError,
    OutcomeUnknownError,
    PandaPonError,
    RateLimitError,
    ResponseValidationError,
)
from ._ratelimit import RateLimiter, RedisRateLimiter, TokenBucket, Unlimited
from ._retry import RetryPolicy
from ._signing import HeaderSigner, QuerySigner
from ._sync import PandaPon
from ._types import JSON, NOT_GIVEN, NotGiven
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APITimeoutError",
    "AsyncPandaPon",
    "AuthenticationError",
    "CONVERTER",
    "ClientClosedError",
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
    "OutcomeUnknownError",
    "Pagination",
    "PandaPon",
    "PandaPonError",
    "QuerySigner",
    "RateLimitError",
    "RateLimiter",
    "RawResponse",
    "RedisRateLimiter",
    "RequestModel",
    "ResponseValidationError",
    "RetryPolicy",
    "TokenBucket",
    "Unlimited",
    "__version__",
    "make_converter",
]
