"""The whole purchase flow (the demo's), async and sync, in-process and over real loopback sockets."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import httpx
import pytest

from pandapon import AsyncPandaPon, PandaPon
from pandapon._demo import _flow
from pandapon.testing import FakePandaPon
from pandapon.webhooks import WebhookEvent, WebhookReceiver
from tests.helpers import serve_asgi


class Steps:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str, *details: str) -> None:
        self.lines.append(text)


def make_fake() -> tuple[FakePandaPon, WebhookReceiver, list[WebhookEvent]]:
    fake = FakePandaPon(seed=3)
    receiver = WebhookReceiver(fake.credentials.access_secret)
    events: list[WebhookEvent] = []
    receiver.on("*")(events.append)
    return fake, receiver, events


def creds(fake: FakePandaPon) -> dict[str, str]:
    c = fake.credentials
    return {"access_key": c.access_key, "access_secret": c.access_secret, "user_id": c.user_id}


def check(fake: FakePandaPon, steps: Steps, events: list[WebhookEvent]) -> None:
    assert len(steps.lines) == 10, steps.lines
    assert "never twice" in " ".join(steps.lines) or len(fake.orders) == 1
    assert len(fake.orders) == 1  # the create whose answer was lost was reconciled, not repeated
    kinds = {e.kind for e in events}
    assert {"status_change", "refund"} <= kinds
    assert all(a.status == 200 for a in fake.pushes)
    assert fake.dead_letters == []


@pytest.mark.anyio
async def test_async_in_process() -> None:
    fake, receiver, events = make_fake()
    fake.callback_transport = httpx.ASGITransport(app=receiver)
    fake.register_callback("https://hooks.test/pandapon")
    steps = Steps()
    async with AsyncPandaPon(**creds(fake), transport=httpx.ASGITransport(app=fake)) as client:

        async def call(step: Any) -> Any:
            return await step(client)

        await _flow(call, steps, fake, events, "t1")
    check(fake, steps, events)


@pytest.mark.anyio
async def test_sync_in_process() -> None:
    fake, receiver, events = make_fake()
    fake.callback_transport = httpx.ASGITransport(app=receiver)
    fake.register_callback("https://hooks.test/pandapon")
    steps = Steps()
    with PandaPon(**creds(fake), transport=httpx.ASGITransport(app=fake)) as client:

        async def call(step: Any) -> Any:
            return await anyio.to_thread.run_sync(step, client)

        await _flow(call, steps, fake, events, "t2")
    check(fake, steps, events)


@pytest.fixture
def loopback() -> Iterator[tuple[FakePandaPon, list[WebhookEvent], str]]:
    fake, receiver, events = make_fake()
    with serve_asgi(fake) as fake_url, serve_asgi(receiver) as hook_url:
        fake.register_callback(hook_url + "/pandapon")
        yield fake, events, fake_url


@pytest.mark.loopback
@pytest.mark.anyio
async def test_async_over_loopback(loopback: tuple[FakePandaPon, list[WebhookEvent], str]) -> None:
    fake, events, url = loopback
    steps = Steps()
    async with AsyncPandaPon(**creds(fake), base_url=url) as client:

        async def call(step: Any) -> Any:
            return await step(client)

        await _flow(call, steps, fake, events, "t3")
    check(fake, steps, events)


@pytest.mark.loopback
@pytest.mark.anyio
async def test_sync_over_loopback(loopback: tuple[FakePandaPon, list[WebhookEvent], str]) -> None:
    fake, events, url = loopback
    steps = Steps()
    with PandaPon(**creds(fake), base_url=url) as client:

        async def call(step: Any) -> Any:
            return await anyio.to_thread.run_sync(step, client)

        await _flow(call, steps, fake, events, "t4")
    check(fake, steps, events)


def test_demo_command_runs_both_clients() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pandapon", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "AsyncPandaPon (awaited):" in out
    assert "PandaPon (sync, through its portal):" in out
    assert out.count("orders created: 1 (never twice)") == 2
    assert "Traceback" not in result.stderr
