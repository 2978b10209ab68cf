"""The served fake delivers its pushes by itself (issue 16, item 2): on its redelivery schedule, compressed here,
to a receiver over loopback; and the CLI pair ``fake-server --callback-url`` / ``webhook-listen`` shows them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

import pytest

from pandapon import PandaPon
from pandapon.testing import FakePandaPon
from pandapon.webhooks import WebhookEvent, WebhookReceiver

from ..helpers import create_taobao_order, free_port, serve_asgi, wait_until


def test_the_served_fake_pushes_and_redelivers_on_its_own_schedule() -> None:
    fake = FakePandaPon(seed=3, auto_deliver=0.05, redelivery_interval=0.5)
    secret = fake.credentials.access_secret
    receiver = WebhookReceiver(secret)
    seen: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()

    @receiver.on("*")
    async def record(event: WebhookEvent) -> None:
        with lock:
            if not failed:  # the very first push fails once: it must come again, half a second later
                failed.append(event.message_type)
                raise RuntimeError("database down")
            seen.append(f"{event.message_type} {event.order_id}")

    with serve_asgi(receiver) as hook, serve_asgi(fake) as base:
        fake.register_callback(hook + "/")
        c = fake.credentials
        with PandaPon(c.access_key, c.access_secret, c.user_id, base_url=base) as client:
            order = create_taobao_order(client)
            client.taobao.orders.pay({"orderId": order["orderId"]})
        # Nobody calls deliver_pending(): the served fake does.
        wait_until(lambda: not fake.outbox and len(seen) >= 1, timeout=15)
    attempts = fake.pushes
    first = attempts[0]
    assert (first.attempt, first.status) == (1, 500)
    again = next(a for a in attempts if a.message is first.message and a.attempt == 2)
    assert again.status == 200
    assert again.at - first.at >= 0.5  # the schedule, compressed
    assert all(str(order["orderId"]) in line for line in seen)
    assert fake.dead_letters == []


def test_without_auto_deliver_only_the_test_delivers() -> None:
    fake = FakePandaPon(seed=3)
    with serve_asgi(fake) as base:
        fake.register_callback("http://127.0.0.1:9/")
        c = fake.credentials
        with PandaPon(c.access_key, c.access_secret, c.user_id, base_url=base) as client:
            order = create_taobao_order(client)
            client.taobao.orders.pay({"orderId": order["orderId"]})
        time.sleep(0.5)
    assert fake.outbox and fake.pushes == []


def test_auto_deliver_must_be_positive() -> None:
    with pytest.raises(ValueError, match="auto_deliver must be > 0 seconds or None, got 0"):
        FakePandaPon(auto_deliver=0)


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _lines(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)


@pytest.fixture
def spawn(cli_env: dict[str, str]) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> list[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pandapon", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=cli_env,
        )
        procs.append(proc)
        out: list[str] = []
        assert proc.stdout is not None
        threading.Thread(target=_lines, args=(proc.stdout, out), daemon=True).start()
        return out

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_fake_server_and_webhook_listen_show_pushes_as_they_arrive(spawn: object) -> None:
    fake_port, hook_port = free_port(), free_port()
    server = spawn(  # type: ignore[operator]
        "fake-server",
        "--port",
        str(fake_port),
        "--callback-url",
        f"http://127.0.0.1:{hook_port}/",
        "--redelivery-interval",
        "1",
    )
    wait_until(lambda: any("PANDAPON_USER_ID" in line for line in server), timeout=15)
    env = dict(line.strip().removeprefix("export ").split("=", 1) for line in server if "export " in line)
    listener = spawn("webhook-listen", "--port", str(hook_port), "--secret", env["PANDAPON_ACCESS_SECRET"])  # type: ignore[operator]
    wait_until(lambda: any("listening" in line for line in listener), timeout=15)
    with PandaPon(
        env["PANDAPON_ACCESS_KEY"],
        env["PANDAPON_ACCESS_SECRET"],
        env["PANDAPON_USER_ID"],
        base_url=env["PANDAPON_BASE_URL"],
    ) as client:
        order = create_taobao_order(client)
        client.taobao.orders.pay({"orderId": order["orderId"]})
    wait_until(lambda: any(f"order={order['orderId']}" in line for line in listener), timeout=20)
    assert any("pushing callbacks to" in line for line in server)
