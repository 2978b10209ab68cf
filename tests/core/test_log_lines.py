"""The DEBUG line of each attempt carries the envelope's business code (issue 16, item 8), on both clients."""

from __future__ import annotations

import contextlib
import logging

import pytest

from pandapon import APIError
from pandapon.testing import FakePandaPon

from ..helpers import log_records


def debug_lines() -> contextlib.AbstractContextManager[list[logging.LogRecord]]:
    return log_records("pandapon", logging.DEBUG)


def attempts(records: list[logging.LogRecord]) -> list[str]:
    lines = [record.getMessage() for record in records]
    return [line for line in lines if "/open/product/get" in line and " -> " in line]


@pytest.mark.anyio
async def test_a_business_404_is_logged_with_its_code() -> None:
    fake = FakePandaPon(seed=0)
    async with fake.async_client() as client:
        with debug_lines() as lines, pytest.raises(APIError):
            await client.taobao.products.get("999999999999")
        with debug_lines() as found:
            await client.taobao.products.get(fake.state.products[0].item_id)
    [line] = attempts(lines)
    assert "GET /open/product/get -> 200 code=404 in " in line
    assert "(attempt 1, key " in line
    [ok] = attempts(found)
    assert "-> 200 code=200 in " in ok


def test_the_sync_client_logs_the_same_line() -> None:
    fake = FakePandaPon(seed=0)
    with fake.client() as client, debug_lines() as lines, pytest.raises(APIError):
        client.taobao.products.get("999999999999")
    [line] = attempts(lines)
    assert "-> 200 code=404 in " in line
