"""Issue 15 acceptance: a user's script over 10+ operations (create, pay, list with ``iter_*``, search, get, refunds,
webhook handlers) passes mypy --strict (with ``--disallow-any-expr``: no expression of type ``Any`` in user code) and
pyright strict, and every ``reveal_type`` shows the type the SDK promises."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_SCRIPT = textwrap.dedent(
    '"""A user\'s script: typed all the way (issue 15 acceptance)."""\n\nfrom __future__ import annotations\n\nfrom decimal import Decimal\n\nfrom pandapon import AsyncPandaPon, PandaPon\nfrom pandapon.types import (\n    AlibabaOrderStatus,\n    AlibabaOrdersCreateAddressParam,\n    AlibabaOrdersCreateCargoParam,\n    TaobaoOrdersCreateOrderLine,\n    TaobaoOrdersCreateReceiver,\n    TaobaoRefundStatus,\n)\nfrom pandapon.webhooks import RefundEvent, StatusChangeEvent, WebhookReceiver\n\n\nasync def buy(client: AsyncPandaPon) -> None:\n    product = await client.taobao.products.get("672991141190")\n    reveal_type(product)\n    reveal_type(product.title)\n    page = await client.alibaba.products.search_by_keyword(keyword="T恤", begin_page=1, page_size=20)\n    reveal_type(page)\n    async for row in client.alibaba.products.iter_search_by_keyword(keyword="T恤"):\n        reveal_type(row)\n        reveal_type(row.offer_id)\n        if row.offer_id is not None:\n            offer = await client.alibaba.products.get(row.offer_id)\n            reveal_type(offer)\n        break\n    order = await client.taobao.orders.create(\n        [TaobaoOrdersCreateOrderLine(item_id="672991141190", quantity="1")],\n        400,\n        TaobaoOrdersCreateReceiver(name="张三", address="余杭区"),\n        seller_order_number="SO-1",\n    )\n    reveal_type(order)\n    paid = await client.taobao.orders.pay({"orderId": "1024285237573584051"}, timeout=10)\n    reveal_type(paid)\n    async for listed in client.taobao.orders.iter_list():\n        reveal_type(listed)\n        break\n    created = await client.alibaba.orders.create(\n        "general",\n        AlibabaOrdersCreateAddressParam(\n            full_name="张三", mobile="13800000000", phone="0571-0000000", city_text="杭州市",\n            province_text="浙江省", town_text="余杭区", address="文一西路",\n        ),\n        [AlibabaOrdersCreateCargoParam(offer_id="794545637100", spec_id="b3d9", quantity=1)],\n    )\n    reveal_type(created)\n    detail = await client.alibaba.orders.get("1", web_site="1688", extra_headers={"x-trace": "1"})\n    if detail.base_info is not None:\n        status = detail.base_info.status\n        reveal_type(status)\n        if status is AlibabaOrderStatus.WAITBUYERPAY or (status is not None and not status.known):\n            print(status.value)\n    refunds = await client.taobao.refunds.list(10)\n    reveal_type(refunds)\n    refund = await client.taobao.refunds.get("110000235001")\n    reveal_type(refund)\n    aggregate = refund.refund_order_aggregate\n    if aggregate is not None and aggregate.refund_order is not None:\n        reveal_type(aggregate.refund_order.refund_status)\n        print(aggregate.refund_order.refund_status == TaobaoRefundStatus.SUCCESS)\n    trace = await client.taobao.orders.get_logistics("200033789041")\n    reveal_type(trace)\n    total: Decimal = Decimal(0)\n    print(total)\n\n\ndef buy_sync(client: PandaPon) -> None:\n    product = client.taobao.products.get("672991141190")\n    reveal_type(product)\n    for row in client.taobao.refunds.iter_list(page_size=10):\n        reveal_type(row)\n        break\n    for hit in client.taobao.products.iter_search(keyword="杯"):\n        reveal_type(hit)\n        break\n\n\nreceiver = WebhookReceiver("secret")\n\n\n@receiver.on("status_change")\nasync def on_status(event: StatusChangeEvent) -> None:\n    reveal_type(event)\n    reveal_type(event.status)\n\n\n@receiver.on("refund")\ndef on_refund(event: RefundEvent) -> None:\n    reveal_type(event.order_id)\n'
)

#: line of ``reveal_type(...)`` -> the type both checkers must show (pyright's short names; mypy's end with them).
EXPECTED = {
    "product": "TaobaoProductsGetResult",
    "product.title": "str | None",
    "page": "AlibabaProductsSearchByKeywordResult",
    "row.offer_id": "str | None",
    "offer": "AlibabaProductsGetResult",
    "created": "AlibabaOrdersCreateResult",
    "status": "AlibabaOrderStatus | None",
    "refund": "TaobaoRefundsGetResult",
    "aggregate.refund_order.refund_status": "TaobaoRefundStatus | None",
    "trace": "TaobaoOrdersGetLogisticsResult",
    "event": "StatusChangeEvent",
    "event.status": "str | None",
    "event.order_id": "str | None",
}
REVEALED = re.compile(r"reveal_type\((.+)\)")


def _revealed_lines() -> dict[int, str]:
    return {
        number: m.group(1)
        for number, line in enumerate(USER_SCRIPT.splitlines(), 1)
        if (m := REVEALED.search(line)) is not None
    }


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "user.py").write_text(USER_SCRIPT, encoding="utf-8")
    return tmp_path


def test_the_script_covers_ten_operations() -> None:
    calls = set(re.findall(r"client\.((?:taobao|alibaba)\.\w+\.\w+)\(", USER_SCRIPT))
    assert len(calls) >= 10, sorted(calls)


def test_mypy_strict_with_no_any_expression(workdir: Path) -> None:
    result = _run(
        [sys.executable, "-m", "mypy", "--strict", "--disallow-any-expr", "--cache-dir", str(workdir / "c"), "user.py"],
        workdir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    revealed = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r'user\.py:(\d+): note: Revealed type is "(.+)"', result.stdout)
    }
    assert set(revealed) == set(_revealed_lines())
    for number, expression in _revealed_lines().items():
        shown = revealed[number]
        assert "Any" not in shown, (expression, shown)
        if expression in EXPECTED:
            short = re.sub(r"\b[\w.]+\.(\w+)", r"\1", shown)  # pandapon._enums.AlibabaOrderStatus -> AlibabaOrderStatus
            assert short == EXPECTED[expression], (expression, shown)


def test_pyright_strict_with_nothing_unknown(workdir: Path) -> None:
    (workdir / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10", "reportMissingTypeStubs": "error"}),
        encoding="utf-8",
    )
    result = _run([sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "--outputjson", "user.py"], workdir)
    report = json.loads(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] != "information"]
    assert not errors and result.returncode == 0, errors
    revealed = {
        d["range"]["start"]["line"] + 1: re.sub(r'^Type of ".+" is "(.+)"$', r"\1", d["message"])
        for d in report["generalDiagnostics"]
    }
    assert set(revealed) == set(_revealed_lines())
    for number, expression in _revealed_lines().items():
        shown = revealed[number]
        assert "Unknown" not in shown and "Any" not in shown, (expression, shown)
        if expression in EXPECTED:
            assert shown == EXPECTED[expression], (expression, shown)
