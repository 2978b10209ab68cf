"""Required inputs are enforced before anything is sent (issue 15, item 3, in part): a blank required id, and a
``body=`` / ``params=`` that is not a mapping, are an ``InvalidInputError`` naming the parameter."""

from __future__ import annotations

import httpx
import pytest

import pandapon
from pandapon import InvalidInputError

from ..helpers import CREDS, Recorder, envelope


def clients(recorder: Recorder) -> tuple[pandapon.AsyncPandaPon, pandapon.PandaPon]:
    kwargs = {**CREDS, "base_url": "http://pp.test"}
    return (
        pandapon.AsyncPandaPon(**kwargs, transport=httpx.MockTransport(recorder)),
        pandapon.PandaPon(**kwargs, transport=httpx.MockTransport(recorder)),
    )


@pytest.mark.anyio
@pytest.mark.parametrize("blank", ["", "   "])
async def test_a_blank_required_id_is_refused_on_both_clients(blank: str) -> None:
    recorder = Recorder(httpx.Response(200, json=envelope(True)))
    aclient, sclient = clients(recorder)
    with pytest.raises(InvalidInputError) as caught:
        await aclient.taobao.orders.update_warehouse(blank, "一号仓库", "广西省")
    assert str(caught.value) == (
        f"taobao.orders.update_warehouse(): parameter 'order_id' expected a non-empty id, got {blank!r} (str)"
    )
    assert caught.value.parameter == "order_id"
    assert recorder.requests == []  # nothing was sent
    await aclient.aclose()
    sclient.close()


@pytest.mark.parametrize("blank", ["", "   "])
def test_the_sync_client_refuses_a_blank_id_and_a_body_that_is_not_a_mapping(blank: str) -> None:
    recorder = Recorder(httpx.Response(200, json=envelope(True)))
    _, sclient = clients(recorder)
    with sclient:
        with pytest.raises(InvalidInputError, match="expected a non-empty id"):
            sclient.taobao.orders.update_warehouse(blank, "一号仓库", "广西省")
        with pytest.raises(InvalidInputError, match="parameter 'body' expected a mapping"):
            sclient.taobao.orders.pay(["1024285237573584051"])  # type: ignore[arg-type]
    assert recorder.requests == []


@pytest.mark.anyio
async def test_a_body_that_is_not_a_mapping_is_refused() -> None:
    recorder = Recorder(httpx.Response(200, json=envelope(True)))
    aclient, sclient = clients(recorder)
    with pytest.raises(InvalidInputError) as caught:
        await aclient.taobao.orders.pay("1024285237573584051")  # type: ignore[arg-type]
    assert str(caught.value).startswith(
        "taobao.orders.pay(): parameter 'body' expected a mapping of the platform's field names to values, got "
        "'1024285237573584051' (str)"
    )
    assert recorder.requests == []
    await aclient.aclose()
    sclient.close()


@pytest.mark.anyio
async def test_params_that_are_not_a_mapping_are_refused() -> None:
    recorder = Recorder(httpx.Response(200, json=envelope(True)))
    aclient, _ = clients(recorder)
    with pytest.raises(InvalidInputError, match="parameter 'params' expected a mapping"):
        await aclient.request("GET", "/open/order/detail/get", params="orderId=1")  # type: ignore[arg-type]
    assert recorder.requests == []
    await aclient.aclose()


@pytest.mark.anyio
async def test_a_valid_id_still_goes_through() -> None:
    recorder = Recorder(httpx.Response(200, json=envelope(True)))
    aclient, _ = clients(recorder)
    assert await aclient.taobao.orders.update_warehouse(1024285237573584051, "一号仓库", "广西省") is True
    assert len(recorder.requests) == 1
    await aclient.aclose()
