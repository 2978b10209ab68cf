"""The on_request / on_response / on_retry hooks and Observer subclasses: one route, every outcome, both loops."""

from __future__ import annotations

import logging
import threading
from typing import Any

import anyio
import pytest

import pandapon
from pandapon import (
    APIConnectionError,
    APIError,
    CallEnd,
    CallStart,
    ConfigurationError,
    Observer,
    OutcomeUnknownError,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
)
from pandapon.testing import FakePandaPon, Fault
from tests.helpers import log_records

from .conftest import ORDER, Recording, client_for, freight

pytestmark = pytest.mark.anyio

PATH = "/open/order/updateWarehouse"
OP = "taobao.orders.update_warehouse"


class Events:
    """Hooks that keep every event, and an observer that keeps the call ends."""

    def __init__(self) -> None:
        self.all: list[object] = []
        self.ends: list[CallEnd] = []
        self.threads: set[str] = set()

    def hook(self, event: object) -> None:
        self.threads.add(threading.current_thread().name)
        self.all.append(event)

    def options(self) -> dict[str, Any]:
        events = self

        class Ends(Observer):
            def on_call_end(self, event: CallEnd, state: object) -> None:
                events.ends.append(event)

        return {"on_request": self.hook, "on_response": self.hook, "on_retry": self.hook, "observers": [Ends()]}

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.all]


async def test_a_success_tells_request_then_response(fake: FakePandaPon) -> None:
    events = Events()
    async with client_for(fake, **events.options()) as client:
        assert await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
    assert events.kinds() == ["RequestEvent", "ResponseEvent"]
    request, response = events.all
    assert isinstance(request, RequestEvent) and isinstance(response, ResponseEvent)
    assert (request.operation, request.method, request.route, request.attempt) == (OP, "POST", PATH, 1)
    assert request.url == "https://api.pandapon.com" + PATH
    assert request.limiter_wait >= 0
    assert (response.status, response.code, response.error, response.attempt) == (200, 200, None, 1)
    assert response.request_id and len(response.request_id) == 32
    assert response.elapsed > 0
    (end,) = events.ends
    assert (end.attempts, end.status, end.code, end.request_id, end.error) == (1, 200, 200, response.request_id, None)
    assert (end.server_address, end.server_port, end.retry_reasons) == ("api.pandapon.com", 443, ())


async def test_a_business_error_carries_its_code_and_request_id(fake: FakePandaPon) -> None:
    events = Events()
    async with client_for(fake, **events.options()) as client:
        with pytest.raises(APIError) as raised:
            await client.taobao.orders.update_warehouse("no-such-order", "仓", "址")
    assert events.kinds() == ["RequestEvent", "ResponseEvent"]
    response = events.all[1]
    assert isinstance(response, ResponseEvent)
    assert response.error is raised.value
    assert (response.status, response.code, response.request_id) == (200, 404, raised.value.request_id)
    (end,) = events.ends
    assert end.error is raised.value and end.code == 404 and end.attempts == 1


async def test_a_retried_transient_failure_tells_the_retry(fake: FakePandaPon) -> None:
    events = Events()
    fake.inject(Fault("http_500", path=PATH))
    async with client_for(fake, **events.options()) as client:
        assert await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
    assert events.kinds() == ["RequestEvent", "ResponseEvent", "RetryEvent", "RequestEvent", "ResponseEvent"]
    first, retry, second = events.all[1], events.all[2], events.all[4]
    assert isinstance(first, ResponseEvent) and isinstance(retry, RetryEvent) and isinstance(second, ResponseEvent)
    assert (first.attempt, first.status, type(first.error).__name__) == (1, 500, "HTTPStatusError")
    assert (retry.attempt, retry.reason, retry.error) == (1, "HTTP 500", first.error)
    assert 0 <= retry.delay <= 0.005
    assert (second.attempt, second.status, second.error) == (2, 200, None)
    (end,) = events.ends
    assert (end.attempts, end.retry_reasons, end.error, end.status) == (2, ("HTTP 500",), None, 200)


