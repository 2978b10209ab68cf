"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

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


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server: PANDAPON_TEST_REDIS_URL, or one started here from the redis-server binary.

    Skips when neither is available, except in CI (CI=true), where a missing Redis fails the run.
    """
    url = os.environ.get("PANDAPON_TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide Redis: install redis-server (see .ci/run)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
