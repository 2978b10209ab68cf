"""Pushes: messages signed with HMAC-SHA256, an outbox, redelivery after a failure, dead letters."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

import anyio
import attrs
import httpx

from ._base import dumps, is_object

__all__ = ["Outbox", "PushAttempt", "PushMessage", "courier", "sign_push"]

log = logging.getLogger("pandapon.testing")


def sign_push(body: bytes, secret: str) -> str:
    """Return the ``Authorization`` value of a push: lower-case hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@attrs.frozen
class PushMessage:
    """One push as the fake built it; every delivery attempt sends exactly :attr:`raw`.

    Attributes:
        message_type: ``messageType``.
        body: ``messageBody`` decoded (it travels as JSON text).
        platform: ``messagePlatform``: 0 Taobao, 1 1688.
        created_at: the simulated time the change happened (epoch seconds).
        raw: the request body bytes (``{"messageType", "messageBody", "messagePlatform", "timestamp"}``).
    """

    message_type: str
    body: dict[str, object] = attrs.field(repr=False)
    platform: int
    created_at: float
    raw: bytes = attrs.field(repr=False)

    @classmethod
    def build(cls, message_type: str, body: dict[str, object], platform: int, at: float) -> PushMessage:
        wrapper = {
            "messageType": message_type,
            "messageBody": dumps(body).decode("utf-8"),
            "messagePlatform": platform,
            "timestamp": str(int(at * 1000)),
        }
        return cls(message_type, body, platform, at, dumps(wrapper))

    @property
    def wrapper(self) -> dict[str, object]:
        """The pushed JSON object."""
        value: object = json.loads(self.raw)
        assert is_object(value)
        return value


@attrs.frozen
class PushAttempt:
    """One delivery attempt.

    Attributes:
        message: what was sent.
        url: where.
        attempt: 1 for the first delivery, 2 to 6 for the redeliveries.
        status: the receiver's HTTP status, ``None`` when no answer came.
        error: what went wrong when no answer came (exception type and text, or the timeout).
        at: the simulated time of the attempt.
    """

    message: PushMessage
    url: str
    attempt: int
    status: int | None
    error: str | None
    at: float

    @property
    def delivered(self) -> bool:
        """Tell whether the receiver acknowledged with HTTP 200."""
        return self.status == 200


@attrs.define
class _Pending:
    message: PushMessage
    url: str
    due: float
    attempts: int = 0


class Outbox:
    """Pending pushes and their history. Deliveries happen only in :meth:`deliver` (called by the test, or by the
    served fake's courier); one round at a time."""

    def __init__(self, *, secret: str, redelivery_interval: float, max_redeliveries: int, timeout: float) -> None:
        self._secret = secret
        self.redelivery_interval = redelivery_interval
        self.max_redeliveries = max_redeliveries
        self.timeout = timeout
        self.pending: list[_Pending] = []
        self.attempts: list[PushAttempt] = []
        self.dead_letters: list[PushMessage] = []
        self._round: anyio.Lock | None = None

    def add(self, message: PushMessage, url: str, due: float) -> None:
        self.pending.append(_Pending(message, url, due))

    async def deliver(
        self, now: float, client: httpx.AsyncClient | None, transport: httpx.AsyncBaseTransport | None
    ) -> list[PushAttempt]:
        """Attempt every push due at ``now`` once; schedule a redelivery or dead-letter the failures."""
        if self._round is None:
            self._round = anyio.Lock()
        async with self._round:  # a test's deliver_pending() and the courier never send the same push twice
            due = [entry for entry in self.pending if entry.due <= now]
            if not due:
                return []
            if client is not None:
                return [await self._attempt(client, entry, now) for entry in due]
            async with httpx.AsyncClient(transport=transport) as own:
                return [await self._attempt(own, entry, now) for entry in due]

    async def _attempt(self, client: httpx.AsyncClient, entry: _Pending, now: float) -> PushAttempt:
        entry.attempts += 1
        body = entry.message.raw
        headers = {"Content-Type": "application/json", "Authorization": sign_push(body, self._secret)}
        status: int | None = None
        error: str | None = None
        try:
            # httpx does not time out in-process transports; the task-level deadline covers them.
            with anyio.fail_after(self.timeout):
                response = await client.post(entry.url, content=body, headers=headers, timeout=self.timeout)
            status = response.status_code
        except TimeoutError:
            error = f"no answer within {self.timeout:g}s"
        except Exception as exc:  # any failure of the receiver counts as "not delivered"
            error = f"{type(exc).__name__}: {exc}"
        attempt = PushAttempt(entry.message, entry.url, entry.attempts, status, error, now)
        self.attempts.append(attempt)
        if status == 200:
            self.pending.remove(entry)
        elif entry.attempts > self.max_redeliveries:
            self.pending.remove(entry)
            self.dead_letters.append(entry.message)
        else:
            entry.due = now + self.redelivery_interval
        return attempt


async def courier(
    deliver: Callable[[httpx.AsyncClient], Awaitable[object]],
    interval: float,
    transport: httpx.AsyncBaseTransport | None,
) -> None:
    """Call ``deliver`` every ``interval`` seconds with one client, until cancelled (a served fake's lifespan)."""
    async with httpx.AsyncClient(transport=transport) as client:
        while True:
            try:
                await deliver(client)
            except Exception:  # never let one bad round stop the deliveries
                log.exception("FakePandaPon: a push delivery round failed")
            await anyio.sleep(interval)
