"""Every error pandapon raises, under one root.

::

    PandaPonError
    ├── ConfigurationError          a credential or setting is missing or malformed (raised at construction)
    ├── InvalidInputError           an argument has the wrong type or value; nothing was sent (also a TypeError)
    ├── ClientClosedError           the client was closed, or closed while the call was in flight
    ├── WrongThreadError            a sync method was called from its own event-loop thread (it would deadlock)
    ├── WrongEventLoopError         a client given its own transport was used on a second event loop
    ├── BulkUsageError              a bulk run iterated without ``async with``, or entered twice
    ├── APIConnectionError          no usable HTTP response (DNS, refused, reset, protocol error)
    │   └── APITimeoutError         a connect / read / write / pool timeout, or the call's deadline ran out
    ├── OutcomeUnknownError         a non-idempotent call failed after it may have taken effect; reconcile first
    └── APIResponseError            the server answered, and the answer is an error
        ├── HTTPStatusError         a non-2xx HTTP status
        ├── APIError                the envelope's business ``code`` is not a success code (or ``data.success`` is false)
        ├── AuthenticationError     HTTP 401/403 or an authentication business code: key, signature, timestamp, nonce
        ├── RateLimitError          HTTP 429 or a rate-limit business code; ``retry_after`` in seconds when known
        └── ResponseValidationError the payload does not fit the endpoint's model (JSON path, expected, got)
            └── MalformedResponseError  the body is not a JSON envelope at all (HTML, truncated, garbage)

Messages say what was expected, what was got and, where it helps, what to do. They never contain the access
secret, a signature or more than a short prefix of the access key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APITimeoutError",
    "AuthenticationError",
    "BulkUsageError",
    "ClientClosedError",
    "ConfigurationError",
    "HTTPStatusError",
    "InvalidInputError",
    "MalformedResponseError",
    "OutcomeUnknownError",
    "PandaPonError",
    "PandaPonInferredEndpointWarning",
    "RateLimitError",
    "ResponseValidationError",
    "WrongEventLoopError",
    "WrongThreadError",
]

_EXCERPT = 200


def excerpt(body: bytes | str, limit: int = _EXCERPT) -> str:
    """Return a short, printable excerpt of a response body for an error message."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class PandaPonError(Exception):
    """The root of every error raised by pandapon."""


class ConfigurationError(PandaPonError, ValueError):
    """A credential or client setting is missing or malformed."""


class InvalidInputError(PandaPonError, TypeError):
    """An argument does not fit the endpoint; raised before anything is sent.

    Attributes:
        parameter: the Python name of the offending parameter.
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class ClientClosedError(PandaPonError, RuntimeError):
    """The client is closed (or was closed while this call was in flight)."""


class WrongThreadError(PandaPonError, RuntimeError):
    """A sync ``PandaPon`` method was called from inside its own event-loop thread, which would deadlock."""


class BulkUsageError(PandaPonError, RuntimeError):
    """A bulk run used outside its ``async with`` block (its calls are tasks that must stop when the iteration
    does), or entered a second time."""


class PandaPonInferredEndpointWarning(UserWarning):
    """The first call of an operation whose path PandaPon's docs do not publish (``inferred``), on a client that
    has no ``path_overrides`` entry for it: the path is the SDK's proposal. Filter it like any ``UserWarning``."""


class WrongEventLoopError(PandaPonError, RuntimeError):
    """An ``AsyncPandaPon`` given its own ``transport=`` or ``http_client=`` was used on an event loop other than
    the one that transport was first used on (its connections belong to that loop). Without those options the
    client makes new connections for each loop itself."""


class APIConnectionError(PandaPonError):
    """No usable HTTP response arrived.

    Attributes:
        method, url: what was being requested.
        request_sent: ``False`` when the request provably never reached the server (connect failure, pool
            timeout); ``True`` when it may have.
    """

    def __init__(self, message: str, *, method: str, url: str, request_sent: bool) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout, or the call's deadline ran out."""


class OutcomeUnknownError(PandaPonError):
    """A non-idempotent call failed after it may have taken effect; it was not retried.

    Raised when a create / pay / submit / cancel call lost its connection after sending, timed out waiting for
    the answer, or got a 5xx: the platform may or may not have carried it out. Reconcile before trying again
    (for example, look the order up by its ``sellerOrderNumber``).

    Attributes:
        operation: the endpoint's operation id, e.g. ``taobao.orders.create``.
        method, url: what was requested.
        body: the JSON body that was sent (``None`` for query requests).
        cause: the underlying :class:`APIConnectionError` or :class:`HTTPStatusError` (also ``__cause__``).
        reconciliation: what the SDK's automatic look-up found out, for endpoints that have one.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        method: str,
        url: str,
        body: Mapping[str, object] | None,
        cause: PandaPonError,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.method = method
        self.url = url
        self.body = body
        self.cause = cause
        self.reconciliation: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} {self.reconciliation}" if self.reconciliation else text


class APIResponseError(PandaPonError):
    """The server answered, and the answer is an error.

    Attributes:
        status_code: the HTTP status.
        request_id: the envelope's ``requestId`` when there was one.
        body_excerpt: the first characters of the body.
        response: the ``httpx.Response`` (its body already read).
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.request_id = request_id
        self.body_excerpt = excerpt(response.content)


class HTTPStatusError(APIResponseError):
    """The server answered with a non-2xx HTTP status."""


class APIError(APIResponseError):
    """The envelope's business ``code`` is not a success code.

    Attributes:
        code: the business code (``None`` when the failure was reported inside ``data``).
        msg: the platform's text for it.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: int | str | None,
        msg: str | None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, response=response, request_id=request_id)
        self.code = code
        self.msg = msg


class AuthenticationError(APIResponseError):
    """The platform refused the credentials, signature, timestamp or nonce.

    Attributes:
        code, msg: the business code and text when the refusal came in an envelope, else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: int | str | None = None,
        msg: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, response=response, request_id=request_id)
        self.code = code
        self.msg = msg


class RateLimitError(APIResponseError):
    """The platform refused the call for its rate.

    Attributes:
        retry_after: seconds the platform asked to wait, when it said.
        code, msg: the business code and text when the refusal came in an envelope.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        retry_after: float | None,
        code: int | str | None = None,
        msg: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, response=response, request_id=request_id)
        self.retry_after = retry_after
        self.code = code
        self.msg = msg


class ResponseValidationError(APIResponseError):
    """The payload does not fit the endpoint's model.

    Attributes:
        errors: one line per problem, each ``<JSON path>: expected <type>, got <value>``.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        errors: list[str],
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, response=response, request_id=request_id)
        self.errors = errors


class MalformedResponseError(ResponseValidationError):
    """The body is not a JSON envelope: HTML, truncated, empty or garbage."""
