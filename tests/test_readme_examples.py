"""The README's Python examples, executed against FakePandaPon over loopback (with the README's own ids)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import pandapon
from pandapon.testing import FakePandaPon
from tests.helpers import create_taobao_order, serve_asgi

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
README_ORDER_ID = "1024285237573584051"


@pytest.fixture(scope="module")
def fake_url() -> Iterator[tuple[FakePandaPon, str]]:
    fake = FakePandaPon(seed=4, step_interval=None)
    with fake.client() as client:
        order = create_taobao_order(client)
    # The README shows the documented example order id: give the fake's order that id.
    record = fake.state.orders.pop(str(order["orderId"]))
    record.order_id = README_ORDER_ID
    fake.state.orders[README_ORDER_ID] = record
    with serve_asgi(fake) as url:
        yield fake, url


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.loopback
@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_readme_example_runs(
    code: str, fake_url: tuple[FakePandaPon, str], monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    fake, url = fake_url
    creds = fake.credentials
    monkeypatch.setenv("PANDAPON_ACCESS_KEY", creds.access_key)
    monkeypatch.setenv("PANDAPON_ACCESS_SECRET", creds.access_secret)
    monkeypatch.setenv("PANDAPON_USER_ID", creds.user_id)
    monkeypatch.setenv("PANDAPON_BASE_URL", url)
    namespace: dict[str, Any] = {"pandapon": pandapon, "access_secret": creds.access_secret}

    async def run() -> None:
        from redis.asyncio import Redis

        namespace["redis"] = Redis.from_url(redis_url)
        async with pandapon.AsyncPandaPon() as client:
            namespace["client"] = client
            if "await " in code or "async with" in code:
                exec("async def __example():\n" + textwrap.indent(code, "    "), namespace)
                await namespace["__example"]()
            else:
                exec(code, namespace)
        await namespace["redis"].aclose()

    anyio.run(run)
    if "update_warehouse" in code:
        assert fake.state.orders[README_ORDER_ID].warehouse_name == "一号仓库"
