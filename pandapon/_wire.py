"""What one attempt sends and what comes back, as plain data every stage shares.

:class:`Prepared` is built by the request stage, signed in place by the signer and sent by a transport;
:class:`Answer` is what every transport returns: the status, the raw headers and the decoded body. httpx objects are
made from them only where a caller sees one (an error's ``response``, ``client.raw``).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

__all__ = ["Answer", "Prepared"]

_DROP = frozenset({b"content-encoding", b"transfer-encoding"})


class Prepared:
    """One attempt's request: the signer may change ``url`` and ``headers``; the transport sends it as it is.

    Attributes:
        method: the HTTP method.
        url: the full URL, query included.
        headers: header names in lower case; a fresh dict per attempt.
        content: the body, or ``None``.
        timeouts: httpx's timeout mapping (``connect``, ``read``, ``write``, ``pool``), already cut to the deadline.
    """

    __slots__ = ("content", "headers", "method", "timeouts", "url")

    def __init__(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        content: bytes | None,
        timeouts: Mapping[str, float | None],
    ) -> None:
        self.method, self.url, self.headers, self.content, self.timeouts = method, url, headers, content, timeouts

    def to_httpx(self) -> httpx.Request:
        """This request as an ``httpx.Request`` (timeouts in its ``timeout`` extension)."""
        return httpx.Request(
            self.method, self.url, headers=self.headers, content=self.content, extensions={"timeout": self.timeouts}
        )


class Answer:
    """What a transport got back: the status, the raw header pairs and the body, already decoded.

    Attributes:
        status: the HTTP status code.
        headers: ``(name, value)`` byte pairs as received.
        body: the body with any ``Content-Encoding`` undone.
    """

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: bytes) -> str | None:
        """The last value of header ``name`` (lower case), or ``None``; a front server may add its own first."""
        found = None
        for key, value in self.headers:
            if key.lower() == name:
                found = value
        return None if found is None else found.decode("latin-1")

    def to_httpx(self, request: Prepared) -> httpx.Response:
        """This answer as a read ``httpx.Response`` (its body is decoded, so it carries no ``Content-Encoding``)."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in _DROP]
        return httpx.Response(self.status, headers=headers, content=self.body, request=request.to_httpx())
