"""Adapters for httpx: an ``httpx.AsyncBaseTransport`` (httpcore, ``MockTransport``, ``ASGITransport``) or a user's
``httpx.AsyncClient``. Both honour the attempt's timeouts and map httpx's errors into the typed tree."""

from __future__ import annotations

import httpx

from .._wire import Answer, Prepared
from ._errors import connection_error, undecodable

__all__ = ["HttpxClientTransport", "HttpxTransport"]

#: httpx errors raised before any byte of the request left.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


async def _read(request: Prepared, response: httpx.Response) -> Answer:
    encoding = response.headers.get("content-encoding")
    decode = bool(encoding) and not response.is_stream_consumed
    try:
        if decode:
            # The raw bytes to the end first, decoded after: httpx decoding inside its stream would leave the
            # stream's generators suspended when the bytes do not decode.
            body = b"".join([chunk async for chunk in response.aiter_raw()])
        else:
            body = await response.aread()  # nothing to decode, or decoded already
    finally:
        await response.aclose()
    if decode:
        try:
            body = httpx.Response(200, headers={"content-encoding": str(encoding)}, content=body).content
        except httpx.DecodingError as exc:
            raise undecodable(request, Answer(response.status_code, response.headers.raw, b""), exc) from None
    return Answer(response.status_code, response.headers.raw, body)


def _mapped(request: Prepared, exc: httpx.TransportError) -> Exception:
    return connection_error(
        request, exc, sent=not isinstance(exc, _NOT_SENT), timeout=isinstance(exc, httpx.TimeoutException)
    )


class HttpxTransport:
    """Sends through an ``httpx.AsyncBaseTransport`` directly (no client in between); closes it with the client.

    Args:
        transport: e.g. ``httpx.AsyncHTTPTransport(limits=...)``, ``httpx.MockTransport(handler)`` or
            ``httpx.ASGITransport(app)``.
    """

    engine = f"httpx/{httpx.__version__}"

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.inner = transport

    @classmethod
    def pooled(cls, *, max_connections: int, max_keepalive: int | None, keepalive_expiry: float) -> HttpxTransport:
        """httpcore's pool with these limits (the default engine on trio, or with ``PANDAPON_TRANSPORT=httpcore``).

        ``max_keepalive=None`` keeps as many idle connections as ``max_connections``: httpcore 1.0 compares its
        keep-alive limit with *all* open connections, so a smaller limit closes every connection that goes idle
        while more than that many are open (encode/httpcore#1000), and a busy client reconnects for every call
        (over TLS, a handshake per call).
        """
        keep = max_connections if max_keepalive is None else max_keepalive
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=keep, keepalive_expiry=keepalive_expiry
        )
        return cls(httpx.AsyncHTTPTransport(limits=limits))

    async def send(self, request: Prepared) -> Answer:
        try:
            response = await self.inner.handle_async_request(request.to_httpx())
            return await _read(request, response)
        except httpx.TransportError as exc:
            raise _mapped(request, exc) from None
        except httpx.DecodingError as exc:  # a handler that built an httpx.Response from undecodable bytes
            raise connection_error(request, exc, sent=True, timeout=False) from None

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"HttpxTransport({type(self.inner).__name__})"


class HttpxClientTransport:
    """Sends through a caller's ``httpx.AsyncClient``: its transport, headers and event hooks apply; its timeout
    does not (the SDK's ``timeout`` and ``deadline`` do). The caller closes the client."""

    engine = f"httpx/{httpx.__version__}"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, request: Prepared) -> Answer:
        client = self.client
        try:
            built = client.build_request(
                request.method,
                request.url,
                content=request.content,
                headers=request.headers,
                extensions={"timeout": request.timeouts},
            )
            # The signer already ran on the prepared request: no auth flow of the client's own.
            response = await client.send(built, auth=None, stream=True)
            return await _read(request, response)
        except httpx.TransportError as exc:
            raise _mapped(request, exc) from None
        except httpx.DecodingError as exc:  # an event hook that read the undecodable body
            raise connection_error(request, exc, sent=True, timeout=False) from None

    async def aclose(self) -> None:
        """The caller's client stays open."""

    def __repr__(self) -> str:
        return "HttpxClientTransport()"
