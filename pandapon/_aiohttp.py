"""An ``httpx`` transport over aiohttp: the fast path on asyncio (``pip install 'pandapon[fast]'``).

httpcore's connection pool gets slower as requests queue up (its pool bookkeeping scans every waiting request);
aiohttp's connector does not. The SDK uses this transport by default when it runs on asyncio and aiohttp is
installed, and httpcore (``httpx.AsyncHTTPTransport``) everywhere else, trio included. ``PANDAPON_TRANSPORT=httpcore``
forces httpcore. Behaviour is the same: aiohttp failures are mapped onto httpx's exceptions, so the core's retry
decisions (was the request sent or not?) do not change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

import httpx

__all__ = ["AiohttpTransport"]

_SKIP = frozenset({b"host", b"content-length", b"transfer-encoding", b"connection"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send ``httpx.Request`` objects with one pooled ``aiohttp.ClientSession`` (asyncio only).

    Args:
        limit: the most connections open at once (like ``httpx.Limits.max_connections``).
        keepalive_timeout: seconds an idle connection is kept.
    """

    def __init__(self, *, limit: int = 100, keepalive_timeout: float = 15.0) -> None:
        import aiohttp  # fail at construction when the extra is missing

        self._aiohttp = aiohttp
        self._limit = limit
        self._keepalive = keepalive_timeout
        self._session: Any = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], Any] = {}

    def _get_session(self) -> Any:
        session = self._session
        if session is None or session.closed:
            aiohttp = self._aiohttp
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=self._keepalive, ttl_dns_cache=300)
            # httpx decodes content-encoding itself: hand it the raw bytes.
            session = self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
            # aiohttp silently re-sends an idempotent request once when a kept-alive connection was closed under
            # it. That would repeat a signed nonce (which the platform refuses) and hide a retry from the core,
            # which must decide every retry and sign each attempt afresh: switch it off.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
        return session

    def _timeout(self, timeouts: Mapping[str, float | None]) -> Any:
        connect, pool, read = timeouts.get("connect"), timeouts.get("pool"), timeouts.get("read")
        timeout = self._timeouts.get((connect, pool, read))
        if timeout is None:
            if len(self._timeouts) > 64:  # per-call deadlines make many distinct values: keep the cache small
                self._timeouts.clear()
            timeout = self._timeouts[connect, pool, read] = self._aiohttp.ClientTimeout(
                total=None,
                connect=None if connect is None and pool is None else (connect or 0) + (pool or 0),
                sock_connect=connect,
                sock_read=read,
            )
        return timeout

    async def send_raw(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Sequence[tuple[str, str]],
        content: bytes | None,
        timeouts: Mapping[str, float | None],
        request: httpx.Request | None = None,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Send one request; return the status, the raw headers and the body (the core's fast path).

        Raises:
            httpx.TransportError: the subclass that matches what went wrong (``ConnectError`` when nothing was sent).
        """
        aiohttp = self._aiohttp
        sent = False
        try:
            response = await self._get_session().request(
                method,
                url,
                headers=headers,
                data=content or None,
                allow_redirects=False,
                timeout=self._timeout(timeouts),
                skip_auto_headers=("Content-Type",),
            )
            sent = True
            try:
                body = await response.read()
            finally:
                response.release()
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
        except aiohttp.ClientError as exc:
            kind = httpx.ReadError if sent else httpx.WriteError
            raise kind(str(exc) or type(exc).__name__, request=request) from exc
        return response.status, list(response.raw_headers), body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw if k.lower() not in _SKIP]
        timeouts = cast("dict[str, float | None]", request.extensions.get("timeout") or {})
        status, raw_headers, body = await self.send_raw(
            request.method, str(request.url), headers, request.content, timeouts, request
        )
        return httpx.Response(
            status, headers=raw_headers, content=body, request=request, extensions={"http_version": b"HTTP/1.1"}
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
