"""One HTTP exchange as the fake sees it: the request, the answer, and the line it leaves in the request log."""

from __future__ import annotations

import attrs

__all__ = ["JSON_CONTENT_TYPE", "Answer", "LoggedRequest", "Request"]

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


@attrs.frozen
class Request:
    """A request as received: upper-case method, path, query parameters, lower-case header names, raw body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@attrs.frozen
class Answer:
    """A response to send; ``code`` is the envelope's business code, when the body is an envelope."""

    status: int
    body: bytes
    content_type: str = JSON_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    code: int | None = None


@attrs.frozen
class LoggedRequest:
    """One request as the fake saw it.

    Attributes:
        method, path: what was asked.
        status: the HTTP status answered; ``None`` when the connection was dropped.
        code: the envelope's business code, when the answer was an envelope.
        fault: the fault kind that shaped the answer, if any.
    """

    method: str
    path: str
    status: int | None
    code: int | None
    fault: str | None = None
