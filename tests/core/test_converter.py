"""The one converter: wire names, lenient scalars, unknown keys kept, JSON-in-string both ways."""

from __future__ import annotations

import json
from decimal import Decimal
from types import MappingProxyType

import attrs
import pytest
from cattrs.errors import ClassValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from pandapon import CONVERTER, JSON, Model, RequestModel, make_converter
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


# ---------------------------------------------------------------- the compiled structuring path against cattrs' own

COMPILED, CATTRS_ONLY = make_converter(), make_converter(compiled=False)


def _response_models() -> list[type[Model]]:
    import importlib
    import pkgutil

    import pandapon._generated.models as package

    found: list[type[Model]] = [Order, Category]
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Model) and v is not Model and v.__module__ == module.__name__
        ]
    return found


MODELS = _response_models()
SCALARS = (
    st.none()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.booleans()
    | st.text(max_size=5)
    | st.sampled_from(["12", " 7 ", "1.50", "true", "False", "", "{}", "[1]", "null"])
    | st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6)
)


def _values(t: object, depth: int) -> st.SearchStrategy[object]:
    """Wire values for a field of type ``t``: right ones, wrong ones, nulls, nested objects and lists."""
    import typing

    args = typing.get_args(t)
    if isinstance(t, type) and issubclass(t, Model):
        return _objects(t, depth - 1) if depth > 0 else SCALARS
    if typing.get_origin(t) is list:
        return st.lists(_values(args[0], depth), max_size=3) | SCALARS
    if typing.get_origin(t) is dict:
        return st.dictionaries(st.text(max_size=3), SCALARS, max_size=2) | SCALARS
    if args:  # a union
        return st.one_of([_values(a, depth) for a in args if a is not type(None)]) | st.none()
    return SCALARS


def _objects(cls: type[Model], depth: int = 2) -> st.SearchStrategy[dict[str, object]]:
    fields = [a for a in attrs.fields(cls) if a.name != "extra"]
    attrs.resolve_types(cls)
    optional: dict[str, st.SearchStrategy[object]] = {}
    for a in fields:
        values = _values(a.type, depth)
        if a.metadata.get("json_in_string"):
            values = values | values.map(lambda v: json.dumps(v, default=str))
        optional[str(a.metadata.get("wire", a.name))] = values
    unknown = st.dictionaries(st.sampled_from(["zz", "newField", "另一个"]), SCALARS, max_size=2)
    return st.tuples(st.fixed_dictionaries({}, optional=optional), unknown).map(lambda p: {**p[1], **p[0]})


def _deep(value: object) -> object:
    """A comparable form that tells 1 from Decimal(1) and True, and includes ``extra``."""
    if attrs.has(type(value)):
        return (type(value), {a.name: _deep(getattr(value, a.name)) for a in attrs.fields(type(value))})
    if isinstance(value, list):
        return [_deep(v) for v in value]
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    return (type(value), value)


def _outcome(conv: object, wire: object, cls: type[Model]) -> object:
    try:
        return _deep(conv.structure(wire, cls))  # type: ignore[attr-defined]
    except Exception as exc:  # the same error type and the same message lines
        return (type(exc), structure_errors(exc, "$") if isinstance(exc, ClassValidationError) else str(exc))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_compiled_structuring_gives_what_cattrs_gives(data: st.DataObject) -> None:
    """Every response model, on right, wrong, missing, null, nested and unknown values: the same result or error."""
    cls = data.draw(st.sampled_from(MODELS))
    wire = data.draw(_objects(cls))
    assert _outcome(COMPILED, wire, cls) == _outcome(CATTRS_ONLY, wire, cls)


@attrs.frozen(kw_only=True)
class Shipment(Model):
    shipment_id: str = attrs.field(metadata={"wire": "shipmentId"})  # required
    parcels: list[Line] = attrs.field(factory=list)  # a default that is not None
    codes: list[str] | None = None
    weight: Decimal | None = None


def test_compiled_structuring_is_used_and_falls_back() -> None:
    """The compiled function takes a plain dict; a missing required key or a bad value falls back to cattrs' error."""
    hook = COMPILED.get_structure_hook(Shipment)
    assert hook.__name__ == "structure_fast"
    got = hook({"shipmentId": 42, "parcels": [{"skuId": 1, "price": 2}], "codes": ["a", 3], "x": None}, Shipment)
    assert _deep(got) == _deep(
        Shipment(shipment_id="42", parcels=[Line(sku_id="1", price=Decimal(2))], codes=["a", "3"], extra={"x": None})
    )
    assert hook({"shipmentId": "s"}, Shipment) == Shipment(shipment_id="s")  # parcels: the factory's list
    with pytest.raises(ClassValidationError) as info:  # missing required key: cattrs' error, not a KeyError
        hook({"parcels": []}, Shipment)
    assert structure_errors(info.value, "$") == ["$.shipmentId: required key 'shipmentId' is missing"]
    with pytest.raises(ClassValidationError) as info:
        hook({"shipmentId": "s", "parcels": [{"price": "cheap"}], "weight": []}, Shipment)
    assert structure_errors(info.value, "$") == [
        "$.parcels[0].price: expected a decimal number, got 'cheap' (str)",
        "$.weight: expected a decimal number, got [] (list)",
    ]
    assert COMPILED.structure(MappingProxyType({"shipmentId": 1}), Shipment) == Shipment(shipment_id="1")


@attrs.frozen(kw_only=True)
class Free(Model):
    terms: dict[str, JSON] | None = None
    items: list[dict[str, JSON]] | None = None
    anything: JSON = None


@pytest.mark.parametrize("conv", [COMPILED, CATTRS_ONLY], ids=["compiled", "cattrs"])
def test_free_form_json_fields_structure(conv: object) -> None:
    """Fields typed with the JSON alias keep their value (floats become Decimal); non-JSON values are refused."""
    terms = {"k": 1, "n": [1, "x", None, {"deep": True}], "price": Decimal("1.50")}
    got = conv.structure({"terms": terms, "items": [{"a": 1.25}], "anything": [1, {"b": 2}]}, Free)  # type: ignore[attr-defined]
    assert _deep(got.terms) == _deep(terms)
    assert _deep(got.items) == _deep([{"a": Decimal("1.25")}])
    anything = [1, {"b": 2}]
    assert conv.structure({"anything": anything}, Free).anything is anything  # type: ignore[attr-defined]  # not copied
    with pytest.raises(ClassValidationError) as info:
        conv.structure({"terms": {"k": {1, 2}}}, Free)  # type: ignore[attr-defined]
    assert structure_errors(info.value, "$") == ["$.terms['k']: expected a JSON value, got {1, 2} (set)"]
