"""``pandapon bulk``: records, bad input, exit statuses, progress, and ``--resume`` after a SIGKILL (no item lost,
no write repeated), against FakePandaPon served over real loopback."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pandapon._cli import main
from pandapon._cli._progress import BulkProgress
from pandapon.testing import FakePandaPon, Fault
from tests.helpers import serve_asgi, wait_until

REPO = Path(__file__).resolve().parents[2]
PRODUCT = "672991141190"

pytestmark = pytest.mark.loopback


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakePandaPon, dict[str, str]]]:
    """The fake over loopback; PANDAPON_* set for in-process runs, and returned for subprocesses."""
    fake = FakePandaPon(seed=0, doc_examples=True, step_interval=None)
    with serve_asgi(fake) as url:
        c = fake.credentials
        variables = {
            "PANDAPON_BASE_URL": url,
            "PANDAPON_ACCESS_KEY": c.access_key,
            "PANDAPON_ACCESS_SECRET": c.access_secret,
            "PANDAPON_USER_ID": c.user_id,
        }
        for k, v in variables.items():
            monkeypatch.setenv(k, v)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANDAPON_")}
        yield fake, env | variables | {"PYTHONPATH": str(REPO)}


def write_lines(path: Path, items: list[Any]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in items), encoding="utf-8")
    return path


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def gets(fake: FakePandaPon) -> int:
    return sum(1 for r in fake.request_log if r.path == "/open/product/get")


def order_inputs(fake: FakePandaPon, n: int, *, numbered: bool = True) -> list[dict[str, Any]]:
    """``n`` Taobao order creates the fake accepts (arguments by Python name, as the input file holds them)."""
    with fake.client() as client:
        page = client.taobao.products.search(keyword="", page_no=1, page_size=20)
        assert isinstance(page, dict)
        row = next(r for r in page["data"] if r.get("mpId"))
        product = client.taobao.products.get(str(row["itemId"]))
    sku = product.sku_list[0]
    line = {"item_id": product.mp_id, "sku_id": sku.mp_sku_id, "quantity": "1", "price": str(sku.price)}
    receiver = {"name": "n", "address": "a", "mobile_phone": "15068763421"}
    base = {"order_line_list": [line], "purchase_amount": int(sku.price), "receiver": receiver}
    return [base | ({"seller_order_number": f"SO-{i}"} if numbered else {}) for i in range(n)]


# ---------------------------------------------------------------- records and exit statuses


def test_one_record_per_item_and_a_summary(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _ = served
    source = write_lines(tmp_path / "in.jsonl", [{"item_id": PRODUCT}, "", {"item_id": PRODUCT}, {"item_id": PRODUCT}])
    out = tmp_path / "out.jsonl"
    argv = ["bulk", "taobao.products.get", "--input", str(source), "--output", str(out), "--concurrency", "2"]
    assert main([*argv, "--order", "input", "--rate", "1000"]) == 0
    got = records(out)
    assert [r["index"] for r in got] == [0, 1, 2]
    assert [r["line"] for r in got] == [1, 3, 4]  # the blank line is no item
    assert all(r["ok"] and r["result"]["itemId"] == PRODUCT and r["input"] == {"item_id": PRODUCT} for r in got)
    err = capsys.readouterr().err
    assert "taobao.products.get: 3 items, 0 failed" in err
    assert "\x1b[" not in err  # no terminal codes when standard error is no terminal
    assert not (tmp_path / "out.jsonl.journal").exists()  # a read keeps no journal
    assert main(argv) == 2  # the output holds records: --resume or another file
    assert "--resume" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 0  # nothing left to do
    assert len(records(out)) == 3 and gets(fake) == 3


def test_failed_items_are_typed_error_records_and_exit_1(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_lines(tmp_path / "in.jsonl", [{"item_id": PRODUCT}, {"item_id": "404404"}])
    out = tmp_path / "out.jsonl"
    assert main(["bulk", "taobao.products.get", "--input", str(source), "--output", str(out)]) == 1
    failed = next(r for r in records(out) if not r["ok"])
    assert failed["index"] == 1 and failed["input"] == {"item_id": "404404"}
    assert failed["error"]["type"] == "APIError"
    assert failed["error"]["code"] == 404
    assert failed["error"]["outcome_unknown"] is False
    assert "404404" in failed["error"]["message"]
    assert "1 failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", ":2: not valid JSON"),
        ("[1, 2]", ":2: expected a JSON object of arguments, got list"),
        ('{"itemid": "1"}', ":2: unknown argument(s) ['itemid']"),
        ("{}", ":2: missing required argument(s) ['order_line_list', 'purchase_amount', 'receiver']"),
    ],
)
def test_a_bad_input_line_stops_before_anything_is_sent(
    served: tuple[FakePandaPon, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    line: str,
    expected: str,
) -> None:
    fake, _ = served
    op = "taobao.orders.create" if line == "{}" else "taobao.products.get"
    first = order_inputs(fake, 1)[0] if line == "{}" else {"item_id": PRODUCT}
    fetched = gets(fake)
    source = write_lines(tmp_path / "in.jsonl", [first, line])
    out = tmp_path / "out.jsonl"
    assert main(["bulk", op, "--input", str(source), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{source}{expected}" in err and "Traceback" not in err
    assert not out.exists()
    assert gets(fake) == fetched and fake.create_calls == 0


def test_on_error_raise_stops_at_the_first_failure_and_resume_finishes(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [{"item_id": PRODUCT}, {"item_id": "404404"}] + [{"item_id": PRODUCT}] * 5
    source = write_lines(tmp_path / "in.jsonl", items)
    out = tmp_path / "out.jsonl"
    argv = ["bulk", "taobao.products.get", "--input", str(source), "--output", str(out), "--concurrency", "1"]
    assert main([*argv, "--on-error", "raise"]) == 1
    assert [r["index"] for r in records(out)] == [0, 1]
    assert "stopped at the first failure (item 1, line 2" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 1  # the failure stays recorded
    assert sorted(r["index"] for r in records(out)) == list(range(7))


def test_resume_drops_a_line_cut_short_and_runs_that_item_again(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _ = served
    items = [{"item_id": PRODUCT}] * 4
    source = write_lines(tmp_path / "in.jsonl", items)
    out = tmp_path / "out.jsonl"
    whole = [{"index": i, "line": i + 1, "ok": True, "input": items[i], "result": {"itemId": PRODUCT}} for i in (0, 1)]
    cut = json.dumps({"index": 2, "line": 3, "ok": True, "input": items[2], "result": {"itemId": PRODUCT}})[:30]
    out.write_text("".join(json.dumps(r) + "\n" for r in whole) + cut, encoding="utf-8")
    assert main(["bulk", "taobao.products.get", "--input", str(source), "--output", str(out), "--resume"]) == 0
    assert "dropped a line cut short" in capsys.readouterr().err
    assert Counter(r["index"] for r in records(out)) == dict.fromkeys(range(4), 1)
    assert gets(fake) == 2  # only items 2 and 3 were fetched


def test_resume_refuses_records_of_another_input(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_lines(tmp_path / "in.jsonl", [{"item_id": PRODUCT}])
    out = write_lines(tmp_path / "out.jsonl", [{"index": 0, "line": 1, "ok": True, "input": {"item_id": "9"}}])
    assert main(["bulk", "taobao.products.get", "--input", str(source), "--output", str(out), "--resume"]) == 2
    assert "differs from the one" in capsys.readouterr().err


def test_a_started_write_without_a_lookup_key_is_reported_outcome_unknown_and_not_sent_again(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path
) -> None:
    """The journal says item 0 was started by a run that stopped without its record; with no sellerOrderNumber
    it cannot be looked up, so --resume records it as outcome unknown and sends only the other two."""
    fake, _ = served
    items = order_inputs(fake, 3, numbered=False)
    source = write_lines(tmp_path / "in.jsonl", items)
    out = tmp_path / "out.jsonl"
    write_lines(tmp_path / "out.jsonl.journal", [{"index": 0, "line": 1, "input": items[0]}])
    argv = ["bulk", "taobao.orders.create", "--input", str(source), "--output", str(out)]
    assert main(argv) == 2  # a journal is there: only --resume continues it
    assert main([*argv, "--resume"]) == 1
    got = {r["index"]: r for r in records(out)}
    assert sorted(got) == [0, 1, 2]
    assert got[0]["error"]["outcome_unknown"] is True and got[0]["error"]["type"] == "OutcomeUnknownError"
    assert got[1]["ok"] and got[2]["ok"]
    assert fake.create_calls == 2
    assert (tmp_path / "out.jsonl.journal").exists() is False  # every item has its record


# ---------------------------------------------------------------- SIGKILL halfway, then --resume


def test_a_run_killed_halfway_loses_nothing_and_repeats_no_write(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, env = served
    n = 40
    items = order_inputs(fake, n)
    source = write_lines(tmp_path / "in.jsonl", items)
    out = tmp_path / "out.jsonl"
    journal = tmp_path / "out.jsonl.journal"
    fake.inject(Fault("latency", path="/open/order", method="POST", delay=0.3, times=None))
    argv = ["bulk", "taobao.orders.create", "--input", str(source), "--output", str(out), "--concurrency", "4"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pandapon", *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: out.exists() and out.read_text(encoding="utf-8").count("\n") >= 8, timeout=60)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done_before = {r["index"] for r in records(out) if out.read_text(encoding="utf-8").endswith("\n")}
    orphans = {r["index"] for r in records(journal)} - done_before
    assert 8 <= len(done_before) < n
    assert orphans  # calls were in flight when it died

    fake.clear_faults()
    # At once: the killed run's last creates may still be on their way (in the fake's 0.3 s latency); those the
    # lookup does not find are not sent again, only left for a later --resume.
    first = main([*argv, "--resume"])
    assert fake.create_calls <= n
    left = orphans - {r["index"] for r in records(out)}
    assert (first == 0) == (not left)
    # Once the fake has applied every create it received, a --resume finds them; one the killed run never got
    # to send (possible only if it died between the journal line and the send) is sent with --resend-not-found.
    with contextlib.suppress(AssertionError):
        wait_until(lambda: fake.create_calls >= len(done_before | orphans), timeout=5)
    if main([*argv, "--resume"]) != 0:
        assert main([*argv, "--resume", "--resend-not-found"]) == 0
    got = records(out)
    assert Counter(r["index"] for r in got) == dict.fromkeys(range(n), 1)  # every item exactly one record
    assert all(r["ok"] for r in got)
    numbers = Counter(o.seller_order_number for o in fake.orders.values() if o.seller_order_number)
    assert numbers == {f"SO-{i}": 1 for i in range(n)}  # each order exactly once at the platform
    assert fake.create_calls == n  # no create was repeated
    reconciled = {r["index"] for r in got if r.get("reconciled")}
    assert reconciled <= orphans  # only items the killed run had started were looked up
    assert not journal.exists()
    assert "40 items, 0 failed" in capsys.readouterr().err
    assert reconciled  # the creates in flight at the kill were found by their seller order number


# ---------------------------------------------------------------- progress


def test_progress_lines_without_a_terminal_and_a_bar_with_one() -> None:
    plain = io.StringIO()
    with BulkProgress("taobao.products.get", 3, plain, fancy=False, interval=0) as progress:
        progress.advance(True)
        progress.advance(False)
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("pandapon: taobao.products.get: 1/3 done, 0 failed, ")
    assert lines[1].startswith("pandapon: taobao.products.get: 2/3 done, 1 failed, ") and "ETA" in lines[1]
    fancy = io.StringIO()
    with BulkProgress("taobao.products.get", 3, fancy, fancy=True) as progress:
        progress.advance(False)
    assert "1/3" in fancy.getvalue() and "1 errors" in fancy.getvalue()


def test_ctrl_c_exits_130_keeping_the_records_and_resume_finishes(
    served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = served
    n = 30
    source = write_lines(tmp_path / "in.jsonl", [{"item_id": PRODUCT}] * n)
    out = tmp_path / "out.jsonl"
    fake.inject(Fault("latency", path="/open/product/get", delay=0.2, times=None))
    argv = ["bulk", "taobao.products.get", "--input", str(source), "--output", str(out), "--concurrency", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pandapon", *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until(lambda: out.exists() and out.read_text(encoding="utf-8").count("\n") >= 4, timeout=60)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "interrupted; --resume continues the run" in err and "Traceback" not in err
    kept = records(out)
    assert 4 <= len(kept) < n and all(r["ok"] for r in kept)
    fake.clear_faults()
    assert main([*argv, "--resume"]) == 0
    assert Counter(r["index"] for r in records(out)) == dict.fromkeys(range(n), 1)
