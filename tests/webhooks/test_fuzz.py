"""Fuzzing the push verifier, the parser and the ASGI receiver with hostile bodies and headers.

Every push, however malformed, must end in a parsed event or a typed :class:`WebhookError` (a ``PandaPonError``),
and the receiver must answer 2xx or 4xx: never 5xx, never an unhandled exception.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pandapon import PandaPonError
from pandapon.webhooks import WebhookError, WebhookEvent, WebhookReceiver, WebhookVerifier, parse_event

SECRET = "fuzz-secret"
NOW = 1_750_000_000.0  # the verifiers' clock, in seconds
NOW_MS = int(NOW * 1000)

# ---------------------------------------------------------------------- JSON fragments


def deep(n: int, kind: str) -> str:
    if kind == "array":
        return "[" * n + "]" * n
    if kind == "object":
        return '{"a":' * n + "1" + "}" * n
    return '{"a":[' * n + "]}" * n  # alternating


depths = st.one_of(st.integers(1, 60), st.integers(850, 1100), st.sampled_from([3000, 100_000]))
nested = st.builds(deep, depths, st.sampled_from(["array", "object", "mixed"]))
huge_numbers = st.one_of(
    st.builds(
        lambda k, sign: sign + "1" + "0" * k, st.sampled_from([20, 400, 4299, 4300, 5000]), st.sampled_from(["", "-"])
    ),
    st.sampled_from(["1e400", "-1e400", "1.5e-400", "1e999999999999999999999", "-0", "0.0", "1E+2", "12.50"]),
)
constants = st.sampled_from(["NaN", "Infinity", "-Infinity", "true", "false", "null", "{}", "[]", '""', '" "'])
surrogate_text = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from(["\\", '"', "{", "["])), max_size=12
)
strings = st.one_of(
    st.builds(json.dumps, st.text(max_size=20)),
    st.builds(lambda s: json.dumps(s, ensure_ascii=True), surrogate_text),  # lone surrogates as \\udXXX escapes
    st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"', '"\\u0000"']),
)
scalars = st.one_of(constants, huge_numbers, strings, st.integers().map(str))
fragments = st.one_of(scalars, nested)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False, places=2).map(str) | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
).map(lambda v: json.dumps(v, default=str))
order_bodies = st.builds(
    lambda order_id, amount: json.dumps({"salesOrderId": order_id, "subOrders": [{"product_amount": amount}]}),
    st.one_of(st.text(max_size=5), st.integers()),
    st.one_of(st.text(max_size=5), st.integers(), st.floats().map(str)),
)
# messageBody: an object, or JSON text (above all, JSON text holding pathological JSON), or any other value
inner_texts = st.one_of(order_bodies, json_values, fragments, st.text(max_size=20))
good_types = st.sampled_from(
    [
        '"TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY"',
        '"1688_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY"',
        '"1688_ORDER_BUYER_VIEW_ORDER_BUYER_REFUND"',
        '"TAOBAO_ORDER_BUYER_VIEW_ORDER_STATUS_CHANGE"',
        '"SOMETHING_NEW"',
    ]
)
odd_types = st.one_of(st.sampled_from(['""', '"\\ud800"', '"a\\udfffb"', "7", "null"]), strings, fragments)
platforms = st.sampled_from(["0", "1", "7", '"7"', '"1"', '" 1 "', '"TMALL"', '""', "true", "1.0", "-1", "null"])
fresh = st.sampled_from([str(NOW_MS), f'"{NOW_MS}"', str(int(NOW)), f'" {NOW_MS} "', f'"{NOW_MS - 3_600_000}"'])
odd_stamps = st.one_of(
    st.sampled_from([f'"{NOW_MS}.0"', f"{NOW_MS}.0", '"1e400"', "1" + "0" * 400, "-1" + "0" * 400, '"x"']),
    st.integers(-(10**20), 10**20).map(str),
    fragments,
)
FIELDS = {  # (an ordinary value, a hostile one)
    "messageType": (good_types, odd_types),
    "messageBody": (
        st.one_of(order_bodies, json_values, st.one_of(order_bodies, json_values).map(json.dumps)),
        st.one_of(fragments, inner_texts.map(lambda text: json.dumps(text, ensure_ascii=True))),
    ),
    "messagePlatform": (platforms, fragments),
    "timestamp": (fresh, odd_stamps),
}


@st.composite
def wrappers(draw: st.DrawFn) -> bytes:
    """A push wrapper assembled from raw JSON fragments (at most two hostile fields, some missing, some duplicated),
    then encoded, sometimes in UTF-16 or UTF-32, sometimes with invalid bytes spliced in."""
    hostile = draw(st.lists(st.sampled_from(list(FIELDS)), max_size=draw(st.sampled_from([0, 0, 1, 2]))))
    parts = [
        f'"{name}":{draw(strategies[name in hostile])}'
        for name, strategies in FIELDS.items()
        if draw(st.integers(0, 19)) > 0  # each field is present 19 times out of 20
    ]
    if draw(st.integers(0, 4)) == 0:
        parts.append(f'"{draw(st.sampled_from(list(FIELDS)))}":{draw(fragments)}')  # a duplicated key
    text = "{" + ",".join(draw(st.permutations(parts))) + "}"
    if draw(st.integers(0, 9)) == 0:
        text = draw(fragments)  # not an object at all
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "utf-16-le", "utf-32-be"]))
    data = text.encode(encoding, "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # invalid UTF-8 (or a raw surrogate) spliced in
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\x00"])) + data[at:]
    return data


bodies = st.one_of(wrappers(), wrappers(), wrappers(), st.binary(max_size=300), fragments.map(str.encode))

# ---------------------------------------------------------------------- headers

token = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~", min_size=1, max_size=20
)
header_values = st.one_of(
    st.binary(max_size=60), st.text(st.characters(max_codepoint=255), max_size=60).map(lambda s: s.encode("latin-1"))
)
content_types = st.one_of(
    st.sampled_from([b"application/json", b"application/json; charset=utf-16", b"text/plain", b"", b"*/*; q=\xff"]),
    header_values,
)
content_encodings = st.one_of(
    st.sampled_from([b"gzip", b"br", b"identity", b"gzip, deflate", b"x-unknown"]), header_values
)


def signature(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Case:
    body: bytes
    headers: list[tuple[bytes, bytes]]

    def header_dict(self) -> dict[str, str]:
        """The headers as a mapping the way an ASGI server folds them: names lower-cased, the last one wins."""
        return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.headers}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    body = draw(bodies)
    good = signature(body)
    wrong = signature(body + b"x")
    auth_values = {
        "valid": [good],
        "upper": [good.upper()],
        "hmac": [f"HMAC {good}"],
        "bearer": [f"Bearer  {good} "],
        "missing": [],
        "empty": [""],
        "wrong": [wrong],
        "arbitrary": [draw(header_values).decode("latin-1")],
        "valid then wrong": [good, wrong],
        "wrong then valid": [wrong, good],
        "valid twice": [good, good.upper()],
    }
    chosen = auth_values[draw(st.sampled_from(["valid"] * 10 + sorted(auth_values)))]
    headers = [
        (draw(st.sampled_from([b"Authorization", b"authorization", b"AUTHORIZATION"])), v.encode("latin-1"))
        for v in chosen
    ]
    if draw(st.booleans()):
        headers.append((b"Content-Type", draw(content_types)))
    if draw(st.booleans()):
        headers.append((b"Content-Encoding", draw(content_encodings)))
    for _ in range(draw(st.integers(0, 2))):
        headers.append((draw(token).encode(), draw(header_values)))
    return Case(body, draw(st.permutations(headers)))


# ---------------------------------------------------------------------- the oracle


def verifiers() -> list[WebhookVerifier]:
    return [WebhookVerifier(SECRET, clock=lambda: NOW), WebhookVerifier(SECRET, clock=lambda: NOW, replay_window=None)]


def outcome(verifier: WebhookVerifier, case: Case) -> WebhookEvent | WebhookError:
    """Verify then parse, as the receiver does; anything but an event or a typed webhook error propagates."""
    try:
        verifier.verify(case.body, case.header_dict())
        result: WebhookEvent | WebhookError = parse_event(case.body)
    except WebhookError as exc:
        assert isinstance(exc, PandaPonError)
        assert exc.status in (400, 401, 413)
        result = exc
    event(type(result).__name__)
    return result


FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(cases())
def test_verify_and_parse_end_in_an_event_or_a_typed_error(case: Case) -> None:
    for verifier in verifiers():
        result = outcome(verifier, case)
        if isinstance(result, WebhookEvent):
            assert result.message_type and isinstance(result.body, dict)
            assert result.platform is None or isinstance(result.platform, (int, str))


any_headers = st.dictionaries(
    st.one_of(token, st.text(max_size=20)),
    st.one_of(st.text(max_size=80), st.text(st.characters(categories=["Cs"]), max_size=3)),
    max_size=4,
)


@FUZZ
@given(st.binary(max_size=2000), any_headers, st.sampled_from(["Authorization", "authorization", "AUTHORIZATION"]))
def test_valid_signatures_over_arbitrary_bytes_end_in_an_event_or_a_typed_error(
    body: bytes, headers: dict[str, str], name: str
) -> None:
    good = signature(body)
    candidates = [
        headers,
        {**headers, name: good},
        {**headers, name: good.upper()},
        {**headers, "Authorization": good, "authorization": "forged"},  # the same header twice: the last one counts
        {**headers, "Authorization": "forged", "authorization": good},
    ]
    for verifier in verifiers():
        for candidate in candidates:
            try:
                verifier.verify(body, candidate)
                parsed = parse_event(body)
            except WebhookError as exc:
                assert isinstance(exc, PandaPonError)
                continue
            assert parsed.message_type


# A push over the size limit is answered 413 before its body is read to the end, so httpx's ASGITransport leaves its
# request-body generator unfinished; trio warns when it is collected (a real server just discards the rest).
@pytest.mark.filterwarnings("ignore:Async generator 'httpx._content.ByteStream.__aiter__' was garbage:ResourceWarning")
@pytest.mark.anyio
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cases())
async def test_receiver_answers_2xx_or_4xx_never_5xx(case: Case) -> None:
    receiver = WebhookReceiver(WebhookVerifier(SECRET, clock=lambda: NOW))
    seen: list[WebhookEvent] = []
    receiver.on("*")(seen.append)
    expected = outcome(receiver.verifier, case)
    transport = httpx.ASGITransport(app=receiver)  # app exceptions propagate: an unhandled one fails the test
    async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
        response = await client.post("/push", content=case.body, headers=case.headers)
    assert 200 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    if isinstance(expected, WebhookError):
        assert response.status_code == expected.status
        assert seen == []
    else:
        assert response.status_code == 200
        assert [event.dedupe_key for event in seen] == [expected.dedupe_key]
