"""pytest fixtures for code that uses pandapon: ``pytest_plugins = ["pandapon.testing.pytest_plugin"]``.

- ``pandapon_fake``: a fresh :class:`FakePandaPon` (seed 0) per test;
- ``pandapon_client``: a sync :class:`~pandapon.PandaPon` wired to it in-process (closed after the test);
- ``pandapon_async_client``: an :class:`~pandapon.AsyncPandaPon` wired to it in-process.

All three are plain (synchronous) fixtures, so they work with anyio's pytest plugin and with pytest-asyncio in
strict and auto mode: an async fixture would need the plugin's own decorator in pytest-asyncio's strict mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .. import AsyncPandaPon, PandaPon
from ._app import FakePandaPon

__all__ = ["pandapon_async_client", "pandapon_client", "pandapon_fake"]


@pytest.fixture
def pandapon_fake() -> FakePandaPon:
    """A fresh, seeded FakePandaPon."""
    return FakePandaPon(seed=0)


@pytest.fixture
def pandapon_client(pandapon_fake: FakePandaPon) -> Iterator[PandaPon]:
    """A sync client talking to ``pandapon_fake`` in-process."""
    with pandapon_fake.client() as client:
        yield client


@pytest.fixture
def pandapon_async_client(pandapon_fake: FakePandaPon) -> AsyncPandaPon:
    """An async client talking to ``pandapon_fake`` in-process: it holds no sockets, so it needs no closing, and it
    opens on whichever event loop the test runs."""
    return pandapon_fake.async_client()
