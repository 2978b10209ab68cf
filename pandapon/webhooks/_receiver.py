"""Push receivers: an ASGI app and a WSGI app dispatching verified, de-duplicated events to your handlers.

Delivery semantics (at least once, nothing lost):

1. The push is verified (signature, replay window, size) and parsed; a refused push gets 401/400/413.
2. A push already handled (same de-duplication key) is acknowledged with 200 at once.
3. With ``on_receive`` (a hook that stores the event durably, e.g. in a queue), the receiver awaits it and then
   acknowledges: your workers take it from there.
4. Otherwise the handler runs. If it finishes within ``ack_timeout`` the push is acknowledged (200). If it
   raises, the claim is released and the receiver answers 500, so the platform redelivers it. If it is still
   running at ``ack_timeout`` the receiver answers 503 (the platform will redeliver) and lets the handler finish in
   the background: success marks the push done (the redelivery is then acknowledged without running the handler
   again); failure releases it (the redelivery runs it again).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any, TypeVar

import anyio
from anyio.abc import TaskGroup

from ._dedupe import DedupeStore, InMemoryDedupe
from ._errors import WebhookError
from ._events import EventKind, WebhookEvent, parse_event
from ._verify import WebhookVerifier

__all__ = ["WebhookReceiver", "WsgiWebhookReceiver"]

log = logging.getLogger("pandapon.webhooks")

Handler = Callable[[WebhookEvent], Awaitable[None] | None]
H = TypeVar("H", bound=Handler)
ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class WebhookReceiver:
    """Receive PandaPon pushes: an ASGI application (mount it in Starlette / FastAPI, or serve it with uvicorn).

    Args:
        verifier: a :class:`WebhookVerifier` (or the access secret, to build the default one).
        dedupe: where handled pushes are remembered; in memory by default (use ``RedisDedupe`` for several workers).
        on_receive: an optional durable hand-off; when given, a push is acknowledged once this returns.
        ack_timeout: seconds to wait for a handler before answering 503 (the platform waits 1 s).
        dedupe_ttl: how long a handled push is remembered (default 4 h: longer than the redelivery schedule).
        lease: how long an in-progress claim lasts before another delivery may take over.
    """

    def __init__(
        self,
        verifier: WebhookVerifier | str,
        *,
        dedupe: DedupeStore | None = None,
        on_receive: Callable[[WebhookEvent], Awaitable[None]] | None = None,
        ack_timeout: float = 0.8,
        dedupe_ttl: float = 4 * 3600,
        lease: float = 600,
    ) -> None:
        self.verifier = verifier if isinstance(verifier, WebhookVerifier) else WebhookVerifier(verifier)
        self.dedupe = dedupe or InMemoryDedupe()
        self.on_receive = on_receive
        self.ack_timeout = ack_timeout
        self.dedupe_ttl = dedupe_ttl
        self.lease = lease
        self._handlers: dict[str, list[Handler]] = {}
        self._task_group: TaskGroup | None = None
        self._background: set[anyio.Event] = set()

    # ------------------------------------------------------------------ registration

    def on(self, *kinds: EventKind | str) -> Callable[[H], H]:
        """Register a handler for event kinds (``"price_change"``, ``"status_change"``, ``"refund"``,
        ``"unknown"``), exact message types, or ``"*"`` for everything. Async or sync functions."""

        def register(fn: H) -> H:
            for kind in kinds or ("*",):
                self._handlers.setdefault(kind, []).append(fn)
            return fn

        return register

    def handlers_for(self, event: WebhookEvent) -> list[Handler]:
        return [
            *self._handlers.get(event.message_type, []),
            *self._handlers.get(event.kind, []),
            *self._handlers.get("*", []),
        ]

    # ------------------------------------------------------------------ the logic (once, async)

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        """Process one push; return the HTTP status and a short text to answer with."""
        try:
            self.verifier.verify(body, headers)
            event = parse_event(body)
        except WebhookError as exc:
            log.warning("refused a push: %s", exc)
            return exc.status, str(exc)
        try:
            claim = await self.dedupe.claim(event.dedupe_key, self.lease)
        except Exception:
            log.exception("the de-duplication store failed; the push stays unacknowledged")
            return 503, "dedupe store unavailable"
        if claim == "done":
            return 200, "duplicate"
        if claim == "in_progress":
            return 503, "being handled"
        if self.on_receive is not None:
            try:
                await self.on_receive(event)
            except Exception:
                log.exception("on_receive failed; the push stays unacknowledged")
                await self.dedupe.release(event.dedupe_key)
                return 500, "hand-off failed"
            await self.dedupe.complete(event.dedupe_key, self.dedupe_ttl)
            return 200, "queued"
        done = anyio.Event()
        outcome: dict[str, bool] = {}

        async def run() -> None:
            try:
                await self._dispatch(event)
            except Exception:
                log.exception("a handler failed for %s; the push will be redelivered", event.message_type)
                outcome["ok"] = False
                await self.dedupe.release(event.dedupe_key)
            else:
                outcome["ok"] = True
                await self.dedupe.complete(event.dedupe_key, self.dedupe_ttl)
            finally:
                done.set()

        if self._task_group is None:
            # Not under a lifespan: the handler must finish within this request.
            with anyio.move_on_after(self.ack_timeout) as scope:
                await run()
            if scope.cancelled_caught:
                await self.dedupe.release(event.dedupe_key)
                return 503, "handler too slow"
        else:
            self._task_group.start_soon(run)
            with anyio.move_on_after(self.ack_timeout):
                await done.wait()
            if not done.is_set():
                return 503, "still handling"
        return (200, "ok") if outcome.get("ok") else (500, "handler failed")

    async def _dispatch(self, event: WebhookEvent) -> None:
        for handler in self.handlers_for(event):
            if inspect.iscoroutinefunction(handler):
                await handler(event)
            else:
                result = await anyio.to_thread.run_sync(handler, event)
                if inspect.isawaitable(result):
                    await result

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: MutableMapping[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            await _respond(send, 405, "POST only")
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.verifier.max_body:
                await _respond(send, 413, "too large")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        status, text = await self.handle(b"".join(chunks), headers)
        await _respond(send, status, text)

    async def _lifespan(self, receive: ASGIReceive, send: ASGISend) -> None:
        message = await receive()
        if message["type"] != "lifespan.startup":
            return
        async with anyio.create_task_group() as tg:
            self._task_group = tg
            await send({"type": "lifespan.startup.complete"})
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            self._task_group = None
        close = getattr(self.dedupe, "aclose", None)
        if close is not None:
            await close()
        await send({"type": "lifespan.shutdown.complete"})


async def _respond(send: ASGISend, status: int, text: str) -> None:
    body = json.dumps({"status": status, "message": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class WsgiWebhookReceiver:
    """The same receiver as a WSGI application (Flask, Django): runs :meth:`WebhookReceiver.handle` on one
    background event loop (an anyio portal), so slow handlers keep running after the 503 answer."""

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        self._lock = threading.Lock()
        self._portal: Any = None
        self._cm: Any = None

    def _ensure(self) -> Any:
        with self._lock:
            if self._portal is None:
                from anyio.from_thread import start_blocking_portal

                self._cm = start_blocking_portal()
                self._portal = self._cm.__enter__()
                self._portal.start_task_soon(self._run_group)
            return self._portal

    async def _run_group(self) -> None:
        async with anyio.create_task_group() as tg:
            self.receiver._task_group = tg
            await anyio.sleep_forever()

    def close(self) -> None:
        """Stop the background loop (cancelling handlers still running: their pushes stay unacknowledged)."""
        with self._lock:
            portal, cm, self._portal, self._cm = self._portal, self._cm, None, None
        if portal is not None:
            self.receiver._task_group = None
            close = getattr(self.receiver.dedupe, "aclose", None)
            if close is not None:
                portal.call(close)
            portal.call(portal.stop, True)
            cm.__exit__(None, None, None)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            status, text = 405, "POST only"
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > self.receiver.verifier.max_body:
                status, text = 413, "too large"
            else:
                body = environ["wsgi.input"].read(length) if length else b""
                headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
                if "CONTENT_TYPE" in environ:
                    headers["content-type"] = environ["CONTENT_TYPE"]
                portal = self._ensure()
                status, text = portal.call(functools.partial(self.receiver.handle, body, headers))
        payload = json.dumps({"status": status, "message": text}).encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Status')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
