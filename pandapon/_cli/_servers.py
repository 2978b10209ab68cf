"""``fake-server`` and ``webhook-listen``."""

from __future__ import annotations

import argparse
import json
import os

from ._common import UsageError

__all__ = ["fake_server", "webhook_listen"]


def fake_server(args: argparse.Namespace) -> int:
    """``pandapon fake-server``."""
    try:
        import uvicorn
    except ImportError:
        raise UsageError("fake-server needs uvicorn: pip install 'pandapon[server]'") from None
    from ..testing import FakePandaPon

    fake = FakePandaPon(
        seed=args.seed,
        auto_deliver=0.2,
        redelivery_interval=args.redelivery_interval,
        max_redeliveries=args.max_redeliveries,
        doc_examples=True,  # the ids of the docs' examples exist, so copied snippets work against it
    )
    if args.callback_url:
        fake.register_callback(args.callback_url)
    creds = fake.credentials
    print(f"FakePandaPon on http://{args.host}:{args.port}  (Ctrl-C to stop)")
    print(f"  export PANDAPON_BASE_URL=http://{args.host}:{args.port}")
    print(f"  export PANDAPON_ACCESS_KEY={creds.access_key}")
    print(f"  export PANDAPON_ACCESS_SECRET={creds.access_secret}")
    print(f"  export PANDAPON_USER_ID={creds.user_id}", flush=True)
    if args.callback_url:
        print(
            f"pushing callbacks to {args.callback_url} as they happen (a failed one again every "
            f"{args.redelivery_interval:g} s, at most {args.max_redeliveries} times)",
            flush=True,
        )
    # The fake sends its own Date header (it may simulate clock skew): uvicorn must not add a second one.
    uvicorn.run(fake, host=args.host, port=args.port, log_level="warning", lifespan="on", date_header=False)
    return 0


def webhook_listen(args: argparse.Namespace) -> int:
    """``pandapon webhook-listen``."""
    try:
        import uvicorn
    except ImportError:
        raise UsageError("webhook-listen needs uvicorn: pip install 'pandapon[server]'") from None
    from ..webhooks import WebhookEvent, WebhookReceiver

    secret = args.secret or os.environ.get("PANDAPON_ACCESS_SECRET")
    if not secret:
        raise UsageError("webhook-listen needs the access secret: --secret or PANDAPON_ACCESS_SECRET")
    receiver = WebhookReceiver(secret)

    @receiver.on("*")
    async def show(event: WebhookEvent) -> None:
        stamp = event.timestamp.isoformat() if event.timestamp else "?"
        print(f"[{stamp}] {event.kind:13} {event.message_type}  order={event.order_id}", flush=True)
        print("   " + json.dumps(event.body, ensure_ascii=False, default=str)[:300], flush=True)

    print(f"listening for pushes on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    uvicorn.run(receiver, host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0
