"""Test doubles for code that uses pandapon: ``FakePandaPon``, an in-memory PandaPon OpenAPI.

``FakePandaPon`` is an ASGI application that checks signatures like the platform, keeps seeded, stateful data for
every endpoint of the catalogue (a Taobao and a 1688 purchase flow really work), sends signed pushes through an
outbox, and misbehaves on request::

    fake = FakePandaPon(seed=1)
    creds = fake.credentials
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake),
        base_url="https://api.pandapon.com",
        auth=pandapon.HeaderSigner(creds.access_key, creds.access_secret, creds.user_id),
    ) as http:
        response = await http.post("/open/product/item/search", json={"keyword": "T恤", "pageNo": 1})

    fake.inject(Fault("drop_after", path="/open/order"))   # the order is created, the answer is lost

Checks the platform's docs do not state are switchable: ``FakePandaPon(strict=False)``, or a set of the rule names
of ``STRICT_RULES`` (``STRICT_DEFAULTS`` are on when ``strict`` is not given).
"""

from __future__ import annotations

from ._app import FakePandaPon
from ._auth import FakeCredentials
from ._exchange import LoggedRequest
from ._faults import Fault, FaultKind
from ._invented import INVENTED_RESPONSES
from ._push import PushAttempt, PushMessage
from ._state import MESSAGE_TYPES
from ._strict import STRICT_DEFAULTS, STRICT_RULES

__all__ = [
    "INVENTED_RESPONSES",
    "MESSAGE_TYPES",
    "STRICT_DEFAULTS",
    "STRICT_RULES",
    "FakeCredentials",
    "FakePandaPon",
    "Fault",
    "FaultKind",
    "LoggedRequest",
    "PushAttempt",
    "PushMessage",
]
