"""The DEBUG line of each attempt carries the envelope's business code (issue 16, item 8), on both clients."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest

from pandapon import APIError
from pandapon.testing import FakePandaPon


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def debug_lines() -> Iterator[list[str]]:
    logger = logging.getLogger("pandapon")
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def attempts(lines: list[str]) -> list[str]:
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
