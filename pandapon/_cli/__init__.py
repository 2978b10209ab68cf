"""The ``pandapon`` command: ``demo``, ``call``, ``bulk``, ``describe``, ``operations``, ``fake-server``, ``webhook-listen``.

Exit status: 0 done; 1 the call failed (the typed error is printed, one line), or some items of a bulk run did;
2 bad command-line input; 130 interrupted (Ctrl-C); 141 the reader of the output went away (``pandapon operations | head``). Never a traceback
for any of these.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._exceptions import ConfigurationError, PandaPonError
from .._version import __version__
from ._call import call, describe, operations
from ._common import UsageError
from ._servers import fake_server, webhook_listen

__all__ = ["main"]

EXIT_CODES = """exit status:
  0    done
  1    the call failed (the typed error is printed on one line); bulk: some items failed
  2    bad command-line input
  130  interrupted (Ctrl-C)
  141  the output's reader went away (e.g. `| head`)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pandapon",
        description="The PandaPon OpenAPI from the shell: call any operation, describe it, run the demo, serve the "
        "fake platform, receive pushes.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pandapon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=description,
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    demo = command(
        "demo",
        "walk a full purchase flow (against the embedded fake unless PANDAPON_* is set)",
        "Walk a full purchase flow with AsyncPandaPon and PandaPon: against the embedded fake PandaPon, or, when "
        "PANDAPON_* credentials are set, read-only calls against PANDAPON_BASE_URL (the platform by default).",
    )
    demo.add_argument("--real", action="store_true", help="require PANDAPON_* credentials and run read-only calls")

    c = command(
        "call",
        "call any operation, e.g. taobao.orders.update_warehouse; prints the result as JSON",
        "Call one operation with arguments by Python parameter name, given as a JSON object (--body). Prints the "
        "result as JSON with the platform's wire names. Credentials come from the options below or PANDAPON_*.",
    )
    c.add_argument("operation", help="the operation id, e.g. alibaba.products.search_by_keyword (see `operations`)")
    c.add_argument(
        "--body",
        metavar="JSON|@FILE|-",
        default=None,
        help="the arguments as a JSON object: inline, @file.json, or - for standard input (default: {})",
    )
    c.add_argument(
        "--json",
        nargs="?",
        const=True,
        default=None,
        metavar="ARGS",
        help="print compact JSON (one line) instead of indented JSON. (Given a value, it is the arguments: the "
        "0.1 spelling of --body.)",
    )
    c.add_argument(
        "--dry-run", action="store_true", help="print the signed request it would send (masked); send nothing"
    )
    _client_options(c)

    b = command(
        "bulk",
        "call one operation for every line of a JSON Lines file, with progress and --resume",
        "Call one operation once per input line (a JSON object of arguments by Python parameter name), at most "
        "--concurrency calls at a time, and write one JSON Lines record per item to --output as each completes. "
        "--resume continues a stopped run: items with a record are skipped, and a non-idempotent item that was "
        "started without a result is looked up, never sent again blindly (docs/cli.md).",
    )
    b.add_argument("operation", help="the operation id, e.g. taobao.products.get (see `operations`)")
    b.add_argument("--input", required=True, metavar="FILE|-", help="JSON Lines of arguments; - for standard input")
    b.add_argument("--output", required=True, metavar="FILE", help="JSON Lines of results, one record per item")
    b.add_argument("--resume", action="store_true", help="continue the run whose records --output holds")
    b.add_argument(
        "--resend-not-found",
        action="store_true",
        help="with --resume: send a write the stopped run started when its lookup (e.g. by seller_order_number) "
        "finds nothing; without it such items are left for a later --resume",
    )
    b.add_argument("--concurrency", type=int, default=8, metavar="N", help="calls in flight (default: %(default)s)")
    b.add_argument("--rate", type=float, metavar="PER_SECOND", help="at most this many calls per second")
    b.add_argument(
        "--order",
        choices=("completion", "input"),
        default="completion",
        help="write records as items complete, or in input order (default: %(default)s)",
    )
    b.add_argument(
        "--on-error",
        choices=("collect", "raise"),
        default="collect",
        help="record every failure and go on, or stop at the first one (default: %(default)s)",
    )
    _client_options(b)

    d = command(
        "describe",
        "show one operation: path, confidence, parameters, result",
        "Show one operation: its HTTP method and path, how sure the SDK is of them, its parameters and result.",
    )
    d.add_argument("operation", help="the operation id, e.g. taobao.orders.create")
    d.add_argument("--json", action="store_true", help="print JSON instead of text")

    o = command(
        "operations",
        "list the operations with their method, path, confidence and title",
        "List every operation: id, HTTP method, path, confidence (documented / corroborated / inferred) and title.",
    )
    o.add_argument("filter", nargs="?", default="", help="show only operations whose id, path or title contains this")
    o.add_argument("--confidence", choices=("documented", "corroborated", "inferred"), help="show only this confidence")
    o.add_argument("--json", action="store_true", help="print JSON instead of a table")

    server = command(
        "fake-server",
        "serve FakePandaPon over HTTP with uvicorn",
        "Serve the embedded fake PandaPon over HTTP. With --callback-url it pushes signed callbacks by itself as "
        "orders change, and redelivers failed ones on the platform's schedule.",
    )
    _listening(server, 8080)
    server.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the catalogue, ids and credentials (default: %(default)s)",
    )
    server.add_argument("--callback-url", default=None, metavar="URL", help="push callbacks to this URL")
    server.add_argument(
        "--redelivery-interval",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="seconds before a failed push is sent again (default: %(default)g, the platform's half hour; "
        "compress it for tests)",
    )
    server.add_argument(
        "--max-redeliveries",
        type=int,
        default=5,
        metavar="N",
        help="redeliveries before a push is dropped (default: %(default)s)",
    )

    listen = command(
        "webhook-listen",
        "receive pushes and print the verified events as they arrive",
        "Receive PandaPon pushes over HTTP, verify them with the access secret and print each event.",
    )
    _listening(listen, 8081)
    listen.add_argument("--secret", default=None, help="the access secret (default: PANDAPON_ACCESS_SECRET)")
    return parser


