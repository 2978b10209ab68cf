"""The ``pandapon`` command line: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pandapon._cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "pandapon" in capsys.readouterr().out


def test_operations_lists_all_71(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operations"]) == 0
    header, *lines = capsys.readouterr().out.strip().splitlines()
    assert header.split() == ["OPERATION", "METHOD", "PATH", "CONFIDENCE", "TITLE"]
    assert len(lines) == 71
    assert any(line.startswith("taobao.orders.update_warehouse") and "POST" in line for line in lines)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["call", "taobao.orders.update_warehouse", "--json", "{not json"], "not valid JSON"),
        (["call", "taobao.orders.update_warehouse", "--json", "[1]"], "must be a JSON object"),
        (["call", "taobao.orders.nope", "--json", "{}"], "unknown operation"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_missing_credentials_exit_1_naming_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "taobao.orders.update_warehouse", "--json", json.dumps({"order_id": "1"})]) == 1
    err = capsys.readouterr().err
    assert "ConfigurationError" in err
    assert "PANDAPON_ACCESS_KEY" in err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pandapon", "operations"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "alibaba.products.search_by_keyword" in result.stdout


def test_call_against_the_embedded_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["call", "taobao.products.search", "--json", '{"keyword": "", "page_no": 1, "page_size": 2}', "--fake"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert len(out["data"]) == 2
    assert (
        main(
            [
                "call",
                "alibaba.products.search_by_keyword",
                "--json",
                '{"keyword": "T恤", "sort": {"price": "asc"}}',
                "--fake",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["currentPage"] == 1


def test_call_errors_are_typed_and_short(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "call",
        "taobao.orders.update_warehouse",
        "--json",
        '{"order_id": "1", "name": "w", "address": "a"}',
        "--fake",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("pandapon: APIError:") and "Traceback" not in err
    assert main(["call", "taobao.orders.update_warehouse", "--json", '{"nope": 1}', "--fake"]) == 2
    assert "unknown argument" in capsys.readouterr().err
    assert (
        main(
            ["call", "taobao.orders.update_warehouse", "--json", '{"order_id": 5, "name": 1, "address": "a"}', "--fake"]
        )
        == 2
    )
    assert "parameter 'name' expected a str, got 1 (int)" in capsys.readouterr().err
    assert main(["call", "alibaba.products.search_by_keyword", "--json", '{"sort": {"bogus": 1}}', "--fake"]) == 2
    assert "unknown field" in capsys.readouterr().err


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from pandapon._demo import run_demo

    assert run_demo() == 0
    out = capsys.readouterr().out
    assert out.count("never twice") == 2
    assert run_demo(real=True) == 2  # --real without credentials


@pytest.mark.loopback
def test_webhook_listen_prints_verified_events() -> None:
    import hashlib
    import hmac
    import time

    import httpx

    from tests.helpers import free_port, push_body

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pandapon", "webhook-listen", "--port", str(port), "--secret", "s3cret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "listening for pushes" in proc.stdout.readline()
        body = push_body("1688_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY", '{"orderId": 42}', 1)
        signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/", content=body, headers={"Authorization": signature})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200
        assert (
            httpx.post(f"http://127.0.0.1:{port}/", content=body, headers={"Authorization": "0" * 64}).status_code
            == 401
        )
        line = proc.stdout.readline()
        assert "price_change" in line and "1688_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY" in line and "order=42" in line
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_fake_server_prints_the_credentials_and_serves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    served: dict[str, object] = {}

    def run(app: object, **kwargs: object) -> None:
        served.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", run)
    assert main(["fake-server", "--port", "8099", "--seed", "3", "--callback-url", "http://127.0.0.1:9/hook"]) == 0
    out = capsys.readouterr().out
    assert "export PANDAPON_BASE_URL=http://127.0.0.1:8099" in out
    assert "PANDAPON_ACCESS_SECRET=" in out
    assert served["port"] == 8099 and served["date_header"] is False
    assert served["app"].callback_url == "http://127.0.0.1:9/hook"
    assert "1024285237573584051" in served["app"].orders  # the docs' example order: copied snippets find it
    assert served["app"].auto_deliver  # it pushes by itself
