"""Test helpers: credentials, envelopes, and a recording mock transport."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from pandapon import PandaPon

ACCESS_KEY = "58c0201dfdf148eca63cbf6bb5e7cf03"
ACCESS_SECRET = "test-secret-do-not-log-7f3a9c"
USER_ID = "2100007341207"
CREDS = {"access_key": ACCESS_KEY, "access_secret": ACCESS_SECRET, "user_id": USER_ID}


def envelope(data: object = True, *, code: int = 200, msg: str = "成功", request_id: str = "rid-1") -> dict[str, Any]:
    return {"requestId": request_id, "code": code, "developId": "1022622888387149826", "msg": msg, "data": data}


def create_taobao_order(client: PandaPon) -> dict[str, Any]:
    """Create one Taobao order (one unit of the first listed product's first SKU) on FakePandaPon; its answer."""
    from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver

    page = client.taobao.products.search(keyword="", page_no=1, page_size=20)
    assert isinstance(page, dict)
    row = next(r for r in page["data"] if r.get("mpId"))
    product = client.taobao.products.get(str(row["itemId"]))
    sku = product.sku_list[0]
    line = TaobaoOrdersCreateOrderLine(item_id=product.mp_id, sku_id=sku.mp_sku_id, quantity="1", price=str(sku.price))
    receiver = TaobaoOrdersCreateReceiver(name="n", address="a", mobile_phone="15068763421")
    order = client.taobao.orders.create([line], int(sku.price), receiver)
    assert isinstance(order, dict)
    return order


def push_body(message_type: str, message_body: str, platform: int, *, timestamp_ms: int | None = None) -> bytes:
    """A PandaPon message push as the platform posts it (``timestamp`` defaults to now)."""
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return json.dumps(
        {
            "messageType": message_type,
            "messageBody": message_body,
            "messagePlatform": platform,
            "timestamp": str(stamp),
        }
    ).encode()


def expected_signature(access_key: str, timestamp: str, nonce: str, secret: str) -> str:
    """The signature recomputed independently of the SDK (API notes §4)."""
    return hashlib.md5((access_key + timestamp + nonce + secret).encode()).hexdigest().upper()


class Recorder:
    """A MockTransport handler that records requests and answers from a list of responders."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def ok(data: object = True, **kw: Any) -> httpx.Response:
    return httpx.Response(200, json=envelope(data, **kw))


def complete_partial_json(text: str) -> Any:
    """Parse the longest prefix of a cut-off JSON text that can be closed into a valid document.

    The docs publish many response examples only up to some point; this keeps every complete value before the
    cut (dropping the value being written when the text stops) and closes the open brackets.
    """
    for cut in range(len(text), 0, -1):
        prefix = text[:cut].rstrip()
        stack: list[str] = []
        in_string = escaped = False
        for ch in prefix:
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch in "[{":
                stack.append("]" if ch == "[" else "}")
            elif ch in "]}" and stack:
                stack.pop()
        if in_string or prefix.endswith((",", ":")):
            continue
        try:
            return json.loads(prefix + "".join(reversed(stack)))
        except ValueError:
            continue
    raise ValueError("no parsable prefix")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_asgi(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port unless given) in a background thread."""
    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", lifespan="auto", access_log=False, date_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


@contextlib.contextmanager
def fixed_server() -> Iterator[str]:
    """A separate process answering every request with one success envelope (benchmarks/_server.py)."""
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks._server", str(port)], stdout=subprocess.PIPE, cwd=root)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def wait_for_fds(limit: int, timeout: float = 5.0) -> int:
    """Poll until this process has at most ``limit`` open fds (closing sockets is asynchronous); return the count."""
    deadline = time.monotonic() + timeout
    while open_fds() > limit and time.monotonic() < deadline:
        time.sleep(0.05)
    return open_fds()


def wait_until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    """Poll ``predicate`` (from a thread with no event loop) until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def log_records(name: str, level: int | None = None) -> Iterator[list[logging.LogRecord]]:
    """The records logger ``name`` emits while the block runs (its level set to ``level`` meanwhile, if given)."""
    logger, handler = logging.getLogger(name), _Records()
    before, disabled = logger.level, logger.disabled
    logger.addHandler(handler)
    logger.disabled = False  # logging.config (import-linter's, in tests/test_architecture.py) disables loggers
    if level is not None:
        logger.setLevel(level)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
        logger.disabled = disabled
