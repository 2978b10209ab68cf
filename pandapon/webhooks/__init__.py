"""Receive PandaPon's message pushes: verify, parse into typed events, de-duplicate, dispatch.

::

    from pandapon.webhooks import WebhookReceiver

    receiver = WebhookReceiver(access_secret)

    @receiver.on("status_change")
    async def on_status(event):
        ...

    # serve `receiver` with any ASGI server, or mount it; `WsgiWebhookReceiver(receiver)` for WSGI.
"""

from __future__ import annotations

from ._dedupe import Claim, DedupeStore, InMemoryDedupe, RedisDedupe
from ._errors import (
    WebhookError,
    WebhookPayloadError,
    WebhookReplayError,
    WebhookSignatureError,
    WebhookTooLargeError,
)
from ._events import (
    Platform,
    PriceChangeEvent,
    RefundEvent,
    StatusChangeEvent,
    UnknownEvent,
    WebhookEvent,
    classify,
    parse_event,
)
from ._receiver import WebhookReceiver
from ._verify import WebhookVerifier, raw_body
from ._wsgi import WsgiWebhookReceiver

__all__ = [
    "Claim",
    "DedupeStore",
    "InMemoryDedupe",
    "Platform",
    "PriceChangeEvent",
    "RedisDedupe",
    "RefundEvent",
    "StatusChangeEvent",
    "UnknownEvent",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookReceiver",
    "WebhookReplayError",
    "WebhookSignatureError",
    "WebhookTooLargeError",
    "WebhookVerifier",
    "WsgiWebhookReceiver",
    "classify",
    "parse_event",
    "raw_body",
]
