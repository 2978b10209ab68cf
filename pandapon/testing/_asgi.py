"""The ASGI side of the fake: read a request, send an answer or drop the connection, and the lifespan protocol."""

from __future__ import annotations

import email.utils
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

import anyio
import httpx

from ._exchange import Answer, Request

__all__ = ["ASGIApp", "Message", "Receive", "Respond", "Scope", "Send", "serve"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Answers one request: the answer (``None``: drop the connection) and the wall time for the ``Date`` header.
Respond = Callable[[Request], Awaitable[tuple[Answer | None, float]]]


async def serve(
    scope: Scope,
    receive: Receive,
    send: Send,
    respond: Respond,
    background: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Serve one ASGI connection (HTTP or lifespan) with ``respond``; ``background`` runs for the lifespan's
    duration (cancelled at shutdown)."""
    kind = scope["type"]
    if kind == "lifespan":
        await _lifespan(receive, send, background)
        return
    if kind != "http":
        raise RuntimeError(f"FakePandaPon serves HTTP only, got a {kind!r} connection")
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    request = Request(scope["method"].upper(), scope["path"], query, headers, b"".join(chunks))
    answer, wall = await respond(request)
    if answer is None:
        await _abort(send, receive)
        return
    date = email.utils.formatdate(wall, usegmt=True)
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [
                (b"content-type", answer.content_type.encode()),
                (b"content-length", str(len(answer.body)).encode()),
                (b"date", date.encode()),
                *((k.encode(), v.encode()) for k, v in answer.headers),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer.body})


async def _lifespan(receive: Receive, send: Send, background: Callable[[], Coroutine[Any, Any, None]] | None) -> None:
    async with anyio.create_task_group() as tg:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if background is not None:
                    tg.start_soon(background)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                tg.cancel_scope.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _abort(send: Send, receive: Receive) -> None:
    """Close the connection without an answer.

    Under uvicorn the app's ``send`` is bound to the connection's request cycle, whose asyncio transport can be
    closed directly; the app then waits for the disconnect so the server does not try to answer 500. Elsewhere
    (``httpx.ASGITransport``) raising is the only way to fail the exchange: the client sees a
    ``httpx.RemoteProtocolError``, as when a real server drops the connection.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        close()
        with anyio.move_on_after(1.0):
            while (await receive())["type"] != "http.disconnect":
                pass
        return
    raise httpx.RemoteProtocolError("Server disconnected without sending a response (FakePandaPon fault).")
