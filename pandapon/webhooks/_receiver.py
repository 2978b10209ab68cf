"""Push receivers: an ASGI app and a WSGI app dispatching verified, de-duplicated events to your handlers.

The delivery contract is at least once: the platform redelivers a push until it gets a 200 (its documented schedule
spreads redeliveries over hours), so a handler may see the same event again after a crash, and a 200 means "handled,
or handed off durably; do not send it again". Nothing is lost:

1. The push is verified (signature, replay window, size) and parsed; a refused push gets 401/400/413.
2. A push already handled (same de-duplication key) is acknowledged with 200 at once.
3. With ``on_receive`` (a hook that stores the event durably, e.g. in a queue), the receiver awaits it and then
   acknowledges: your workers take it from there.
4. A push no handler is registered for is logged at WARNING and given to ``dead_letter``; then it is acknowledged
   (``unhandled="acknowledge"``, the default) or left for redelivery (``unhandled="redeliver"``).
5. Otherwise the handlers run. If they finish within ``ack_timeout`` the push is acknowledged (200). If one
   raises, the claim is released and the receiver answers 500, so the platform redelivers it. If they are still
   running at ``ack_timeout`` the receiver answers 503 (the platform will redeliver) and lets them finish: a
   handler is never cancelled by the receiver, whether it runs under a lifespan, mounted in a larger app (which
   gives it none), or behind the WSGI adapter. Success marks the push done (the redelivery is then acknowledged
   without running the handlers again; one that arrives while they still run waits up to ``ack_timeout`` for
   them); failure releases it (the redelivery runs them again).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterable, Mapping, MutableMapping
from typing import Any, Literal, TypeVar, overload

import anyio
from anyio.abc import TaskGroup

from .._backend import running_on_asyncio
from ._dedupe import DedupeStore, InMemoryDedupe
from ._errors import WebhookError
from ._events import PriceChangeEvent, RefundEvent, StatusChangeEvent, UnknownEvent, WebhookEvent, parse_event
from ._verify import WebhookVerifier

__all__ = ["WebhookReceiver"]

log = logging.getLogger("pandapon.webhooks")

Handler = Callable[[WebhookEvent], Awaitable[None] | None]
H = TypeVar("H", bound=Handler)
HPrice = TypeVar("HPrice", bound=Callable[[PriceChangeEvent], Awaitable[None] | None])
HStatus = TypeVar("HStatus", bound=Callable[[StatusChangeEvent], Awaitable[None] | None])
HRefund = TypeVar("HRefund", bound=Callable[[RefundEvent], Awaitable[None] | None])
HUnknown = TypeVar("HUnknown", bound=Callable[[UnknownEvent], Awaitable[None] | None])
_KINDS = ("price_change", "status_change", "refund", "unknown", "*")
_MESSAGE_TYPE = re.compile(r"[0-9A-Z][0-9A-Z_]*")
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
        dedupe_key: the key a push is remembered by; by default ``event.dedupe_key``, a hash of the message type
            and body that leaves out the wrapper's ``timestamp`` (the platform may renew it on redelivery). Pass
            e.g. ``lambda e: e.dedupe_key + str(e.timestamp)`` if your pushes repeat identical bodies on purpose.
        unhandled: what to answer for a push no handler is registered for (after the WARNING and ``dead_letter``):
            ``"acknowledge"`` (200, the default) or ``"redeliver"`` (503, so a handler deployed later still gets it).
        dead_letter: called (async or sync) with every push no handler is registered for; if it raises, the push is
            left for redelivery (500).
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
        dedupe_key: Callable[[WebhookEvent], str] | None = None,
        unhandled: Literal["acknowledge", "redeliver"] = "acknowledge",
        dead_letter: Callable[[WebhookEvent], Awaitable[None] | None] | None = None,
    ) -> None:
        if unhandled not in ("acknowledge", "redeliver"):
            raise ValueError(f"unhandled must be 'acknowledge' or 'redeliver', got {unhandled!r}")
        self.verifier = verifier if isinstance(verifier, WebhookVerifier) else WebhookVerifier(verifier)
        self.dedupe = dedupe or InMemoryDedupe()
        self.on_receive = on_receive
        self.ack_timeout = ack_timeout
        self.dedupe_ttl = dedupe_ttl
        self.lease = lease
        self.key_of: Callable[[WebhookEvent], str] = dedupe_key or _default_key
        self.unhandled = unhandled
        self.dead_letter = dead_letter
        self._handlers: dict[str, list[Handler]] = {}
        self._task_group: TaskGroup | None = None
        self._detached: set[Any] = set()  # asyncio tasks of handlers running outside a task group (strong refs)
        self._inflight: dict[str, tuple[anyio.Event, dict[str, bool]]] = {}

    # ------------------------------------------------------------------ registration

    @overload
    def on(self, kind: Literal["price_change"], /) -> Callable[[HPrice], HPrice]: ...
    @overload
    def on(self, kind: Literal["status_change"], /) -> Callable[[HStatus], HStatus]: ...
    @overload
    def on(self, kind: Literal["refund"], /) -> Callable[[HRefund], HRefund]: ...
    @overload
    def on(self, kind: Literal["unknown"], /) -> Callable[[HUnknown], HUnknown]: ...
    @overload
    def on(self, *kinds: str) -> Callable[[H], H]: ...

    def on(self, *kinds: str) -> Callable[[Any], Any]:
        """Register a handler for event kinds (``"price_change"``, ``"status_change"``, ``"refund"``,
        ``"unknown"``), exact message types (upper case, e.g. ``"TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY"``), or
        ``"*"`` (the default) for everything. Async or sync functions.

        For one kind the handler's parameter is that kind's event class (``StatusChangeEvent`` for
        ``"status_change"``), which type checkers verify; for several, or for message types, ``WebhookEvent``.

        Raises:
            ValueError: at registration, for a name that is none of these (e.g. ``"status_chnage"``): such a
                handler would never run.
        """
        for kind in kinds:
            if kind not in _KINDS and not _MESSAGE_TYPE.fullmatch(kind):
                raise ValueError(
                    f"unknown event name {kind!r}: expected one of {', '.join(repr(k) for k in _KINDS)}, or an "
                    "exact message type in upper case (e.g. 'TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY')"
                )

        def register(fn: Any) -> Any:
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
        key = self.key_of(event)
        try:
            claim = await self.dedupe.claim(key, self.lease)
        except Exception:
            log.exception("the de-duplication store failed; the push stays unacknowledged")
            return 503, "dedupe store unavailable"
        if claim == "done":
            return 200, "duplicate"
        if claim == "in_progress":
            running = self._inflight.get(key)
            if running is None:  # handled by another worker (or a crashed one, until its lease ends)
                return 503, "being handled"
            return await self._answer(*running, waiting="still handling")
        if self.on_receive is not None:
            try:
                await self.on_receive(event)
            except Exception:
                log.exception("on_receive failed; the push stays unacknowledged")
                await self.dedupe.release(key)
                return 500, "hand-off failed"
            await self.dedupe.complete(key, self.dedupe_ttl)
            return 200, "queued"
        handlers = self.handlers_for(event)
        if not handlers:
            return await self._unhandled(event, key)
        done = anyio.Event()
        outcome: dict[str, bool] = {}
        self._inflight[key] = (done, outcome)

        async def run() -> None:
            try:
                await self._dispatch(handlers, event)
            except Exception:
                log.exception("a handler failed for %s; the push will be redelivered", event.message_type)
                outcome["ok"] = False
                await self.dedupe.release(key)
            except BaseException:  # cancelled by the server's shutdown: let the redelivery run it again
                outcome["ok"] = False
                with anyio.CancelScope(shield=True):
                    await self.dedupe.release(key)
                raise
            else:
                outcome["ok"] = True
                await self.dedupe.complete(key, self.dedupe_ttl)
            finally:
                self._inflight.pop(key, None)
                done.set()

        if self._task_group is not None:
            self._task_group.start_soon(run)
        else:
            self._spawn(run)  # mounted in an app without a lifespan: the handler outlives this request
        return await self._answer(done, outcome, waiting="still handling")

    async def _answer(self, done: anyio.Event, outcome: Mapping[str, bool], *, waiting: str) -> tuple[int, str]:
        """Wait up to ``ack_timeout`` for a run of the handlers; the answer its outcome calls for."""
        with anyio.move_on_after(self.ack_timeout):
            await done.wait()
        if not done.is_set():
            return 503, waiting
        return (200, "ok") if outcome.get("ok") else (500, "handler failed")

    async def _unhandled(self, event: WebhookEvent, key: str) -> tuple[int, str]:
        log.warning(
            "no handler is registered for push %s (%s, order %s); %s",
            event.message_type,
            event.kind,
            getattr(event, "order_id", None),
            "acknowledging it" if self.unhandled == "acknowledge" else "leaving it for redelivery",
        )
        if self.dead_letter is not None:
            try:
                await self._dispatch((self.dead_letter,), event)  # a sync hook runs in a worker thread, as handlers do
            except Exception:
                log.exception("dead_letter failed for %s; the push stays unacknowledged", event.message_type)
                await self.dedupe.release(key)
                return 500, "dead letter failed"
        if self.unhandled == "redeliver":
            await self.dedupe.release(key)
            return 503, "no handler"
        await self.dedupe.complete(key, self.dedupe_ttl)
        return 200, "unhandled"

    def _spawn(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start ``run`` on the running event loop, outside any request's cancel scope."""
        if running_on_asyncio():
            import asyncio

            task = asyncio.get_running_loop().create_task(run())
            self._detached.add(task)
            task.add_done_callback(self._detached.discard)
        else:
            import trio

            trio.lowlevel.spawn_system_task(run)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncGenerator[WebhookReceiver, None]:
        """Run the receiver's background work in a task group for as long as the block lasts: use it in the
        lifespan of the app the receiver is mounted in. On exit it waits for handlers still running, then closes
        the de-duplication store's own clients (a served receiver does this in its own lifespan)::

            @contextlib.asynccontextmanager
            async def lifespan(app):
                async with receiver.running():
                    yield

            app = FastAPI(lifespan=lifespan)
            app.mount("/pandapon/callback", receiver)
        """
        async with anyio.create_task_group() as tg:
            self._task_group = tg
            try:
                yield self
            finally:
                self._task_group = None
        close = getattr(self.dedupe, "aclose", None)
        if close is not None:
            await close()

    async def _dispatch(self, handlers: Iterable[Handler], event: WebhookEvent) -> None:
        for handler in handlers:
            if _is_async(handler):
                result = handler(event)
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
        async with self.running():
            await send({"type": "lifespan.startup.complete"})
            while (await receive())["type"] != "lifespan.shutdown":
                pass
        await send({"type": "lifespan.shutdown.complete"})


def _is_async(handler: Handler) -> bool:
    """An ``async def`` function, or an object whose ``__call__`` is one (those must not go to a worker thread)."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(type(handler).__call__)


def _default_key(event: WebhookEvent) -> str:
    return event.dedupe_key


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
