"""The aiohttp transport: the default engine on asyncio (``pandapon.AiohttpTransport``).

httpcore's connection pool gets slower as requests queue up (its pool bookkeeping scans every waiting request,
encode/httpcore#1035); aiohttp's connector does not. The SDK uses this transport by default when it runs on asyncio,
and httpcore on trio. ``PANDAPON_TRANSPORT=httpcore`` forces httpcore. aiohttp's failures map onto the same typed
errors as httpx's, so the retry decisions (was the request sent or not?) do not change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp

from .._wire import Answer, Prepared
from ._errors import connection_error, undecodable
from ._limits import DEFAULT_KEEPALIVE_EXPIRY, DEFAULT_MAX_CONNECTIONS

__all__ = ["AiohttpTransport"]

_SKIP_CONTENT_TYPE = ("Content-Type",)


class AiohttpTransport:
    """Send prepared requests with one pooled ``aiohttp.ClientSession`` (asyncio only); closed with the client.

    Pass one as ``transport=`` to tune what the client options do not cover; the client options
    ``max_connections``, ``max_keepalive`` and ``keepalive_expiry`` build the default one the same way.

    Args:
        max_connections: the most connections open at once (aiohttp's ``TCPConnector(limit=...)``).
        max_keepalive: ``0`` turns keep-alive off (a new connection per request); any other value keeps idle
            connections, up to ``max_connections`` (aiohttp has no separate cap on idle connections).
        keepalive_expiry: seconds an idle connection is kept.
    """

    def __init__(
        self,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_keepalive: int | None = None,
        keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
    ) -> None:
        self._aiohttp = aiohttp
        self.engine = f"aiohttp/{aiohttp.__version__}"
        self._limit = max_connections
        self._keepalive = keepalive_expiry
        self._force_close = max_keepalive == 0
        self._session: Any = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], Any] = {}

    def _get_session(self) -> Any:
        session = self._session
        if session is None or session.closed:
            aiohttp = self._aiohttp
            if self._force_close:
                connector = aiohttp.TCPConnector(limit=self._limit, force_close=True, ttl_dns_cache=300)
            else:
                connector = aiohttp.TCPConnector(
                    limit=self._limit, keepalive_timeout=self._keepalive, ttl_dns_cache=300
                )
            session = self._session = aiohttp.ClientSession(connector=connector)
            # aiohttp silently re-sends an idempotent request once when a kept-alive connection was closed under
            # it. That would repeat a signed nonce (which the platform refuses) and hide a retry from the pipeline,
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

    async def send(self, request: Prepared) -> Answer:
        """Send one request; return its status, raw headers and decoded body."""
        aiohttp = self._aiohttp
        response: Any = None
        content, headers = request.content or None, request.headers
        # aiohttp labels a body without a Content-Type application/octet-stream; the SDK's bodies carry theirs, so
        # the (per-request, not free) skip list is only built for one that does not.
        skip = _SKIP_CONTENT_TYPE if content is not None and "content-type" not in headers else None
        try:
            response = await self._get_session().request(
                request.method,
                str(request.url),
                headers=headers,
                data=content,
                allow_redirects=False,
                timeout=self._timeout(request.timeouts),
                skip_auto_headers=skip,
            )
            try:
                body = await response.read()
            finally:
                response.release()
        except aiohttp.ConnectionTimeoutError as exc:
            raise connection_error(request, exc, sent=False, timeout=True) from None
        except aiohttp.ClientConnectorError as exc:
            raise connection_error(request, exc, sent=False, timeout=False) from None
        except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
            raise connection_error(request, exc, sent=True, timeout=True) from None
        except aiohttp.ClientPayloadError as exc:
            if response is not None and response.headers.get("Content-Encoding") and _is_decoding(exc):
                raise undecodable(request, Answer(response.status, list(response.raw_headers), b""), exc) from None
            raise connection_error(request, exc, sent=True, timeout=False) from None
        except aiohttp.InvalidURL as exc:  # refused before sending
            raise connection_error(request, exc, sent=False, timeout=False) from None
        except aiohttp.ClientError as exc:  # the connection broke after it was made: the request may have arrived
            raise connection_error(request, exc, sent=True, timeout=False) from None
        except ValueError as exc:  # aiohttp refuses some URLs and headers before sending
            raise connection_error(request, exc, sent=False, timeout=False) from None
        return Answer(response.status, list(response.raw_headers), body)

    def __repr__(self) -> str:
        return f"AiohttpTransport(max_connections={self._limit}, keepalive_expiry={self._keepalive})"

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


def _is_decoding(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if "encod" in str(current).lower() or type(current).__name__ == "ContentEncodingError":
            return True
        current = current.__cause__ or current.__context__
    return False
