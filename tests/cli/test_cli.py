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
    lines = capsys.readouterr().out.strip().splitlines()
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
