"""The request encoder and the envelope decoder take shortcuts on the hot path (a prebuilt C encoder; a direct scan
of an envelope object; scalar results returned without the converter). Each must give exactly what the long way
gives, and the same typed error for bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pandapon
import pandapon._json as pjson
from pandapon import MalformedResponseError
from tests.core.test_pipeline import client
from tests.helpers import Recorder, envelope


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the transport is a MockTransport: the shortcuts do not depend on the backend


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _long_way(value: object) -> str:
    def default(item: object) -> object:
        if isinstance(item, Decimal):
            return float(item) if item != item.to_integral_value() else int(item)
        raise TypeError(f"cannot encode {type(item).__name__} as JSON")

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_prebuilt_encoder_writes_what_json_dumps_writes(value: Any) -> None:
    assert pjson.dumps(value) == _long_way(value)


def test_without_the_c_accelerator_the_encoder_is_jsons_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    pjson._encoder.cache_clear()
    try:
        value = {"a": [1, Decimal("2.50"), "中"], "b": None}
        assert pjson.dumps(value) == _long_way(value)
    finally:
        monkeypatch.undo()
        pjson._encoder.cache_clear()


def test_the_encoder_still_refuses_circular_and_unknown_values() -> None:
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        pjson.dumps(loop)
    with pytest.raises(TypeError, match="cannot encode object as JSON"):
        pjson.dumps({"x": object()})
    assert pjson.dumps({"x": {2, 1}}, fallback=sorted) == '{"x":[1,2]}'
    assert pjson.dumps("中") == '"中"'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (json.dumps(envelope({"n": 1.5})).encode(), {"n": Decimal("1.5")}),  # the direct scan
        (json.dumps(envelope({"n": 1})).encode() + b" \r\n", {"n": 1}),  # trailing whitespace: the usual way
        (b"  " + json.dumps(envelope(True)).encode(), True),  # leading whitespace
        (("\ufeff" + json.dumps(envelope("x"))).encode("utf-8"), "x"),  # a UTF-8 BOM
        (json.dumps(envelope("中")).encode("utf-16"), "中"),  # UTF-16 with its BOM
        (json.dumps(envelope("中")).encode("utf-16-le"), "中"),  # UTF-16 without one
    ],
)
@pytest.mark.anyio
async def test_every_encoding_and_spacing_of_an_envelope_reads_the_same(body: bytes, expected: object) -> None:
    rec = Recorder(httpx.Response(200, content=body))
    async with client(rec) as c:
        assert await c.request("GET", "/x") == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"requestId": "a", "code": 200, "data": x}',  # a value missing inside (the scanner's StopIteration)
        b'{"requestId": "a", "code": 200, "data": true} {"more": 1}',  # extra data after the envelope
        b'{"requestId": "a", "code": 200, "data": [1,]}',
    ],
)
@pytest.mark.anyio
async def test_a_broken_envelope_is_a_typed_error_on_the_short_path_too(body: bytes) -> None:
    rec = Recorder(httpx.Response(200, content=body))
    async with client(rec) as c:
        with pytest.raises(MalformedResponseError, match="not JSON"):
            await c.request("GET", "/x")


@pytest.mark.anyio
async def test_scalar_results_skip_the_converter_only_when_already_of_their_type() -> None:
    # update_warehouse returns bool: true is returned as is; 1 still goes through the converter (-> True); "yes"
    # is still refused by it.
    for data, expected in ((True, True), (1, True), ("true", True)):
        rec = Recorder(httpx.Response(200, json=envelope(data)))
        async with client(rec) as c:
            got = await c.taobao.orders.update_warehouse("1", "w", "a")
        assert got is expected
    rec = Recorder(httpx.Response(200, json=envelope("yes")))
    async with client(rec) as c:
        with pytest.raises(pandapon.ResponseValidationError):
            await c.taobao.orders.update_warehouse("1", "w", "a")
