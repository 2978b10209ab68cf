"""Open enums (issue 15 item 4): known statuses are members with their meaning; unknown ones are kept, never an error."""

from __future__ import annotations

import json
import pickle
import re

import pytest

from pandapon.types import (
    AlibabaLogisticsStatus,
    AlibabaOrderStatus,
    AlibabaRefundStatus,
    OpenIntEnum,
    OpenStrEnum,
    TaobaoLogisticsTraceStatus,
    TaobaoOrderStatus,
    TaobaoRefundStatus,
)

ENUMS: list[type[OpenStrEnum] | type[OpenIntEnum]] = [
    TaobaoOrderStatus,
    TaobaoRefundStatus,
    AlibabaOrderStatus,
    AlibabaRefundStatus,
    AlibabaLogisticsStatus,
    TaobaoLogisticsTraceStatus,
]


def test_known_values_are_members_equal_to_their_wire_value() -> None:
    assert TaobaoOrderStatus("WAIT_BUYER_P") is TaobaoOrderStatus.WAIT_BUYER_P
    assert TaobaoOrderStatus.WAIT_BUYER_P == "WAIT_BUYER_P"
    assert TaobaoRefundStatus(100) is TaobaoRefundStatus.SUCCESS and TaobaoRefundStatus.SUCCESS == 100
    assert AlibabaOrderStatus("waitbuyerpay").known
    assert str(AlibabaOrderStatus.CONFIRM_GOODS) == "confirm_goods"


def test_an_unknown_value_is_kept_and_flagged() -> None:
    status = TaobaoOrderStatus("WAIT_SOMETHING_NEW")
    assert isinstance(status, TaobaoOrderStatus)
    assert (status.value, status.name, status.known) == ("WAIT_SOMETHING_NEW", "UNKNOWN", False)
    assert status == "WAIT_SOMETHING_NEW"
    assert status not in list(TaobaoOrderStatus)
    assert TaobaoOrderStatus("WAIT_SOMETHING_NEW") is status  # one value, one object
    assert repr(status) == "<TaobaoOrderStatus.UNKNOWN: 'WAIT_SOMETHING_NEW'>"
    refund = TaobaoRefundStatus(55)
    assert (int(refund), refund.known, refund + 1) == (55, False, 56)


def test_unknown_values_do_not_leak_between_enums() -> None:
    TaobaoOrderStatus("SHARED")
    assert AlibabaOrderStatus("SHARED") is not TaobaoOrderStatus("SHARED")
    assert type(AlibabaOrderStatus("SHARED")) is AlibabaOrderStatus


@pytest.mark.parametrize(
    ("enum", "value"), [(TaobaoOrderStatus, 5), (TaobaoRefundStatus, "x"), (TaobaoRefundStatus, True)]
)
def test_a_value_of_the_wrong_type_is_a_clear_error(enum: type, value: object) -> None:
    with pytest.raises(ValueError, match=f"{value!r} is not a valid {enum.__name__}"):
        enum(value)


@pytest.mark.parametrize("enum", ENUMS)
def test_every_member_documents_its_meaning_and_round_trips(enum: type) -> None:
    assert enum.__doc__ and "evidence" in enum.__doc__
    for member in enum:
        assert json.loads(json.dumps(member)) == member.value
        assert pickle.loads(pickle.dumps(member)) is member
    unknown = enum("zz" if issubclass(enum, str) else 999)
    assert json.loads(json.dumps(unknown)) == unknown.value
    assert pickle.loads(pickle.dumps(unknown)) == unknown


def test_the_description_types_only_enums_the_package_defines() -> None:
    import sys
    from pathlib import Path

    import pandapon._enums as enums

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    try:
        from catalogue_to_openapi import ENUM_NAMES
    finally:
        sys.path.pop(0)
    assert set(ENUM_NAMES) == {n for n in enums.__all__ if not n.startswith("Open")}
    spec = (Path(__file__).resolve().parents[2] / "pandapon" / "spec" / "pandapon.openapi.json").read_text("utf-8")
    used = set(re.findall(r'"x-pandapon-enum": "(\w+)"', spec))
    assert used and used <= set(ENUM_NAMES)


@pytest.mark.anyio
async def test_models_carry_statuses_as_open_enums_known_or_not() -> None:
    """A 1688 order detail with a documented and an undocumented status, through the real converter."""
    from pandapon._converter import make_converter
    from pandapon._generated.models.alibaba_orders import AlibabaOrdersGetResult
    from pandapon.types import AlibabaItemRefundStatus

    conv = make_converter()
    data = {
        "baseInfo": {"status": "waitbuyerpay", "refundStatus": "someday_new"},
        "productItems": [{"status": "cancel", "refundStatus": "WAIT_SELLER_AGREE", "logisticsStatus": "2"}],
    }
    result = conv.structure(data, AlibabaOrdersGetResult)
    assert result.base_info is not None and result.product_items
    assert result.base_info.status is AlibabaOrderStatus.WAITBUYERPAY
    assert result.base_info.refund_status == "someday_new" and not result.base_info.refund_status.known
    item = result.product_items[0]
    assert item.refund_status is AlibabaItemRefundStatus.WAIT_SELLER_AGREE
    assert item.logistics_status is AlibabaLogisticsStatus.SHIPPED  # sent as digits, read as the integer
