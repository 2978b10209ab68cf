"""``client.bulk``: order modes, the concurrency bound, typed per-item errors, ``on_error="raise"``, early exits that
leave nothing running (asyncio and trio, async and sync), the rate limiter, and no re-send of a write whose outcome
is unknown. Against FakePandaPon in-process, through the real pipeline."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from pandapon import (
    APIError,
    AsyncPandaPon,
    BulkResult,
    BulkUsageError,
    InvalidInputError,
    OutcomeUnknownError,
    PandaPon,
    TokenBucket,
)
from pandapon.testing import FakePandaPon, Fault
from pandapon.testing._clients import client_kwargs
from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver
from tests.helpers import wait_until

PRODUCT = "672991141190"  # a doc-example product the fake holds with doc_examples=True

pytestmark = pytest.mark.anyio


class InFlight:
    """An ASGI wrapper around the fake that counts the requests being served and the most at once, and holds
    each one ``delay`` seconds (so that calls overlap); a request cancelled by its client counts as cancelled."""

    def __init__(self, app: Any, delay: float = 0.02, *, fast: int | None = None) -> None:
        self.app, self.delay, self.fast = app, delay, fast
        self.now = self.most = self.served = self.cancelled = self.seen = 0

    def arm(self, fast: int | None) -> None:
        """From now on the first ``fast`` requests answer at once and the others after 30 s (``None``: ``delay``)."""
        self.fast, self.seen = fast, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.now += 1
        self.seen += 1
        self.most = max(self.most, self.now)
        try:
            # with `fast`: the first `fast` requests answer at once, the others only after 30 s
            await anyio.sleep(self.delay if self.fast is None else 0 if self.seen <= self.fast else 30)
            await self.app(scope, receive, send)
            self.served += 1
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise
        finally:
            self.now -= 1


def client_for(fake: FakePandaPon, app: Any = None, **options: Any) -> AsyncPandaPon:
    c = fake.credentials
    kwargs: dict[str, Any] = dict(client_kwargs(fake, max_retries=0, retry_policy=None, timeout=30.0, deadline=None))
    if app is not None:
        kwargs["transport"] = httpx.ASGITransport(app=app)
    return AsyncPandaPon(c.access_key, c.access_secret, c.user_id, **{**kwargs, **options})


def sync_client_for(fake: FakePandaPon, app: Any = None, **options: Any) -> PandaPon:
    c = fake.credentials
    kwargs: dict[str, Any] = dict(client_kwargs(fake, max_retries=0, retry_policy=None, timeout=30.0, deadline=None))
    if app is not None:
        kwargs["transport"] = httpx.ASGITransport(app=app)
    return PandaPon(c.access_key, c.access_secret, c.user_id, **{**kwargs, **options})


@pytest.fixture
def fake() -> FakePandaPon:
    return FakePandaPon(seed=0, doc_examples=True, step_interval=None)


def gets(fake: FakePandaPon) -> int:
    return sum(1 for r in fake.request_log if r.path == "/open/product/get")


# ---------------------------------------------------------------- results, errors, order


async def test_every_item_gets_a_result_and_malformed_items_are_typed_errors_that_send_nothing(
    fake: FakePandaPon,
) -> None:
    inputs: list[object] = [{"item_id": PRODUCT}, {"item_id": "404404"}, 5, {"itemid": PRODUCT}, {"item_id": PRODUCT}]
    async with client_for(fake) as client, client.bulk("taobao.products.get", inputs, concurrency=2) as results:
        got = {r.index: r async for r in results}
    assert sorted(got) == [0, 1, 2, 3, 4]
    assert got[0].ok and got[0].unwrap().item_id == PRODUCT
    assert got[0].input == {"item_id": PRODUCT}
    assert isinstance(got[1].error, APIError) and not got[1].ok
    assert isinstance(got[2].error, InvalidInputError) and "expected a mapping of arguments" in str(got[2].error)
    assert isinstance(got[3].error, InvalidInputError) and "itemid" in str(got[3].error)
    with pytest.raises(APIError):
        got[1].unwrap()
    assert gets(fake) == 3  # the two malformed items sent nothing


async def test_a_bound_method_and_an_async_iterable_work_and_results_are_typed(fake: FakePandaPon) -> None:
    async def items() -> AsyncIterator[dict[str, str]]:
        for _ in range(3):
            yield {"item_id": PRODUCT}

    async with client_for(fake) as client, client.bulk(client.taobao.products.get, items()) as results:
        got: list[BulkResult[Any]] = [r async for r in results]
    assert [r.ok for r in got] == [True, True, True]
    assert {r.unwrap().item_id for r in got} == {PRODUCT}


async def test_an_unknown_operation_names_the_closest(fake: FakePandaPon) -> None:
    async with client_for(fake) as client:
        with pytest.raises(InvalidInputError, match=r"taobao\.products\.get"):
            client.bulk("taobao.product.get", [])
        with pytest.raises(InvalidInputError, match="concurrency"):
            client.bulk("taobao.products.get", [], concurrency=0)
        with pytest.raises(InvalidInputError, match="order"):
            client.bulk("taobao.products.get", [], order="random")  # type: ignore[call-overload]


async def test_completion_order_and_input_order() -> None:
    """Item 0 finishes only after item 1 has: completion order yields 1 first, input order 0 first."""

    async def run(order: str) -> list[int]:
        one_done = anyio.Event()

        async def op(n: int) -> int:
            if n == 0:
                await one_done.wait()
            else:
                one_done.set()
            return n

        client = AsyncPandaPon("k", "s", "u", base_url="http://unused.invalid")
        async with client.bulk(op, [{"n": 0}, {"n": 1}], concurrency=2, order=order) as results:  # type: ignore[call-overload]
            return [r.value async for r in results]

    assert await run("completion") == [1, 0]
    assert await run("input") == [0, 1]


async def test_input_order_keeps_a_bounded_reorder_buffer() -> None:
    """While item 0 is stuck, at most 4 x concurrency items are started (the window), not all 100."""
    started: list[int] = []
    seen_while_stuck: list[int] = []

    async def op(n: int) -> int:
        started.append(n)
        if n == 0:
            while len(started) < 8:
                await anyio.sleep(0.001)
            for _ in range(20):  # let the others run as far as they can
                await anyio.sleep(0)
            seen_while_stuck.append(len(started))
        return n

    client = AsyncPandaPon("k", "s", "u", base_url="http://unused.invalid")
    async with client.bulk(op, ({"n": n} for n in range(100)), concurrency=2, order="input") as results:
        values = [r.value async for r in results]
    assert values == list(range(100))
    assert seen_while_stuck == [8]


# ---------------------------------------------------------------- concurrency, limiter, deadline


async def test_no_more_calls_in_flight_than_the_concurrency(fake: FakePandaPon) -> None:
    app = InFlight(fake)
    async with client_for(fake, app) as client:
        async with client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 30, concurrency=4) as results:
            got = [r async for r in results]
        assert results.max_in_flight == 4
    assert len(got) == 30 and all(r.ok for r in got)
    assert app.most == 4  # seen at the server: never more than 4 requests at once (and the bound is reached)
    assert app.served == 30


async def test_every_item_takes_a_token_from_the_clients_rate_limiter(fake: FakePandaPon) -> None:
    class Counting(TokenBucket):
        acquired = 0

        async def acquire(self, cost: float = 1) -> None:
            Counting.acquired += 1
            await super().acquire(cost)

    limiter = Counting(10_000)
    inputs: list[object] = [{"item_id": PRODUCT}] * 12 + ["not a mapping"]
    async with client_for(fake, rate_limiter=limiter) as client, client.bulk("taobao.products.get", inputs) as results:
        got = [r async for r in results]
    assert len(got) == 13
    assert Counting.acquired == 12  # one per call sent; the malformed item sent nothing


async def test_per_call_options_apply_to_every_item_and_an_item_overrides_them(fake: FakePandaPon) -> None:
    fake.inject(Fault("latency", path="/open/product/get", delay=0.5, times=None))
    inputs = [{"item_id": PRODUCT}, {"item_id": PRODUCT, "deadline": 5.0}]
    async with (
        client_for(fake) as client,
        client.bulk("taobao.products.get", inputs, order="input", deadline=0.05) as results,
    ):
        got = [r async for r in results]
    assert type(got[0].error).__name__ == "APITimeoutError"  # the run's deadline
    assert got[1].ok  # the item's own


# ---------------------------------------------------------------- errors: raise; no re-send


async def test_on_error_raise_stops_at_the_first_error_and_raises_it(fake: FakePandaPon) -> None:
    inputs = [{"item_id": PRODUCT}, {"item_id": PRODUCT}, {"item_id": "404404"}] + [{"item_id": PRODUCT}] * 10
    seen: list[int] = []

    async def consume(client: AsyncPandaPon) -> None:
        async with client.bulk("taobao.products.get", inputs, concurrency=1, on_error="raise") as results:
            async for r in results:
                seen.append(r.index)

    async with client_for(fake) as client:
        with pytest.raises(APIError, match="404404"):
            await consume(client)
    assert seen == [0, 1]
    assert gets(fake) == 3  # nothing after the failing item was sent


async def test_a_write_whose_outcome_is_unknown_is_reported_and_never_sent_again(fake: FakePandaPon) -> None:
    """The connection drops after the fake applied each create: every item ends in OutcomeUnknownError (there
    is no sellerOrderNumber to reconcile by), and each was sent exactly once."""
    fake.inject(Fault("drop_after", path="/open/order", method="POST", times=None))
    line = TaobaoOrdersCreateOrderLine(item_id=PRODUCT, sku_id="1", quantity="1", price="1")
    receiver = TaobaoOrdersCreateReceiver(name="n", address="a", mobile_phone="15068763421")
    item = {"order_line_list": [line], "purchase_amount": 100, "receiver": receiver}
    async with client_for(fake, max_retries=3) as client, client.bulk("taobao.orders.create", [item] * 5) as results:
        got = [r async for r in results]
    assert [type(r.error) for r in got] == [OutcomeUnknownError] * 5
    posts = [r for r in fake.request_log if r.method == "POST" and r.path == "/open/order"]
    assert len(posts) == 5
    assert fake.create_calls == 5


# ---------------------------------------------------------------- lifetime: early exits leave nothing running


async def test_breaking_out_cancels_the_calls_in_flight(fake: FakePandaPon) -> None:
    app = InFlight(fake, fast=1)
    async with client_for(fake, app) as client:
        async with client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 50, concurrency=5) as results:
            async for _ in results:
                while app.now < 5:  # five more calls in flight, each for 30 s
                    await anyio.sleep(0.01)
                break
        assert app.now == 0  # every request still open was cancelled before the block ended
        assert (app.served, app.cancelled, app.seen) == (1, 5, 6)  # and no other was started


async def test_an_exception_in_the_loop_body_cancels_the_calls_and_propagates(fake: FakePandaPon) -> None:
    app = InFlight(fake, fast=1)

    async def consume(client: AsyncPandaPon) -> None:
        async with client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 20) as results:
            async for _ in results:
                raise KeyError("mine")

    async with client_for(fake, app) as client:
        with pytest.raises(KeyError):
            await consume(client)
        assert app.now == 0


async def test_iterating_without_async_with_is_refused(fake: FakePandaPon) -> None:
    async with client_for(fake) as client:
        with pytest.raises(BulkUsageError, match=r"async with client\.bulk"):
            await anext(aiter(client.bulk("taobao.products.get", [{"item_id": PRODUCT}])))
        run = client.bulk("taobao.products.get", [])
        async with run:
            pass
        with pytest.raises(BulkUsageError, match="entered once"):
            async with run:
                pass
    assert gets(fake) == 0


async def test_no_task_is_left_after_an_early_break(fake: FakePandaPon, anyio_backend: str) -> None:
    async def tasks() -> int:
        if anyio_backend == "asyncio":
            import asyncio

            return len(asyncio.all_tasks())
        import trio

        return sum(len(n.child_tasks) for n in trio.lowlevel.current_task().child_nurseries)

    async with client_for(fake, InFlight(fake, fast=1)) as client:
        before = await tasks()
        async with client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 20, concurrency=4) as results:
            async for _ in results:
                break
        assert await tasks() == before


# ---------------------------------------------------------------- the sync twin


def test_sync_twin_yields_every_result_through_the_loop_thread(fake: FakePandaPon) -> None:
    inputs: list[object] = [{"item_id": PRODUCT}] * 6 + [{"item_id": "404404"}, None]
    with sync_client_for(fake) as client:
        got = list(client.bulk(client.taobao.products.get, inputs, concurrency=3, order="input"))
        assert [r.index for r in got] == list(range(8))
        assert [r.ok for r in got] == [True] * 6 + [False, False]
        assert isinstance(got[6].error, APIError) and isinstance(got[7].error, InvalidInputError)
        with pytest.raises(APIError):
            list(client.bulk("taobao.products.get", inputs, on_error="raise"))
        with pytest.raises(InvalidInputError, match="did you mean"):
            client.bulk("taobao.products.gett", inputs)
        with pytest.raises(InvalidInputError, match="method of this client"):
            client.bulk(len, inputs)  # type: ignore[call-overload]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_twin_early_break_and_close_cancel_the_calls_in_flight(fake: FakePandaPon, backend: str) -> None:
    app = InFlight(fake, fast=1)
    with sync_client_for(fake, app, backend=backend) as client:
        with client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 50, concurrency=5) as results:
            for _ in results:
                wait_until(lambda: app.now == 5)  # five more calls are in flight (for 30 s)
                break
        assert app.now == 0 and app.cancelled == 5
        app.arm(1)
        results2 = client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 50, concurrency=5)
        next(results2)
        wait_until(lambda: app.now == 5)
        results2.close()
        assert app.now == 0 and app.cancelled == 10
        assert list(results2) == []
        app.arm(1)
        for _ in client.bulk("taobao.products.get", [{"item_id": PRODUCT}] * 50, concurrency=5):
            wait_until(lambda: app.now == 5)
            break  # no `with`: the iterator is collected at once and cancels its task (not waiting for it)
        app.arm(None)
        assert client.taobao.products.get(PRODUCT).item_id == PRODUCT  # the client goes on working
        wait_until(lambda: app.now == 0)  # the abandoned run's calls were cancelled, not left for 30 s


def test_sync_inputs_are_read_off_the_loop_thread(fake: FakePandaPon) -> None:
    """The input iterator blocks until the caller has the first result: read on the loop, it would deadlock."""
    first = threading.Event()
    threads: set[str] = set()
    waited: list[bool] = []

    def items() -> Iterator[dict[str, str]]:
        threads.add(threading.current_thread().name)
        yield {"item_id": PRODUCT}
        waited.append(first.wait(timeout=10))
        yield {"item_id": PRODUCT}

    with sync_client_for(fake) as client:
        got = []
        for r in client.bulk("taobao.products.get", items(), concurrency=2):
            got.append(r)
            first.set()
    assert len(got) == 2 and waited == [True]
    assert not any(name.startswith("pandapon-portal") for name in threads)


async def test_a_plain_callable_checks_its_keywords_per_item() -> None:
    async def op(a: int, *, b: int = 0) -> int:
        return a + b

    client = AsyncPandaPon("k", "s", "u", base_url="http://unused.invalid")
    inputs: list[object] = [{"a": 1, "b": 2}, {"b": 2}, {"a": 1, "c": 3}, {1: 2}]
    async with client.bulk(op, inputs, order="input") as results:
        got = [r async for r in results]
    assert got[0].value == 3
    assert isinstance(got[1].error, InvalidInputError) and "missing ['a']" in str(got[1].error)
    assert isinstance(got[2].error, InvalidInputError) and "takes no argument 'c'" in str(got[2].error)
    assert isinstance(got[3].error, InvalidInputError) and "keys must be argument names" in str(got[3].error)
