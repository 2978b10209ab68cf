"""The ``pandapon`` command: ``demo``, ``call``, ``fake-server``, ``webhook-listen``, ``version``.

Bad arguments get a one-line message and exit status 2; a failed call prints the typed error and exits 1;
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import typing
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from ._converter import RequestModel, to_wire
from ._exceptions import PandaPonError
from ._types import JSON, as_object
from ._version import __version__

__all__ = ["main"]


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pandapon", description="The PandaPon OpenAPI from the shell.")
    parser.add_argument("--version", action="version", version=f"pandapon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="walk a full purchase flow (against the embedded fake unless PANDAPON_* is set)")
    demo.add_argument("--real", action="store_true", help="require PANDAPON_* credentials and run read-only calls")

    call = sub.add_parser("call", help="call any endpoint, e.g. taobao.orders.update_warehouse; prints JSON")
    call.add_argument("operation", help="group.resource.method, e.g. alibaba.products.search_by_keyword")
    call.add_argument("--json", default="{}", help="the arguments as a JSON object, by Python parameter name")
    call.add_argument("--fake", action="store_true", help="call the embedded fake PandaPon instead of the platform")

    server = sub.add_parser(
        "fake-server",
        help="serve FakePandaPon over HTTP with uvicorn",
        description="Serve the embedded fake PandaPon over HTTP. With --callback-url it pushes signed callbacks "
        "by itself as orders change, and redelivers failed ones on the platform's schedule.",
    )
    server.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    server.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    server.add_argument(
        "--seed", type=int, default=0, help="seed of the catalogue, ids and credentials (default: %(default)s)"
    )
    server.add_argument("--callback-url", default=None, help="push callbacks to this URL")
    server.add_argument(
        "--redelivery-interval",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="seconds before a failed push is sent again (default: %(default)g, the platform's half hour; "
        "compress it for tests)",
    )
    server.add_argument(
        "--max-redeliveries", type=int, default=5, help="redeliveries before a push is dropped (default: %(default)s)"
    )

    listen = sub.add_parser("webhook-listen", help="receive pushes and print the verified events")
    listen.add_argument("--host", default="127.0.0.1")
    listen.add_argument("--port", type=int, default=8081)
    listen.add_argument("--secret", default=None, help="the access secret (default: PANDAPON_ACCESS_SECRET)")

    sub.add_parser("operations", help="list every operation with its HTTP method, path and confidence")
    return parser


def _json_out(value: object) -> str:
    return json.dumps(to_wire(value), ensure_ascii=False, indent=2, default=_default)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _build(annotation: Any, value: JSON, where: str) -> Any:
    """Turn decoded JSON into what a parameter annotation wants (request models from objects)."""
    options = (
        typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, _UnionType) else (annotation,)
    )
    mapping = as_object(value)
    if mapping is not None:
        for option in options:
            if isinstance(option, type) and issubclass(option, RequestModel):
                hints = typing.get_type_hints(option)
                names = {a.name for a in __import__("attrs").fields(option)}
                unknown = sorted(set(mapping) - names)
                if unknown:
                    raise UsageError(
                        f"{where}: unknown field(s) {unknown}; expected some of {sorted(names - {'extra'})}"
                    )
                return option(**{k: _build(hints[k], cast(JSON, v), f"{where}.{k}") for k, v in mapping.items()})
    if isinstance(value, list):
        for option in options:
            if typing.get_origin(option) is list:
                (inner,) = typing.get_args(option)
                return [_build(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


_UnionType = type(int | str)


def _resolve(client: Any, operation: str) -> Any:
    from ._generated.operations import OPERATIONS

    if operation not in OPERATIONS:
        close = [op for op in OPERATIONS if operation.split(".")[-1] in op][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `pandapon operations` for the list"
        raise UsageError(f"unknown operation {operation!r}{hint}")
    resource, method, _ = OPERATIONS[operation]
    target = client
    for part in resource.split("."):
        target = getattr(target, part)
    return getattr(target, method)


def _call(args: argparse.Namespace) -> int:
    try:
        decoded: JSON = json.loads(args.json)
    except ValueError as exc:
        raise UsageError(f"--json is not valid JSON: {exc}") from None
    arguments = as_object(decoded)
    if arguments is None:
        raise UsageError(f"--json must be a JSON object of arguments, got {type(decoded).__name__}")
    from ._generated.operations import OPERATIONS
    from ._sync import PandaPon

    if args.operation not in OPERATIONS:
        _resolve(None, args.operation)  # raises a UsageError with suggestions
    fake = None
    if args.fake:
        from .testing import FakePandaPon

        fake = FakePandaPon()
        client = fake.client()
    else:
        client = PandaPon()
    with client:
        method = _resolve(client, args.operation)
        owner = cast("type[object]", type(method.__self__))
        hints = typing.get_type_hints(getattr(owner, method.__name__))
        params = [p for p in hints if p != "return"]
        unknown = sorted(set(arguments) - set(params))
        if unknown:
            raise UsageError(f"{args.operation}: unknown argument(s) {unknown}; it takes {params}")
        kwargs = {k: _build(hints[k], cast(JSON, v), k) for k, v in arguments.items()}
        try:
            result = method(**kwargs)
        except TypeError as exc:
            raise UsageError(f"{args.operation}: {exc}") from None
    print(_json_out(result))
    return 0


def _operations() -> int:
    import importlib

    from ._generated.operations import OPERATIONS

    for op_id in sorted(OPERATIONS):
        resource, name, _ = OPERATIONS[op_id]
        module = importlib.import_module(f"pandapon._generated.resources.{resource.replace('.', '_')}")
        endpoint = getattr(module, "_" + name.upper())
        print(f"{op_id:48} {endpoint.method:5} {endpoint.path:48} {endpoint.confidence}")
    return 0


def _fake_server(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise UsageError("fake-server needs uvicorn: pip install 'pandapon[server]'") from None
    from .testing import FakePandaPon

    fake = FakePandaPon(
        seed=args.seed,
        auto_deliver=0.2,
        redelivery_interval=args.redelivery_interval,
        max_redeliveries=args.max_redeliveries,
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


def _webhook_listen(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise UsageError("webhook-listen needs uvicorn: pip install 'pandapon[server]'") from None
    from .webhooks import WebhookEvent, WebhookReceiver

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from ._demo import run_demo

            return run_demo(real=args.real)
        if args.command == "call":
            return _call(args)
        if args.command == "fake-server":
            return _fake_server(args)
        if args.command == "webhook-listen":
            return _webhook_listen(args)
        if args.command == "operations":
            return _operations()
        parser.print_help()
        return 2
    except UsageError as exc:
        print(f"pandapon: error: {exc}", file=sys.stderr)
        return 2
    except PandaPonError as exc:
        print(f"pandapon: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
