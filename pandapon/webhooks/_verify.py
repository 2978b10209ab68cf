"""Push verification: the ``Authorization`` HMAC, the replay window and the size limit.

The platform's text (v2 Chinese manual) says ``Authorization = HEX_ENCODE(HMAC-SHA256(Base, Secret))`` with the
access secret; ``Base`` is not defined and the hex case is unknown (API notes §11). The default takes the raw
request body as ``Base`` and compares case-insensitively in constant time; pass ``base=`` to change it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping

from .._types import as_object
from ._errors import WebhookPayloadError, WebhookReplayError, WebhookSignatureError, WebhookTooLargeError

__all__ = ["WebhookVerifier", "raw_body"]


def raw_body(body: bytes, headers: Mapping[str, str]) -> bytes:
    """The default ``Base``: the request body exactly as received."""
    return body


class WebhookVerifier:
    """Check a push's signature, age and size.

    Args:
        access_secret: the HMAC key.
        base: builds the signed bytes from (body, headers); the raw body by default.
        replay_window: seconds a push's ``timestamp`` may differ from now, in either direction. The default,
            3 hours, covers the platform's 5 redeliveries 30 minutes apart in case the timestamp is not renewed.
            ``None`` disables the check.
        max_body: bytes; larger pushes are refused.
        clock: the current time in seconds.
    """

    def __init__(
        self,
        access_secret: str,
        *,
        base: Callable[[bytes, Mapping[str, str]], bytes] = raw_body,
        replay_window: float | None = 3 * 3600,
        max_body: int = 1 << 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not access_secret:
            raise ValueError("access_secret is required to verify pushes")
        self._key = access_secret.encode("utf-8")
        self.base = base
        self.replay_window = replay_window
        self.max_body = max_body
        self.clock = clock

    def signature(self, body: bytes, headers: Mapping[str, str] | None = None) -> str:
        """Return the expected ``Authorization`` value (lower-case hex)."""
        return hmac.new(self._key, self.base(body, headers or {}), hashlib.sha256).hexdigest()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise a :class:`~pandapon.webhooks.WebhookError` subclass unless the push is authentic and fresh.

        A signed body whose ``timestamp`` cannot be read (not JSON, invalid UTF-8, nested too deeply, not an
        integer) raises :class:`~pandapon.webhooks.WebhookPayloadError`; one beyond any clock's range raises
        :class:`~pandapon.webhooks.WebhookReplayError`.
        """
        if len(body) > self.max_body:
            raise WebhookTooLargeError(f"the push body has {len(body)} bytes, more than the limit of {self.max_body}")
        lowered = {k.lower(): v for k, v in headers.items()}
        given = lowered.get("authorization", "").strip()
        if given.lower().startswith(("hmac ", "bearer ")):
            given = given.split(" ", 1)[1].strip()
        if not given:
            raise WebhookSignatureError("the push has no Authorization header")
        expected = self.signature(body, lowered)
        if not hmac.compare_digest(given.lower().encode("ascii", "replace"), expected.encode("ascii")):
            raise WebhookSignatureError("the push's Authorization header does not match its body")
        if self.replay_window is not None:
            self._check_age(body)

    def _check_age(self, body: bytes) -> None:
        try:
            wrapper = as_object(json.loads(body))
            stamp = int(str(wrapper.get("timestamp"))) if wrapper is not None else None
        except (ValueError, TypeError):  # UnicodeDecodeError included
            raise WebhookPayloadError("the push's timestamp is missing or not an integer") from None
        except RecursionError:
            raise WebhookPayloadError("the push body is nested too deeply to decode") from None
        if stamp is None:
            raise WebhookPayloadError("the push's timestamp is missing")
        assert self.replay_window is not None
        try:
            seconds = stamp / 1000 if stamp > 10**11 else float(stamp)
        except OverflowError:  # an integer beyond any float: far outside every window
            direction = "in the future" if stamp > 0 else "in the past"
            raise WebhookReplayError(
                f"the push's timestamp is far {direction}; the window is ±{self.replay_window:.0f}s"
            ) from None
        skew = self.clock() - seconds
        if abs(skew) > self.replay_window:
            direction = "old" if skew > 0 else "in the future"
            raise WebhookReplayError(
                f"the push's timestamp is {abs(skew):.0f}s {direction}; the window is ±{self.replay_window:.0f}s"
            )
