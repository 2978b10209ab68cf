"""Push verification, parsing, de-duplication and the receivers' delivery semantics."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import sys
import time
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pandapon import PandaPonError
from pandapon.webhooks import (
    InMemoryDedupe,
    Platform,
    PriceChangeEvent,
    RefundEvent,
    StatusChangeEvent,
    UnknownEvent,
    WebhookError,
    WebhookPayloadError,
    WebhookReceiver,
    WebhookReplayError,
    WebhookSignatureError,
    WebhookTooLargeError,
    WebhookVerifier,
    WsgiWebhookReceiver,
    parse_event,
)

SECRET = "push-secret"


def push(
    message_type: str = "TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE",
    body: Any = None,
    *,
    ts: float | None = None,
    platform: int = 0,
    as_text: bool = True,
) -> bytes:
    body = {"orderId": "1024285237573584051", "orderStatus": "WAIT_SELLER_SEND_GOODS"} if body is None else body
    wrapper = {
        "messageType": message_type,
        "messageBody": json.dumps(body, ensure_ascii=False) if as_text else body,
        "messagePlatform": platform,
        "timestamp": str(int((time.time() if ts is None else ts) * 1000)),
    }
    return json.dumps(wrapper, ensure_ascii=False).encode()


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "Authorization": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


# ---------------------------------------------------------------------- verification


def test_valid_push_verifies_in_either_hex_case() -> None:
    verifier = WebhookVerifier(SECRET)
    body = push()
    verifier.verify(body, sign(body))
    verifier.verify(body, {"authorization": sign(body)["Authorization"].upper()})


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda b, h: (b, {}), WebhookSignatureError),
        (lambda b, h: (b, sign(b, "wrong-secret")), WebhookSignatureError),
        (lambda b, h: (b.replace(b"WAIT", b"DONE"), h), WebhookSignatureError),
        (lambda b, h: (b, {"Authorization": "zz"}), WebhookSignatureError),
    ],
    ids=["missing", "forged", "tampered", "garbage"],
)
def test_forged_and_tampered_pushes_are_refused(mutate: Any, error: type[Exception]) -> None:
    body = push()
    body2, headers = mutate(body, sign(body))
    with pytest.raises(error):
        WebhookVerifier(SECRET).verify(body2, headers)


@pytest.mark.parametrize("offset", [-7 * 3600, +7 * 3600])
def test_replayed_or_future_pushes_are_refused(offset: float) -> None:
    body = push(ts=time.time() + offset)
    with pytest.raises(WebhookReplayError, match="old" if offset < 0 else "future"):
        WebhookVerifier(SECRET).verify(body, sign(body))


def test_size_limit() -> None:
    body = push(body={"x": "y" * 2000})
    with pytest.raises(WebhookTooLargeError):
        WebhookVerifier(SECRET, max_body=1000).verify(body, sign(body))


def test_errors_are_pandapon_errors() -> None:
    assert issubclass(WebhookError, PandaPonError)


# ---------------------------------------------------------------------- parsing


def test_body_as_text_or_object_gives_the_same_event() -> None:
    a, b = parse_event(push(as_text=True, ts=1)), parse_event(push(as_text=False, ts=1))
    assert isinstance(a, StatusChangeEvent)
    assert a.body == b.body
    assert a.dedupe_key == b.dedupe_key
    assert a.order_id == "1024285237573584051"
    assert a.status == "WAIT_SELLER_SEND_GOODS"
    assert a.platform is Platform.TAOBAO
    assert a.timestamp is not None and a.timestamp.year == 1970


def test_documented_price_push_parses_its_typed_body() -> None:
    body = {"salesOrderId": "1024285237573584051", "subOrders": [{"product_amount": "12.50"}], "brandNew": 1}
    event = parse_event(push("TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY", body))
    assert isinstance(event, PriceChangeEvent)
    assert event.order is not None
    assert event.order.sales_order_id == "1024285237573584051"
    assert event.order.extra == {"brandNew": 1}


def test_refund_and_unknown_types() -> None:
    assert isinstance(parse_event(push("1688_ORDER_BUYER_VIEW_ORDER_BUYER_REFUND", platform=1)), RefundEvent)
    unknown = parse_event(push("SOMETHING_ELSE_ENTIRELY"))
    assert isinstance(unknown, UnknownEvent)
    assert unknown.raw["messageType"] == "SOMETHING_ELSE_ENTIRELY"


@pytest.mark.parametrize("bad", [b"", b"not json", b"[1]", b'{"messageBody": "{}"}', b'{"messageType": 5}'])
def test_malformed_wrappers_raise_payload_errors(bad: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_event(bad)


@settings(max_examples=300)
@given(st.binary(max_size=300), st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=4))
def test_verify_and_parse_on_arbitrary_input_give_only_typed_outcomes(body: bytes, headers: dict[str, str]) -> None:
    verifier = WebhookVerifier(SECRET)
    for candidate in (headers, {**headers, **sign(body)}):
        try:
            verifier.verify(body, candidate)
        except WebhookError:
            pass
    try:
        event = parse_event(body)
    except WebhookError:
        return
    assert event.message_type


@settings(max_examples=200)
@given(
    st.text(min_size=1, max_size=40),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8,
    ),
    st.one_of(st.none(), st.integers(), st.text(max_size=5)),
)
def test_any_wrapper_with_a_message_type_parses(message_type: str, body: Any, platform: Any) -> None:
    wrapper = {"messageType": message_type, "messageBody": body, "messagePlatform": platform, "timestamp": "x"}
    event = parse_event(json.dumps(wrapper).encode())
    assert event.message_type == message_type
    assert isinstance(event.body, dict)


@pytest.mark.parametrize(
    ("sent", "platform"),
    [
        (0, Platform.TAOBAO),
        ("1", Platform.ALIBABA),
        (7, 7),
        ("7", 7),
        (-1, -1),
        ("TMALL", "TMALL"),
        ("", ""),
        (None, None),
        (True, None),
        (1.5, None),
        ([1], None),
    ],
    ids=["0", "'1'", "7", "'7'", "-1", "'TMALL'", "''", "null", "true", "1.5", "[1]"],
)
def test_platform_keeps_unknown_values(sent: Any, platform: Any) -> None:
    wrapper = {"messageType": "X", "messageBody": "{}", "messagePlatform": sent, "timestamp": "1"}
    event = parse_event(json.dumps(wrapper).encode())
    assert event.platform == platform
    assert type(event.platform) is type(platform)
    assert event.raw["messagePlatform"] == sent


def test_absent_platform_is_none() -> None:
    assert parse_event(b'{"messageType": "X"}').platform is None


# ---------------------------------------------------------------------- receivers


async def post(receiver: WebhookReceiver, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://hook") as c:
        return await c.post("/push", content=body, headers=headers)


@pytest.mark.anyio
async def test_receiver_dispatches_once_and_acknowledges_duplicates() -> None:
    receiver = WebhookReceiver(SECRET)
    seen: list[str] = []

    @receiver.on("status_change")
    async def on_status(event: Any) -> None:
        seen.append(event.order_id)

    body = push()
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert seen == ["1024285237573584051"]


@pytest.mark.anyio
async def test_refused_pushes_do_not_reach_handlers() -> None:
    receiver = WebhookReceiver(SECRET)
    seen: list[Any] = []
    receiver.on("*")(seen.append)
    body = push()
    assert (await post(receiver, body, sign(body, "nope"))).status_code == 401
    assert (await post(receiver, b"garbage", sign(b"garbage"))).status_code == 400
    assert seen == []


@pytest.mark.anyio
async def test_failing_handler_is_not_acknowledged_and_runs_again_on_redelivery() -> None:
    receiver = WebhookReceiver(SECRET)
    calls: list[int] = []

    @receiver.on("*")
    def flaky(event: Any) -> None:  # sync handlers run in a worker thread
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database down")

    body = push()
    assert (await post(receiver, body, sign(body))).status_code == 500
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert len(calls) == 2


@pytest.mark.anyio
async def test_slow_handler_is_answered_within_the_deadline_and_not_lost() -> None:
    receiver = WebhookReceiver(SECRET, ack_timeout=0.05)
    done: list[str] = []

    @receiver.on("*")
    async def slow(event: Any) -> None:
        await anyio.sleep(0.2)
        done.append(event.message_type)

    body = push()
    with anyio.fail_after(1):
        first = await post(receiver, body, sign(body))
    assert first.status_code == 503  # not acknowledged: the platform will redeliver
    receiver.ack_timeout = 1.0
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert len(done) == 1


@pytest.mark.anyio
async def test_durable_hand_off_acknowledges_after_storing() -> None:
    queue: list[Any] = []

    async def store(event: Any) -> None:
        queue.append(event)

    receiver = WebhookReceiver(SECRET, on_receive=store)
    body = push()
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert (await post(receiver, body, sign(body))).status_code == 200
    assert len(queue) == 1


@pytest.mark.anyio
async def test_in_memory_dedupe_states() -> None:
    now = [0.0]
    store = InMemoryDedupe(clock=lambda: now[0])
    assert await store.claim("k", lease=10) == "new"
    assert await store.claim("k", lease=10) == "in_progress"
    await store.release("k")
    assert await store.claim("k", lease=10) == "new"
    await store.complete("k", ttl=100)
    assert await store.claim("k", lease=10) == "done"
    now[0] = 101
    assert await store.claim("k", lease=10) == "new"


def test_wsgi_receiver() -> None:
    receiver = WebhookReceiver(SECRET)
    seen: list[str] = []
    receiver.on("*")(lambda e: seen.append(e.message_type))
    app = WsgiWebhookReceiver(receiver)
    body = push()
    statuses: list[str] = []

    def call(headers: dict[str, str]) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "wsgi.input": io.BytesIO(body),
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "Content-Type"},
        }
        b"".join(app(environ, lambda status, _headers: statuses.append(status)))

    try:
        call(sign(body))
        call(sign(body))
        call(sign(body, "forged"))
    finally:
        app.close()
    assert statuses == ["200 OK", "200 OK", "401 Unauthorized"]
    assert seen == ["TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE"]


# ---------------------------------------------------------------------- hostile pushes

DEEP = 100_000


def hostile_pushes() -> dict[str, bytes]:
    """Signed pushes that once escaped as bare exceptions (RecursionError, OverflowError, decimal.InvalidOperation)."""
    stamp = str(int(time.time() * 1000))

    def wrapper(fields: str) -> bytes:
        return ('{"messageType": "TAOBAO_ORDER_X", "timestamp": "' + stamp + '", ' + fields + "}").encode()

    return {
        "deep wrapper": b"[" * DEEP + b"]" * DEEP,
        "deep object wrapper": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        "deep body": wrapper('"messageBody": ' + "[" * DEEP + "]" * DEEP),
        "deep body string": wrapper('"messageBody": ' + json.dumps("[" * DEEP + "]" * DEEP)),
        "deep platform": wrapper('"messagePlatform": ' + '{"a":' * DEEP + "1" + "}" * DEEP),
        "number beyond Decimal": wrapper('"messageBody": {"amount": 1e999999999999999999999}'),
        "number beyond Decimal in body string": wrapper('"messageBody": "{\\"amount\\": -1e999999999999999999999}"'),
    }


HOSTILE = hostile_pushes()


def verify_and_parse(verifier: WebhookVerifier, body: bytes) -> None:
    verifier.verify(body, sign(body))
    parse_event(body)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_undecodable_pushes_are_payload_errors(name: str) -> None:
    body = HOSTILE[name]
    with pytest.raises(WebhookPayloadError):
        parse_event(body)
    for verifier in (WebhookVerifier(SECRET), WebhookVerifier(SECRET, replay_window=None)):
        with pytest.raises(WebhookPayloadError):
            verify_and_parse(verifier, body)


@pytest.mark.parametrize("sign_", ["", "-"])
def test_timestamp_beyond_any_clock_is_a_replay(sign_: str) -> None:
    body = ('{"messageType": "X", "timestamp": ' + sign_ + "1" + "0" * 400 + "}").encode()
    with pytest.raises(WebhookReplayError, match="future" if not sign_ else "past"):
        WebhookVerifier(SECRET).verify(body, sign(body))
    assert parse_event(body).timestamp is None  # without the replay check: an event without a readable time


def test_nesting_around_the_recursion_limit_parses_or_is_a_payload_error() -> None:
    # Close to the limit a body may decode and still be too deep to hash: an event or a typed error, never a crash.
    limit = sys.getrecursionlimit()
    for depth in range(limit - 150, limit + 20):
        nested = "[" * depth + "]" * depth
        for body in (
            json.dumps({"messageType": "X", "messageBody": nested}).encode(),
            ('{"messageType": "X", "messageBody": ' + nested + "}").encode(),
            ('{"messageType": "X", "timestamp": ' + nested + "}").encode(),
        ):
            try:
                event = parse_event(body)
            except WebhookPayloadError:
                continue
            assert event.message_type == "X"


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_receiver_answers_400_to_undecodable_pushes(name: str) -> None:
    receiver = WebhookReceiver(SECRET)
    seen: list[Any] = []
    receiver.on("*")(seen.append)
    body = HOSTILE[name]
    response = await post(receiver, body, sign(body))
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert seen == []


@pytest.mark.anyio
async def test_receiver_answers_401_to_a_timestamp_beyond_any_clock() -> None:
    body = ('{"messageType": "X", "timestamp": 1' + "0" * 400 + "}").encode()
    assert (await post(WebhookReceiver(SECRET), body, sign(body))).status_code == 401


@pytest.mark.anyio
async def test_receiver_answers_200_or_400_around_the_recursion_limit() -> None:
    receiver = WebhookReceiver(SECRET)
    stamp = str(int(time.time() * 1000))
    limit = sys.getrecursionlimit()
    statuses = set()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://hook") as client:
        for depth in range(limit - 150, limit + 20):
            nested = "[" * depth + "]" * depth
            for body in (
                json.dumps({"messageType": "X", "timestamp": stamp, "messageBody": nested}).encode(),
                ('{"messageType": "X", "timestamp": ' + stamp + ', "messageBody": ' + nested + "}").encode(),
            ):
                response = await client.post("/push", content=body, headers=sign(body))
                statuses.add(response.status_code)
    assert statuses <= {200, 400}
    assert 400 in statuses