def _client_options(c: argparse.ArgumentParser) -> None:
    """The client's settings and credentials, for the commands that call the platform."""
    c.add_argument("--timeout", type=float, metavar="SECONDS", help="seconds per attempt (default: 30)")
    c.add_argument("--deadline", type=float, metavar="SECONDS", help="seconds for the whole call, retries included")
    c.add_argument("--max-retries", type=int, metavar="N", help="retries after the first attempt (default: 2)")
    c.add_argument("--fake", action="store_true", help="call an in-process fake PandaPon instead of the platform")
    c.add_argument("--access-key", help="the access key (default: PANDAPON_ACCESS_KEY)")
    c.add_argument("--access-secret", help="the access secret (default: PANDAPON_ACCESS_SECRET)")
    c.add_argument("--user-id", help="the user id (default: PANDAPON_USER_ID)")
    c.add_argument("--base-url", help="the platform's base URL (default: PANDAPON_BASE_URL, else the platform)")


def _listening(parser: argparse.ArgumentParser, port: int) -> None:
    """``--host`` and ``--port`` of a command that serves HTTP (loopback by default)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=port, help="port to listen on (default: %(default)s)")


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "demo":
        from .._demo import run_demo

        return run_demo(real=args.real)
    if args.command == "call":
        return call(args)
    if args.command == "bulk":
        from ._bulk import bulk

        return bulk(args)
    if args.command == "describe":
        return describe(args)
    if args.command == "operations":
        return operations(args)
    if args.command == "fake-server":
        return fake_server(args)
    if args.command == "webhook-listen":
        return webhook_listen(args)
    parser.print_help()
    return 2


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """A warning as one line on standard error (``pandapon: warning: ...``), without the source line."""
    print(f"pandapon: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    import warnings

    parser = _parser()
    shown, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        return _main(parser, argv)
    finally:
        warnings.showwarning = shown


def _main(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    try:
        args = parser.parse_args(argv)
        return _run(parser, args)
    except UsageError as exc:
        print(f"pandapon: error: {exc}", file=sys.stderr)
        return 2
    except ConfigurationError as exc:
        print(f"pandapon: ConfigurationError: {_for_the_shell(str(exc))}", file=sys.stderr)
        return 1
    except PandaPonError as exc:
        print(f"pandapon: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from failing again on its final flush.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _for_the_shell(message: str) -> str:
    """The library says "pass access_key= to the client"; on the command line that is an option."""
    import re

    return re.sub(r"pass (\w+)= to the client", lambda m: "pass --" + m.group(1).replace("_", "-"), message)