async def test_an_outcome_unknown_write_ends_with_that_error(fake: FakePandaPon) -> None:
    events = Events()
    fake.inject(Fault("drop_after", path=PATH))
    body = {"orderId": ORDER, "warehouseName": "仓", "warehouseAddress": "址"}
    async with client_for(fake, **events.options()) as client:
        with pytest.raises(OutcomeUnknownError) as raised:
            await client.request("POST", PATH, json=body, idempotent=False)
    assert events.kinds() == ["RequestEvent", "ResponseEvent"]  # not retried: it may have taken effect
    response = events.all[1]
    assert isinstance(response, ResponseEvent)
    assert isinstance(response.error, APIConnectionError) and response.status is None and response.code is None
    (end,) = events.ends
    assert end.error is raised.value and end.operation == f"raw POST {PATH}" and end.route == PATH


async def test_a_query_signed_url_is_redacted(fake: FakePandaPon) -> None:
    events = Events()
    transport = Recording(fake)
    async with client_for(fake, transport, **events.options()) as client:
        await freight(client, fake)
    sent = transport.requests[0].url
    assert sent.params["sign"] and sent.params["timestamp"]
    for event in events.all:
        assert isinstance(event, (RequestEvent, ResponseEvent))
        assert "sign=REDACTED" in event.url and sent.params["sign"] not in event.url
        assert f"timestamp={sent.params['timestamp']}" in event.url  # not a secret: kept
    assert events.ends[0].url == events.all[0].url  # type: ignore[attr-defined]


async def test_async_hooks_are_awaited(fake: FakePandaPon) -> None:
    seen: list[str] = []

    async def on_request(event: RequestEvent) -> None:
        await anyio.sleep(0)
        seen.append(f"request {event.attempt}")

    async def on_response(event: ResponseEvent) -> None:
        await anyio.sleep(0)
        seen.append(f"response {event.status}")

    async with client_for(fake, on_request=on_request, on_response=on_response) as client:
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
    assert seen == ["request 1", "response 200"]


async def test_a_raising_hook_is_logged_and_the_call_goes_on(fake: FakePandaPon) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("hook bug")

    async def broken_async(event: object) -> None:
        raise ValueError("async hook bug")

    class BrokenObserver(Observer):
        def on_call_start(self, call: CallStart) -> object:
            raise RuntimeError("observer bug")

    with log_records("pandapon", logging.ERROR) as records:
        async with client_for(
            fake, on_request=broken, on_response=broken_async, on_retry=broken, observers=[BrokenObserver()]
        ) as client:
            fake.inject(Fault("http_500", path=PATH))
            assert await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
    messages = [r.getMessage() for r in records]
    assert sum("on_request" in m for m in messages) == 2 and sum("on_retry" in m for m in messages) == 1
    assert sum("async on_response hook raised" in m for m in messages) == 2
    assert sum("on_call_start" in m for m in messages) == 1
    assert {type(r.exc_info[1]) for r in records if r.exc_info} == {RuntimeError, ValueError}


async def test_a_disabled_observer_sees_nothing(fake: FakePandaPon) -> None:
    calls: list[object] = []

    class Off(Observer):
        def enabled(self) -> bool:
            return False

        def on_call_start(self, call: CallStart) -> object:
            calls.append(call)
            return None

        def on_request(self, event: RequestEvent) -> None:
            calls.append(event)

    class On(Observer):
        def on_call_start(self, call: CallStart) -> object:
            calls.append(call)
            return None

    async with client_for(fake, observers=[Off()]) as client:
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
        assert calls == []
        await client.with_options(observers=[Off(), On()]).taobao.orders.update_warehouse(ORDER, "仓", "址")
    assert [type(c).__name__ for c in calls] == ["CallStart"]  # On's start only


