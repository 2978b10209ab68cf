"""The typed errors every transport adapter raises, built one way."""

from __future__ import annotations

from .._exceptions import APIConnectionError, APITimeoutError, MalformedResponseError, excerpt
from .._wire import Answer, Prepared

__all__ = ["connection_error", "undecodable"]


def connection_error(request: Prepared, exc: BaseException, *, sent: bool, timeout: bool) -> APIConnectionError:
    """No usable answer to ``request``; ``sent`` says whether it may have reached the server."""
    kind = APITimeoutError if timeout else APIConnectionError
    what = "timed out" if timeout else "failed"
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    error = kind(
        f"{request.method} {request.url.path} {what} ({detail}); "
        + ("the request may have reached the server" if sent else "the request was not sent"),
        method=request.method,
        url=str(request.url),
        request_sent=sent,
    )
    error.__cause__ = exc
    return error


def undecodable(request: Prepared, answer: Answer, exc: BaseException) -> MalformedResponseError:
    """An answer came, but its body could not be decoded (a broken ``Content-Encoding``, say)."""
    encoding = answer.header(b"content-encoding") or "none"
    error = MalformedResponseError(
        f"{request.method} {request.url.path}: HTTP {answer.status}, but the body could not be decoded "
        f"(Content-Encoding {encoding}): {type(exc).__name__}: {excerpt(str(exc), 120)}",
        response=answer.to_httpx(request),
        errors=[f"$: expected a body encoded as Content-Encoding {encoding} says, got bytes that do not decode"],
        request_id=None,
    )
    error.__cause__ = exc
    return error
