"""Typed webhook handlers and names checked at registration (issue 15, item 5)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pandapon.webhooks import WebhookReceiver


def test_a_misspelled_event_name_raises_at_registration_listing_the_valid_ones() -> None:
    receiver = WebhookReceiver("secret")
    with pytest.raises(ValueError, match="unknown event name") as caught:
        receiver.on("status_chnage")
    message = str(caught.value)
    assert message.startswith("unknown event name 'status_chnage': expected one of 'price_change', 'status_change'")
    assert "'refund', 'unknown', '*'" in message and "exact message type in upper case" in message


@pytest.mark.parametrize(
    "names",
    [
        (),
        ("*",),
        ("price_change", "refund"),
        ("unknown",),
        ("TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY",),
        ("1688_X",),
    ],
)
def test_kinds_star_and_exact_message_types_are_accepted(names: tuple[str, ...]) -> None:
    receiver = WebhookReceiver("secret")
    handler = receiver.on(*names)(lambda event: None)
    assert callable(handler)


GOOD = """
from pandapon.webhooks import (
    PriceChangeEvent, RefundEvent, StatusChangeEvent, UnknownEvent, WebhookEvent, WebhookReceiver,
)

receiver = WebhookReceiver("secret")


@receiver.on("status_change")
async def on_status(event: StatusChangeEvent) -> None:
    print(event.order_id, event.status)


@receiver.on("price_change")
def on_price(event: PriceChangeEvent) -> None:
    print(event.order)


@receiver.on("refund")
async def on_refund(event: RefundEvent) -> None: ...


@receiver.on("unknown")
async def on_unknown(event: UnknownEvent) -> None: ...


@receiver.on("price_change", "refund")
async def on_either(event: WebhookEvent) -> None: ...


@receiver.on()
async def on_all(event: WebhookEvent) -> None: ...
"""

BAD = """
from pandapon.webhooks import StatusChangeEvent, WebhookReceiver

receiver = WebhookReceiver("secret")


@receiver.on("price_change")
async def wrong(event: StatusChangeEvent) -> None: ...


@receiver.on("*")
async def too_narrow(event: StatusChangeEvent) -> None: ...
"""


def test_handlers_are_typed_for_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    cache = tmp_path / "cache"

    def mypy(name: str, code: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / name).write_text(textwrap.dedent(code), encoding="utf-8")
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )

    good = mypy("good.py", GOOD)
    assert good.returncode == 0, good.stdout
    bad = mypy("bad.py", BAD)
    assert bad.returncode == 1
    errors = [line for line in bad.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, bad.stdout
    assert all("bad.py:7" in e or "bad.py:11" in e for e in errors), bad.stdout
