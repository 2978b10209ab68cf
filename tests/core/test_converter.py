"""The one converter: wire names, lenient scalars, unknown keys kept, JSON-in-string both ways."""

from __future__ import annotations

import json
from decimal import Decimal

import attrs
import pytest
from cattrs.errors import ClassValidationError
from hypothesis import given
from hypothesis import strategies as st

from pandapon import CONVERTER, Model, RequestModel, make_converter
from pandapon._converter import structure_errors
from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver, TaobaoOrdersCreateRequest


@attrs.frozen(kw_only=True)
class Line(Model):
    sku_id: str | None = attrs.field(default=None, metadata={"wire": "skuId"})
    price: Decimal | None = None
    status: str | None = None


@attrs.frozen(kw_only=True)
class Order(Model):
    order_id: str | None = attrs.field(default=None, metadata={"wire": "orderId"})
    amount: int | None = attrs.field(default=None, metadata={"money": "fen"})
    lines: list[Line] | None = attrs.field(default=None, metadata={"wire": "lineList", "json_in_string": True})


def test_json_in_string_response_field_is_decoded() -> None:
    order = CONVERTER.structure(
        {"orderId": 1024285237573584051, "amount": "400", "lineList": '[{"skuId":5016042822039,"price":"1.50"}]'},
        Order,
    )
    assert order.order_id == "1024285237573584051"
    assert order.amount == 400
    assert order.lines == [Line(sku_id="5016042822039", price=Decimal("1.50"))]


def test_json_in_string_field_also_accepts_the_decoded_form() -> None:
    order = CONVERTER.structure({"lineList": [{"skuId": "1"}]}, Order)
    assert order.lines == [Line(sku_id="1")]


def test_bad_json_text_is_a_typed_problem_with_a_path() -> None:
    with pytest.raises(ClassValidationError) as info:
        CONVERTER.structure({"lineList": "[{oops"}, Order)
    assert structure_errors(info.value, "$.data") == ["$.data.lineList: expected JSON text, got '[{oops' (str)"]


def test_unknown_enum_values_are_kept() -> None:
    assert CONVERTER.structure({"status": "SOMETHING_NEW"}, Line).status == "SOMETHING_NEW"


def test_money_is_never_float() -> None:
    line = CONVERTER.structure({"price": 19.9}, Line)
    assert line.price == Decimal("19.9")
    assert isinstance(line.price, Decimal)


def test_strict_converter_forbids_unknown_keys() -> None:
    strict = make_converter(forbid_extra_keys=True)
    with pytest.raises(ClassValidationError) as info:
        strict.structure({"orderId": "1", "surprise": 1}, Order)
    assert "surprise" in " ".join(structure_errors(info.value, "$"))


def test_typed_request_fields_are_encoded_as_compact_json_text() -> None:
    request = TaobaoOrdersCreateRequest(
        order_line_list=[
            TaobaoOrdersCreateOrderLine(item_id=600126245031041190, quantity="2", price="1", sku_id="5016042822039")
        ],
        purchase_amount=2,
        receiver=TaobaoOrdersCreateReceiver(name="a测试aa", mobile_phone="15068763421", country="中国"),
        seller_order_number="S-1",
    )
    wire = CONVERTER.unstructure(request)
    assert (
        wire["orderLineList"] == '[{"itemId":"600126245031041190","quantity":"2","price":"1","skuId":"5016042822039"}]'
    )
    assert wire["receiver"] == '{"country":"中国","mobile_phone":"15068763421","name":"a测试aa"}'
    assert wire["purchaseAmount"] == 2
    assert wire["sellerOrderNumber"] == "S-1"
    assert "orderSource" not in wire  # unset optional fields are left out


def test_request_extra_fields_are_sent() -> None:
    line = TaobaoOrdersCreateOrderLine(item_id="1", extra={"mpSkuId": "9"})
    assert CONVERTER.unstructure(line) == {"itemId": "1", "mpSkuId": "9"}


@attrs.define(kw_only=True)
class Req(RequestModel):
    order_id: str | int = attrs.field(metadata={"wire": "orderId", "wire_int": True})


@given(st.integers(min_value=0, max_value=10**19))
def test_big_ids_round_trip_exactly(n: int) -> None:
    body = json.dumps(CONVERTER.unstructure(Req(order_id=str(n))))
    assert json.loads(body)["orderId"] == n
    assert CONVERTER.structure(json.loads(json.dumps({"orderId": n})), Order).order_id == str(n)


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8) | st.none(), max_size=6))
def test_arbitrary_extra_keys_never_break_parsing(extra: dict[str, object]) -> None:
    payload = {k: v for k, v in extra.items() if k not in ("orderId", "amount", "lineList")}
    order = CONVERTER.structure({"orderId": "1", **payload}, Order)
    assert order.extra == payload


@attrs.frozen(kw_only=True)
class Category(Model):
    name: str | None = None
    parent: Category | None = None
    depth: int | None = None
    enabled: bool | None = None


def test_optional_fields_convert_pass_through_and_recurse() -> None:
    cat = CONVERTER.structure(
        {"name": 7, "depth": "2", "enabled": "true", "parent": {"name": "root", "parent": None, "depth": 0}},
        Category,
    )
    assert cat == Category(name="7", depth=2, enabled=True, parent=Category(name="root", depth=0))
    assert CONVERTER.structure({"name": None}, Category) == Category()
    with pytest.raises(ClassValidationError) as info:
        CONVERTER.structure({"parent": {"depth": "deep", "enabled": 2}}, Category)
    assert structure_errors(info.value, "$") == [
        "$.parent.depth: expected an integer, got 'deep' (str)",
        "$.parent.enabled: expected a boolean, got 2 (int)",
    ]


def test_a_mapping_that_is_not_a_dict_is_accepted_and_a_list_is_refused() -> None:
    from types import MappingProxyType

    assert CONVERTER.structure(MappingProxyType({"orderId": 5, "zz": 1}), Order) == Order(order_id="5", extra={"zz": 1})
    with pytest.raises(ClassValidationError) as info:
        CONVERTER.structure({"parent": ["not", "an", "object"]}, Category)
    assert structure_errors(info.value, "$") == ["$.parent: expected an object, got ['not', 'an', 'object'] (list)"]
