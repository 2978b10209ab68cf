"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import logging
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


# --------------------------------------------------------------------------- secret scan
# Every log record (the `pandapon` logger at DEBUG for the whole run), every PandaPonError message and every
# signature the SDK computes are recorded; at the end of the run none of the records may contain the secret, a
# signature or the full access key. A leak fails the run.

_RECORDS: list[str] = []
_SIGNATURES: set[str] = set()


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _RECORDS.append(self.format(record))


def pytest_configure(config: pytest.Config) -> None:
    import pandapon._exceptions as exceptions
    import pandapon._signing as signing

    logger = logging.getLogger("pandapon")
    logger.addHandler(_Collect(level=logging.DEBUG))
    logger.setLevel(logging.DEBUG)

    original_init = exceptions.PandaPonError.__init__

    def recording_init(self: Exception, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        _RECORDS.append(" ".join(str(a) for a in args))

    exceptions.PandaPonError.__init__ = recording_init  # type: ignore[method-assign]
    original_signature = signing.BaseSigner.signature

    def recording_signature(self: signing.BaseSigner, timestamp: str, nonce: str) -> str:
        value = original_signature(self, timestamp, nonce)
        _SIGNATURES.add(value)
        return value

    signing.BaseSigner.signature = recording_signature  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.helpers import ACCESS_KEY, ACCESS_SECRET

    needles = {"the access secret": ACCESS_SECRET, "the full access key": ACCESS_KEY}
    import re

    hex32 = re.compile(r"[0-9A-Fa-f]{32}")
    leaks = []
    for text in _RECORDS:
        for what, needle in needles.items():
            if needle in text:
                leaks.append(f"{what} in: {text[:200]}")
        # Signatures are 32 hex characters: only texts with such a run are scanned, by set look-ups.
        if hex32.search(text):
            for start in range(len(text) - 31):
                if text[start : start + 32].upper() in _SIGNATURES:
                    leaks.append(f"a signature in: {text[:200]}")
                    break
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nSECRET SCAN FAILED:", *leaks[:20], sep="\n  ")
    elif _RECORDS:
        print(f"\nsecret scan: {len(_RECORDS)} log records and error messages, {len(_SIGNATURES)} signatures: clean")
