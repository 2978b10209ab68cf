"""SDK clients wired to a fake in-process: the one place that builds what ``AsyncPandaPon`` and ``PandaPon`` share
(the transport into the fake, and signers on the fake's clock and timestamp unit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypedDict

import httpx

from .. import HeaderSigner, QuerySigner, RetryPolicy
from ._asgi import Receive, Scope, Send
from ._auth import FakeCredentials, TimestampUnit

__all__ = ["ClientKwargs", "Wirable", "client_kwargs"]


class Wirable(Protocol):
    """What a client needs of a fake: an ASGI app with credentials, a clock and a timestamp unit."""

    @property
    def credentials(self) -> FakeCredentials: ...
    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def timestamp_unit(self) -> TimestampUnit: ...
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


class ClientKwargs(TypedDict):
    """The keyword arguments ``fake.async_client()`` and ``fake.client()`` pass to the SDK after the credentials."""

    transport: httpx.AsyncBaseTransport
    signer: httpx.Auth
    query_signer: httpx.Auth
    max_retries: int
    retry_policy: RetryPolicy | None
    timeout: float
    deadline: float | None


def client_kwargs(
    fake: Wirable, *, max_retries: int, retry_policy: RetryPolicy | None, timeout: float, deadline: float | None
) -> ClientKwargs:
    """Return the keyword arguments of a client that talks to ``fake`` in-process, signed with its credentials.

    The signers use the fake's clock (so that a test clock works) and its timestamp unit (seconds when ``auto``).
    """
    c = fake.credentials
    unit: Literal["s", "ms"] = "ms" if fake.timestamp_unit == "ms" else "s"
    return ClientKwargs(
        transport=httpx.ASGITransport(app=fake),
        signer=HeaderSigner(c.access_key, c.access_secret, c.user_id, timestamp_unit=unit, clock=fake.clock),
        query_signer=QuerySigner(c.access_key, c.access_secret, c.user_id, timestamp_unit=unit, clock=fake.clock),
        max_retries=max_retries,
        retry_policy=retry_policy,
        timeout=timeout,
        deadline=deadline,
    )
