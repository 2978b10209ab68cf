"""Shared pieces of the observability tests: the fake in-process, a transport that keeps what was sent, a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pandapon import AsyncPandaPon, RetryPolicy
from pandapon.testing import FakePandaPon

FAST = RetryPolicy(base=0.001, cap=0.005, max_retry_after=5)
ORDER = "1024285237573584051"  # an order of the docs' examples (doc_examples=True)
RECEIVER = {"country": "US", "state": "California", "city": "VALLEY VLG", "zip": "91607", "address": "x", "name": "n"}


class Recording(httpx.AsyncBaseTransport):
    """Sends through the fake (ASGI, in-process) and keeps every request, and what ``during`` returned at its send."""

    def __init__(self, fake: FakePandaPon, during: Callable[[], object] | None = None) -> None:
        self._inner = httpx.ASGITransport(app=fake)
        self._during = during
        self.requests: list[httpx.Request] = []
        self.seen: list[object] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self._during is not None:
            self.seen.append(self._during())
        return await self._inner.handle_async_request(request)

    def secrets(self, fake: FakePandaPon) -> set[str]:
        """The credentials and every signature sent (headers and query) so far."""
        c = fake.credentials
        found = {c.access_key, c.access_secret}
        for request in self.requests:
            found.update(v for k, v in request.headers.items() if k in ("signature", "nonce-str"))
            found.update(v for k, v in request.url.params.multi_items() if k == "sign")
        return found


@pytest.fixture
def fake() -> FakePandaPon:
    return FakePandaPon(seed=3, doc_examples=True, step_interval=None)


def client_for(fake: FakePandaPon, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> AsyncPandaPon:
    c = fake.credentials
    options.setdefault("retry_policy", FAST)
    return AsyncPandaPon(
        c.access_key, c.access_secret, c.user_id, transport=transport or httpx.ASGITransport(app=fake), **options
    )


async def freight(client: AsyncPandaPon, fake: FakePandaPon) -> object:
    """One query-signed call (the logistics family carries its signature in the URL)."""
    product = fake.state.products[0]
    body = {
        "itemId": product.mp_id,
        "skuId": product.skus[0].mp_sku_id,
        "quantity": 2,
        "receiverAddress": RECEIVER,
        "currency": "CNY",
        "price": "12.50",
    }
    return await client.request(
        "POST", "/open/pp/logistics/itemLogisticsPrice", json=body, auth="query-sign", idempotent=True
    )
