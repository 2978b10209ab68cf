"""The promise of docs/errors.md under a fuzz: whatever comes back, a call ends in a result or a PandaPonError.

Hypothesis draws answers (status, headers including Content-Encoding, bodies, truncation points) and sends them
through every transport: httpx.MockTransport in process, and a raw TCP server on 127.0.0.1 that writes the drawn
bytes (cut where drawn) to httpcore and to aiohttp. A non-idempotent call must end in ``OutcomeUnknownError``
whenever the request may have reached the server, unless the server answered with a refusal (a 4xx, an error code).
The webhook verifier is fuzzed in tests/webhooks.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pandapon import (
    APIConnectionError,
    APIError,
    AsyncPandaPon,
    AuthenticationError,
    HTTPStatusError,
    OutcomeUnknownError,
    PandaPonError,
    RateLimitError,
    RetryPolicy,
)
from tests.helpers import CREDS

NO_WAIT = RetryPolicy(base=0.0, cap=0.0, max_retry_after=0.0)
STATUSES = st.one_of(
    st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503]), st.integers(100, 599)
)
ENCODINGS = st.sampled_from([None, "gzip", "deflate", "br", "identity", "x-unknown", "gzip, gzip"])
ENVELOPES = st.one_of(
    st.fixed_dictionaries(
        {"code": st.sampled_from([200, 0, 401, 429, 503, 10010, "200", None, [1]]), "msg": st.text(max_size=5)},
        optional={
            "data": st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                lambda x: st.lists(x, max_size=3) | st.dictionaries(st.text(max_size=4), x, max_size=3),
                max_leaves=8,
            ),
            "requestId": st.text(max_size=6),
        },
    ).map(lambda e: json.dumps(e).encode()),
    st.binary(max_size=60),
    st.just(b"[" * 5000 + b"]" * 5000),
    st.just(b'{"code":200,"data":{"success":false,"errorCode":"E1"}}'),
)


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(STATUSES)
    body = draw(ENVELOPES)
    encoding = draw(ENCODINGS)
    if encoding == "gzip" and draw(st.booleans()):
        body = gzip.compress(body)  # correctly encoded: success paths must still come out
    elif encoding == "deflate" and draw(st.booleans()):
        body = zlib.compress(body)
    headers = [(b"content-type", draw(st.sampled_from([b"application/json", b"text/html", b"text/plain"])))]
    if encoding is not None:
        headers.append((b"content-encoding", encoding.encode()))
    if draw(st.booleans()):
        headers.append((b"retry-after", draw(st.sampled_from([b"0", b"1", b"soon", b"-4", b"99999999999999999999"]))))
    if draw(st.booleans()):
        headers.append((b"date", draw(st.sampled_from([b"Mon, 01 Jan 2001 00:00:00 GMT", b"nonsense"]))))
    return {
        "status": status,
        "headers": headers,
        "body": body,
        "length": draw(st.sampled_from(["exact", "short", "none"])),
        "cut": draw(st.none() | st.floats(0.0, 1.0)),
        "write": draw(st.booleans()),
    }


def raw_http(answer: dict[str, Any]) -> bytes:
    body: bytes = answer["body"]
    lines = [f"HTTP/1.1 {answer['status']} X".encode()]
    lines += [k + b": " + v for k, v in answer["headers"]]
    if answer["length"] == "exact":
        lines.append(b"content-length: " + str(len(body)).encode())
    elif answer["length"] == "short":
        lines.append(b"content-length: " + str(len(body) + 10).encode())
    lines.append(b"connection: close")
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    cut = answer["cut"]
    return data if cut is None else data[: int(len(data) * cut)]


def check(answer: dict[str, Any], outcome: object) -> None:
    """The oracle: a result, or a PandaPonError; for a write, outcome-unknown unless the server refused.

    Every server here has read the whole request before it answers, so "the request was not sent" is never true.
    """
    if not isinstance(outcome, BaseException):
        return
    assert isinstance(outcome, PandaPonError), f"{type(outcome).__name__}: {outcome!r} escaped for {answer!r}"
    if not answer["write"]:
        return
    refused = isinstance(outcome, (AuthenticationError, RateLimitError, APIError)) or (
        isinstance(outcome, HTTPStatusError) and outcome.status_code < 500
    )
    assert not (isinstance(outcome, APIConnectionError) and not outcome.request_sent), f"{outcome!r}: it was sent"
    assert isinstance(outcome, OutcomeUnknownError) or refused, f"{outcome!r} for a write: {answer!r}"


async def call(client: AsyncPandaPon, write: bool) -> object:
    try:
        if write:
            return await client.request("POST", "/open/order/pay", json={"orderId": "1"}, idempotent=False)
        return await client.request("GET", "/open/product/get", params={"itemId": "1"})
    except Exception as exc:  # the oracle judges it
        return exc


# ------------------------------------------------------------------ in process


class _CutStream(httpx.AsyncByteStream):
    def __init__(self, body: bytes, cut: float | None) -> None:
        self.body, self.cut = body, cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.cut is None:
            yield self.body
            return
        yield self.body[: int(len(self.body) * self.cut)]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers())
def test_mock_transport(answer: dict[str, Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            answer["status"], headers=answer["headers"], stream=_CutStream(answer["body"], answer["cut"])
        )

    async def main() -> object:
        async with AsyncPandaPon(**CREDS, transport=httpx.MockTransport(handler), retry_policy=NO_WAIT) as client:
            return await call(client, answer["write"])

    check(answer, anyio.run(main))


# ------------------------------------------------------------------ over loopback


class RawServer:
    """Answers every connection with the bytes in ``self.script``, then closes it."""

    def __init__(self) -> None:
        self.script = b""
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, rest = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    while len(rest) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        rest += chunk
                    conn.sendall(self.script)
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


@pytest.mark.loopback
@pytest.mark.parametrize("engine", ["httpcore", "aiohttp"])
def test_loopback(engine: str, raw_server: RawServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANDAPON_TRANSPORT", engine)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(answer=answers())
    def one(answer: dict[str, Any]) -> None:
        raw_server.script = raw_http(answer)

        async def main() -> object:
            async with AsyncPandaPon(
                **CREDS, base_url=raw_server.url, retry_policy=NO_WAIT, timeout=5.0, max_retries=1
            ) as client:
                return await call(client, answer["write"])

        check(answer, anyio.run(main, backend="asyncio" if engine == "aiohttp" else "trio"))

    one()
