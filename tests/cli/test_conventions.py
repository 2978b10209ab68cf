"""The command line behaves like a real CLI (issue 16, item 7): help everywhere, exit codes, no traceback (a closed
pipe included), --timeout with a visible line per retry, --json output, --dry-run, --body from a file or stdin,
describe, a filterable operations table, credentials as options, and an honest demo banner."""

from __future__ import annotations

import argparse
import io
import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pandapon._cli import _parser, main
from pandapon._cli._progress import Progress

CREDS = ["--access-key", "ak-12345678", "--access-secret", "very-secret-value", "--user-id", "2100007341207"]
WAREHOUSE = {"order_id": "1024285237573584051", "name": "一号仓库", "address": "广西省"}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pandapon", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_every_command_and_option_has_help() -> None:
    parser = _parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == {"demo", "call", "bulk", "describe", "operations", "fake-server", "webhook-listen"}
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, command in sub.choices.items():
        assert helps[name], f"{name} has no summary"
        assert command.description, f"{name} has no description"
        assert "exit status" in (command.epilog or "")
        for action in command._actions:
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {action.option_strings} has no help"


def test_a_closed_pipe_ends_quietly_with_status_141() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pandapon", "operations"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written (`| head -0`)
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(30) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_dry_run_prints_the_signed_request_with_the_secrets_masked() -> None:
    done = run_cli("call", "taobao.orders.update_warehouse", "--dry-run", "--body", json.dumps(WAREHOUSE), *CREDS)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("POST https://api.pandapon.com/open/order/updateWarehouse\n")
    assert "access-key: ak-1…" in out and "ak-12345678" not in out
    assert "signature: <masked>" in out
    assert "very-secret-value" not in out
    assert "user-agent: pandapon/" in out
    assert out.rstrip().endswith(
        '{"orderId":"1024285237573584051","warehouseName":"一号仓库","warehouseAddress":"广西省"}'
    )
    compact = run_cli(
        "call", "taobao.orders.update_warehouse", "--dry-run", "--json", "--body", json.dumps(WAREHOUSE), *CREDS
    )
    request = json.loads(compact.stdout)
    assert request["method"] == "POST" and request["headers"]["signature"] == "<masked>"
    assert json.loads(request["body"])["warehouseName"] == "一号仓库"


def test_dry_run_masks_a_query_signature() -> None:
    body = {"item_id": "1", "sku_id": "2", "receiver_address": {"country": "US"}, "quantity": 1}
    body |= {"currency": "USD", "price": "1.00"}
    done = run_cli("call", "logistics.estimate_item_freight", "--dry-run", "--body", json.dumps(body), *CREDS)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("POST https://api.pandapon.com/open/pp/logistics/itemLogisticsPrice?timestamp=")
    assert first.endswith("&sign=<masked>")
    assert "very-secret-value" not in done.stdout


def test_arguments_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    search = {"keyword": "", "page_no": 1, "page_size": 2}
    file = tmp_path / "args.json"
    file.write_text(json.dumps(search))
    from_file = run_cli("call", "taobao.products.search", "--fake", "--json", "--body", f"@{file}")
    assert from_file.returncode == 0, from_file.stderr
    assert len(json.loads(from_file.stdout)["data"]) == 2
    assert len(from_file.stdout.strip().splitlines()) == 1  # --json: one line
    from_stdin = run_cli("call", "taobao.products.search", "--fake", "--body", "-", stdin=json.dumps(search))
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert len(json.loads(from_stdin.stdout)["data"]) == 2
    missing = run_cli("call", "taobao.products.search", "--fake", "--body", f"@{tmp_path / 'nope.json'}")
    assert missing.returncode == 2
    assert "cannot read the file" in missing.stderr and "Traceback" not in missing.stderr


def test_describe_shows_path_confidence_parameters_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "taobao.orders.update_warehouse"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("taobao.orders.update_warehouse: Modify the pre-warehouse information of the order")
    assert "POST /open/order/updateWarehouse" in out and "confidence: documented" in out
    assert "order_id: str | int, name: str, address: str" in out
    assert "pandapon call taobao.orders.update_warehouse --body" in out
    assert main(["describe", "taobao.orders.pay", "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["confidence"] == "inferred" and described["idempotent"] is False
    assert main(["describe", "taobao.order.pay"]) == 2
    assert "did you mean taobao.orders.pay" in capsys.readouterr().err


def test_operations_filter_by_text_and_confidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operations", "warehouse"]) == 0
    header, *rows = capsys.readouterr().out.strip().splitlines()
    assert header.startswith("OPERATION")
    assert rows and all("arehouse" in row for row in rows)
    assert main(["operations", "--confidence", "inferred", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed and {o["confidence"] for o in listed} == {"inferred"}
    assert all(o["title"] for o in listed)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def test_timeout_shows_every_retry_and_the_attempt_count(silent_server: str) -> None:
    done = run_cli(
        "call",
        "taobao.products.get",
        "--body",
        '{"item_id": "1"}',
        "--base-url",
        silent_server,
        "--timeout",
        "0.3",
        *CREDS,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    retries = [line for line in lines if line.startswith("pandapon: retrying GET /open/product/get")]
    assert [("attempt 2 of 3" in retries[0]), ("attempt 3 of 3" in retries[1])] == [True, True]
    assert lines[-1].startswith("pandapon: APITimeoutError:") and "(3 attempts in " in lines[-1]
    assert "Traceback" not in done.stderr


def test_missing_credentials_name_the_option_and_the_variable() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pandapon", "call", "taobao.products.get", "--body", '{"item_id": "1"}'],
        capture_output=True,
        text=True,
        env={k: v for k, v in __import__("os").environ.items() if not k.startswith("PANDAPON_")},
        timeout=60,
    )
    assert done.returncode == 1
    assert "pass --access-key or set the environment variable PANDAPON_ACCESS_KEY" in done.stderr


def _retry_record() -> logging.LogRecord:
    return logging.LogRecord(
        "pandapon",
        logging.INFO,
        __file__,
        1,
        "retrying %s %s in %.2fs (attempt %d of %d): %s",
        ("GET", "/open/product/get", 0.5, 2, 3, "HTTP 503"),
        None,
    )


def test_plain_retry_lines_without_a_terminal() -> None:
    stream = io.StringIO()
    with Progress("taobao.products.get", stream, fancy=False) as progress:
        logging.getLogger("pandapon").handle(_retry_record())
    assert stream.getvalue() == "pandapon: retrying GET /open/product/get in 0.50s (attempt 2 of 3): HTTP 503\n"
    assert progress.attempts == 2


def test_a_rich_status_on_a_terminal() -> None:
    pytest.importorskip("rich")
    stream = io.StringIO()
    with Progress("taobao.products.get", stream, fancy=True) as progress:
        logging.getLogger("pandapon").handle(_retry_record())
    assert "retrying GET /open/product/get in 0.50s (attempt 2 of 3): HTTP 503" in stream.getvalue()
    assert progress.attempts == 2


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (None, "the real platform (https://api.pandapon.com)"),
        ("http://127.0.0.1:8080", "a local server at http://127.0.0.1:8080"),
        ("https://staging.example.test", "https://staging.example.test (PANDAPON_BASE_URL)"),
    ],
)
def test_the_demo_says_where_it_calls(url: str | None, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pandapon._demo import _where

    if url is None:
        monkeypatch.delenv("PANDAPON_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("PANDAPON_BASE_URL", url)
    assert _where().startswith(said)
    if url and "127.0.0.1" in url:
        assert "not the real platform" in _where()
