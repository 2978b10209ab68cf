"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import os

import pytest

from tests.helpers import ACCESS_KEY, ACCESS_SECRET, USER_ID


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PANDAPON_") and name != "PANDAPON_TEST_REDIS_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def creds() -> dict[str, str]:
    return {"access_key": ACCESS_KEY, "access_secret": ACCESS_SECRET, "user_id": USER_ID}