async def test_with_options_replaces_the_hooks(fake: FakePandaPon) -> None:
    first, second = Events(), Events()
    async with client_for(fake, on_request=first.hook) as client:
        twin = client.with_options(on_request=second.hook)
        await twin.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
        await client.with_options(on_request=None).taobao.orders.update_warehouse(ORDER, "仓", "址")
    assert len(first.all) == 1 and len(second.all) == 1


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_sync_client_calls_hooks_on_its_loop_thread(fake: FakePandaPon, backend: str) -> None:
    events = Events()
    c = fake.credentials
    import httpx

    with pandapon.PandaPon(
        c.access_key,
        c.access_secret,
        c.user_id,
        transport=httpx.ASGITransport(app=fake),
        backend=backend,  # type: ignore[arg-type]
        **events.options(),
    ) as client:
        assert client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
    assert events.kinds() == ["RequestEvent", "ResponseEvent"]
    assert len(events.ends) == 1 and events.ends[0].error is None
    assert threading.current_thread().name not in events.threads and len(events.threads) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"observers": [object()]}, "observers must be a list of pandapon.Observer instances, got"),
        ({"observers": Observer()}, "observers must be a list of pandapon.Observer instances"),
        ({"on_request": "print"}, "on_request must be a callable taking the event, got 'print'"),
        ({"on_retry": 3}, "on_retry must be a callable taking the event, got 3"),
    ],
)
def test_bad_observers_and_hooks_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        pandapon.AsyncPandaPon("k", "s", "u", **options)


async def test_a_cancelled_call_ends_with_the_cancellation(fake: FakePandaPon) -> None:
    events = Events()
    fake.inject(Fault("latency", path=PATH, delay=5))
    async with client_for(fake, **events.options()) as client:
        with anyio.move_on_after(0.1) as scope:
            await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
    assert scope.cancelled_caught
    assert events.kinds() == ["RequestEvent"]  # the attempt never ended with an answer
    (end,) = events.ends
    assert isinstance(end.error, anyio.get_cancelled_exc_class()) and end.attempts == 1 and end.status is None


async def test_an_observer_whose_enabled_raises_is_skipped(fake: FakePandaPon) -> None:
    seen: list[object] = []

    class Flaky(Observer):
        def enabled(self) -> bool:
            raise RuntimeError("enabled bug")

        def on_call_start(self, call: CallStart) -> object:
            seen.append(call)
            return None

    with log_records("pandapon", logging.ERROR) as records:
        async with client_for(fake, observers=[Flaky()]) as client:
            assert await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
    assert seen == [] and ["enabled()" in r.getMessage() for r in records] == [True]


def test_redaction_drops_user_info_and_every_secret_parameter() -> None:
    import httpx

    from pandapon._pipeline._observe import redact

    url = httpx.URL("https://u:pw@api.example:8443/p?a=1&SIGN=s1&access-key=k&accessKey=k2&signature=s2&timestamp=5")
    assert redact(url) == (
        "https://api.example:8443/p?a=1&SIGN=REDACTED&access-key=REDACTED&accessKey=REDACTED&signature=REDACTED"
        "&timestamp=5"
    )
    assert redact(httpx.URL("https://api.pandapon.com/open/x")) == "https://api.pandapon.com/open/x"


async def test_a_reconciled_write_is_one_call_with_the_lookup_inside(fake: FakePandaPon) -> None:
    from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver

    events = Events()
    async with client_for(fake, **events.options()) as client:
        page = await client.taobao.products.search(keyword="", page_no=1, page_size=20)
        assert isinstance(page, dict)
        row = next(r for r in page["data"] if r.get("mpId"))
        product = await client.taobao.products.get(str(row["itemId"]))
        sku = product.sku_list[0]
        line = TaobaoOrdersCreateOrderLine(
            item_id=product.mp_id, sku_id=sku.mp_sku_id, quantity="1", price=str(sku.price)
        )
        receiver = TaobaoOrdersCreateReceiver(name="n", mobile_phone="1", address="a")
        events.all.clear()
        events.ends.clear()
        fake.inject(Fault("drop_after", path="/open/order"))
        order = await client.taobao.orders.create([line], int(sku.price), receiver, seller_order_number="OBS-1")
    assert order is not None
    assert events.kinds() == ["RequestEvent", "ResponseEvent", "RequestEvent", "ResponseEvent"]
    sent, lost, looked, found = events.all
    assert isinstance(sent, RequestEvent) and "/open/order" in sent.url and sent.attempt == 1
    assert isinstance(lost, ResponseEvent) and isinstance(lost.error, APIConnectionError)
    assert isinstance(looked, RequestEvent) and looked.operation == "taobao.orders.create"
    assert "sellerOrderNumber=OBS-1" in looked.url and looked.attempt == 2
    assert isinstance(found, ResponseEvent) and found.error is None and found.status == 200
    (end,) = events.ends
    assert end.error is None and end.attempts == 2 and end.operation == "taobao.orders.create"
