"""Errors of the push receiver, under :class:`pandapon.PandaPonError`."""

from __future__ import annotations

from .._exceptions import PandaPonError

__all__ = [
    "WebhookError",
    "WebhookPayloadError",
    "WebhookReplayError",
    "WebhookSignatureError",
    "WebhookTooLargeError",
]


class WebhookError(PandaPonError):
    """A push was refused. ``status`` is the HTTP status a receiver answers with."""

    status = 400


class WebhookSignatureError(WebhookError):
    """The ``Authorization`` header is missing or does not match the body."""

    status = 401


class WebhookReplayError(WebhookError):
    """The push's ``timestamp`` is outside the accepted window (too old or in the future)."""

    status = 401


class WebhookPayloadError(WebhookError):
    """The push is not a JSON wrapper with a ``messageType``, or cannot be decoded (not JSON, invalid UTF-8, nested
    too deeply, a number out of range, also inside a ``messageBody`` string), or its ``timestamp`` is unreadable."""

    status = 400


class WebhookTooLargeError(WebhookError):
    """The push body exceeds the receiver's size limit."""

    status = 413
