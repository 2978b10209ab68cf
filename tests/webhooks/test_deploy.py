"""Receivers where people deploy them (issue 16, items 1, 3, 4): mounted in FastAPI and Starlette apps with or
without a lifespan, behind a WSGI server in a Django-style app, pushes nobody handles, redeliveries with a new
timestamp. Real servers over loopback (uvicorn, wsgiref), and Starlette in-process on asyncio and trio."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import anyio
import httpx
import pytest

from pandapon.webhooks import WebhookEvent, WebhookReceiver, WsgiWebhookReceiver

from ..helpers import log_records, serve_asgi, wait_until
from .test_webhooks import SECRET, push, sign

SLOW = 1.0  # the handler's run time; the receiver answers after ACK
ACK = 0.2


class SlowHandler:
    """Counts how often it started and how often it ran to the end (a cancelled run never finishes)."""

    def __init__(self) -> None:
        self.started = 0
        self.finished = 0
        self.lock = threading.Lock()

    async def __call__(self, event: WebhookEvent) -> None:
        with self.lock:
            self.started += 1
        await anyio.sleep(SLOW)
        with self.lock:
            self.finished += 1


def slow_receiver() -> tuple[WebhookReceiver, SlowHandler]:
    receiver = WebhookReceiver(SECRET, ack_timeout=ACK)
    handler = SlowHandler()
    receiver.on("*")(handler)
    return receiver, handler


def deliver_twice(url: str, handler: SlowHandler) -> None:
    """First delivery: 503 after ACK, the handler goes on; the redelivery after it finished: 200, not run again."""
    body = push()
    first = httpx.post(url, content=body, headers=sign(body), timeout=10)
    assert first.status_code == 503, first.text
    wait_until(lambda: handler.finished == 1)
    again = httpx.post(url, content=body, headers=sign(body), timeout=10)
    assert (again.status_code, again.json()["message"]) == (200, "duplicate")
    assert (handler.started, handler.finished) == (1, 1)


def fastapi_app(receiver: WebhookReceiver, *, lifespan: bool) -> Any:
    from fastapi import FastAPI

    @contextlib.asynccontextmanager
    async def forward(app: Any) -> AsyncIterator[None]:
        async with receiver.running():
            yield

    app = FastAPI(lifespan=forward) if lifespan else FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/pandapon/callback", receiver)
    return app


def starlette_app(receiver: WebhookReceiver, *, lifespan: bool) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    @contextlib.asynccontextmanager
    async def forward(app: Any) -> AsyncIterator[None]:
        async with receiver.running():
            yield

    return Starlette(routes=[Mount("/pandapon/callback", app=receiver)], lifespan=forward if lifespan else None)


@pytest.mark.parametrize("lifespan", [False, True], ids=["no-lifespan", "lifespan-forwarded"])
@pytest.mark.parametrize("framework", [fastapi_app, starlette_app], ids=["fastapi", "starlette"])
def test_a_mounted_receiver_never_cancels_a_slow_handler(framework: Any, lifespan: bool) -> None:
    receiver, handler = slow_receiver()
    with serve_asgi(framework(receiver, lifespan=lifespan)) as base:
        deliver_twice(base + "/pandapon/callback/", handler)


@contextlib.contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """A real WSGI server (the stdlib's, one thread per request) on a free loopback port."""
    from socketserver import ThreadingMixIn

    class Threading(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, server_class=Threading, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_wsgi_receiver_in_a_django_style_app_lets_a_slow_handler_finish() -> None:
    receiver, handler = slow_receiver()
    hook = WsgiWebhookReceiver(receiver)

    def site(environ: dict[str, Any], start_response: Any) -> Any:  # a URLconf in miniature
        if environ["PATH_INFO"] == "/pandapon/callback/":
            return hook(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    try:
        with serve_wsgi(site) as base:
            assert httpx.get(base + "/elsewhere").status_code == 404
            deliver_twice(base + "/pandapon/callback/", handler)
    finally:
        hook.close()


@pytest.mark.anyio
async def test_mounted_without_a_lifespan_the_handler_outlives_the_request(anyio_backend: str) -> None:
    """The same contract in-process, on asyncio and on trio (Starlette runs on both)."""
    receiver, handler = slow_receiver()
    app = starlette_app(receiver, lifespan=False)
    body = push()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        first = await client.post("/pandapon/callback/", content=body, headers=sign(body))
        assert (first.status_code, first.json()["message"]) == (503, "still handling")
        with anyio.fail_after(5):
            while handler.finished < 1:
                await anyio.sleep(0.02)
        again = await client.post("/pandapon/callback/", content=body, headers=sign(body))
    assert (again.status_code, again.json()["message"]) == (200, "duplicate")
    assert (handler.started, handler.finished) == (1, 1)


@pytest.mark.anyio
async def test_a_redelivery_during_the_run_waits_for_it_instead_of_running_it_twice() -> None:
    receiver, handler = slow_receiver()
    receiver.ack_timeout = ACK
    body = push()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://hook") as client:
        first = await client.post("/", content=body, headers=sign(body))
        assert first.status_code == 503
        receiver.ack_timeout = 5 * SLOW
        again = await client.post("/", content=body, headers=sign(body))
    assert (again.status_code, again.json()["message"]) == (200, "ok")
    assert (handler.started, handler.finished) == (1, 1)


# ---------------------------------------------------------------------- pushes nobody handles (item 3)


def webhook_log() -> contextlib.AbstractContextManager[list[logging.LogRecord]]:
    return log_records("pandapon.webhooks")


async def deliver(receiver: WebhookReceiver, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://hook") as client:
        return await client.post("/", content=body, headers=sign(body))


@pytest.mark.anyio
async def test_an_unhandled_push_is_logged_and_dead_lettered_never_acknowledged_silently() -> None:
    letters: list[WebhookEvent] = []
    receiver = WebhookReceiver(SECRET, dead_letter=letters.append)
    receiver.on("refund")(lambda event: None)  # handlers exist, but none for status changes
    body = push()
    with webhook_log() as records:
        answer = await deliver(receiver, body)
    assert (answer.status_code, answer.json()["message"]) == (200, "unhandled")
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert (
        "no handler" in text and "TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE" in text and "1024285237573584051" in text
    )
    assert [e.message_type for e in letters] == ["TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE"]


@pytest.mark.anyio
async def test_with_redeliver_an_unhandled_push_reaches_a_handler_registered_later() -> None:
    receiver = WebhookReceiver(SECRET, unhandled="redeliver")
    body = push()
    with webhook_log() as records:
        first = await deliver(receiver, body)
    assert (first.status_code, first.json()["message"]) == (503, "no handler")
    assert any("leaving it for redelivery" in r.getMessage() for r in records)
    seen: list[str] = []
    receiver.on("status_change")(lambda event: seen.append(event.message_type))
    assert (await deliver(receiver, body)).status_code == 200
    assert seen == ["TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE"]


@pytest.mark.anyio
async def test_a_failing_dead_letter_hook_leaves_the_push_for_redelivery() -> None:
    calls: list[int] = []

    async def dead_letter(event: WebhookEvent) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("queue down")

    receiver = WebhookReceiver(SECRET, dead_letter=dead_letter)
    body = push()
    assert (await deliver(receiver, body)).status_code == 500
    assert (await deliver(receiver, body)).status_code == 200
    assert (await deliver(receiver, body)).json()["message"] == "duplicate"
    assert len(calls) == 2


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="'acknowledge' or 'redeliver', got 'drop'"):
        WebhookReceiver(SECRET, unhandled="drop")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the de-duplication key (item 4)


@pytest.mark.anyio
async def test_a_redelivery_with_a_renewed_timestamp_is_still_a_duplicate() -> None:
    receiver = WebhookReceiver(SECRET)
    seen: list[str] = []
    receiver.on("*")(lambda event: seen.append(event.message_type))
    first, renewed = push(ts=time.time() - 30), push(ts=time.time())
    assert first != renewed  # only the wrapper's timestamp differs
    assert json.loads(first)["messageBody"] == json.loads(renewed)["messageBody"]
    assert (await deliver(receiver, first)).status_code == 200
    answer = await deliver(receiver, renewed)
    assert (answer.status_code, answer.json()["message"]) == (200, "duplicate")
    assert len(seen) == 1


@pytest.mark.anyio
async def test_a_key_function_chooses_what_counts_as_the_same_push() -> None:
    receiver = WebhookReceiver(SECRET, dedupe_key=lambda event: f"{event.dedupe_key}:{event.timestamp}")
    seen: list[str] = []
    receiver.on("*")(lambda event: seen.append(event.message_type))
    for ts in (time.time() - 30, time.time()):
        assert (await deliver(receiver, push(ts=ts))).status_code == 200
    assert len(seen) == 2
