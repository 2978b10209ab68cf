"""The receiver as a WSGI application (Flask, Django): the same logic, on one background event loop of its own."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import anyio

from ._receiver import WebhookReceiver

__all__ = ["WsgiWebhookReceiver"]


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
