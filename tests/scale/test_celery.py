"""The Celery recipe (tests/scale/celery_app.py) under a real prefork worker with 4 processes, a real Redis (broker,
results, shared rate limit) and the fake platform over loopback; one worker process is SIGKILLed mid-run.

2,000 calls: 1,100 lookups one per task, 300 in chunks of 10, and 300 order creates (each a lookup by its seller
order number, then the create). Afterwards: every task has its result, every seller order number names exactly one
order at the fake, and the rate at which requests arrived at the fake, over the steady part of the run, is the
configured rate within ±3 %.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pandapon.testing import FakePandaPon
from pandapon.testing._records import TaobaoOrder
from tests.helpers import serve_asgi

pytestmark = [pytest.mark.loopback, pytest.mark.redis, pytest.mark.skipif(sys.platform == "win32", reason="prefork")]

celery = pytest.importorskip("celery")

ROOT = Path(__file__).resolve().parents[2]
RATE = 50.0  # calls per second, all 4 processes together: 40 s for 2,000, with room to spare on a busy CI machine
TOLERANCE = 0.03
PRODUCT = "672991141190"  # the docs' example product (doc_examples=True)
LOOKUPS, CHUNKS, CHUNK, CREATES = 1100, 30, 10, 300  # 1,100 + 30 x 10 + 300 x 2 = 2,000 calls
EDGE = 2.0  # seconds left out at each end of the run: worker start-up and the queue's last, thinner second


class Arrivals:
    """ASGI middleware: the monotonic arrival time of every HTTP request, then the app."""

    def __init__(self, app: Any) -> None:
        self.app, self.times = app, list[float]()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.times.append(time.monotonic())
        await self.app(scope, receive, send)


@pytest.fixture
def platform() -> Iterator[tuple[FakePandaPon, Arrivals, str]]:
    fake = FakePandaPon(seed=7, doc_examples=True, step_interval=None)
    for sku in fake.state.product(PRODUCT).skus:
        sku.stock = 1_000_000  # room for every order
    arrivals = Arrivals(fake)
    with serve_asgi(arrivals) as url:
        yield fake, arrivals, url


def worker_children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
        return [int(p) for p in f.read().split()]


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    queue: str
    log: Path


@pytest.fixture
def worker(platform: tuple[FakePandaPon, Arrivals, str], redis_url: str, tmp_path: Path) -> Iterator[Worker]:
    """``celery worker --pool prefork --concurrency 4`` on its own queue; stopped (then killed) at the end."""
    fake, _, url = platform
    c = fake.credentials
    queue = f"scale-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANDAPON_", "JOBS_"))}
    env |= {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "PANDAPON_BASE_URL": url,
        "PANDAPON_ACCESS_KEY": c.access_key,
        "PANDAPON_ACCESS_SECRET": c.access_secret,
        "PANDAPON_USER_ID": c.user_id,
        "JOBS_REDIS_URL": redis_url,
        "JOBS_RATE": str(RATE),
    }
    command = [sys.executable, "-m", "celery", "-A", "tests.scale.celery_app", "worker", "--pool", "prefork"]
    command += ["--concurrency", "4", "-Q", queue, "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"]
    log = tmp_path / "worker.log"  # a file, not a pipe: a chatty worker must never block on a full pipe
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while len(worker_children(proc.pid)) < 4:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the worker did not start its 4 processes within 60 s"
            time.sleep(0.1)
        yield Worker(proc, queue, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                for child in worker_children(proc.pid):
                    os.kill(child, signal.SIGKILL)
                proc.kill()
                proc.wait(10)


def steady_rate(times: list[float]) -> tuple[float, int, float]:
    """Requests per second between ``EDGE`` seconds after the first arrival and ``EDGE`` seconds before the last:
    the least-squares slope of the arrival count over time, which a late-noted arrival (the test process is busy
    too) moves far less than it moves a count divided by a window.
    """
    times = sorted(times)
    inside = [t for t in times if times[0] + EDGE <= t < times[-1] - EDGE]
    seconds_per_request = statistics.linear_regression(range(len(inside)), inside).slope
    return 1 / seconds_per_request, len(inside), inside[-1] - inside[0]


def test_four_worker_processes_one_killed_hold_the_rate_and_create_each_order_once(
    platform: tuple[FakePandaPon, Arrivals, str], worker: Worker, redis_url: str
) -> None:
    from celery.result import ResultSet

    from tests.scale import celery_app as jobs

    fake, arrivals, _ = platform
    jobs.app.conf.update(broker_url=redis_url, result_backend=redis_url)
    queue = worker.queue
    product = fake.state.product(PRODUCT)
    sku = product.skus[0]
    receiver = {"name": "张三", "address": "文一西路 969 号", "mobile_phone": "15068763421"}
    numbers = [f"SHOP-{uuid.uuid4().hex[:12]}" for _ in range(CREATES)]
    orders = [
        {"seller_order_number": n, "item_id": product.mp_id, "sku_id": sku.mp_sku_id, "quantity": 1}
        | {"price": sku.price, "receiver": receiver}
        for n in numbers
    ]
    jobs_sent: list[tuple[str, Any]] = []
    creates = iter(orders)
    for i in range(LOOKUPS + CHUNKS):  # creates spread through the run, so the kill lands among them too
        if i < CHUNKS:
            jobs_sent.append(("chunk", jobs.lookup_chunk.apply_async(([PRODUCT] * CHUNK,), queue=queue)))
        else:
            jobs_sent.append(("lookup", jobs.lookup.apply_async((PRODUCT,), queue=queue)))
        if i % 4 == 0:
            order = next(creates, None)
            if order is not None:
                jobs_sent.append(("create", jobs.create_order.apply_async((order,), queue=queue)))
    for order in creates:
        jobs_sent.append(("create", jobs.create_order.apply_async((order,), queue=queue)))

    # SIGKILL one of the worker's processes (not the main one) a quarter of the way in
    deadline = time.monotonic() + 120
    while len(arrivals.times) < 500:
        assert time.monotonic() < deadline, f"{len(arrivals.times)} requests in 120 s\n{worker.log.read_text()[-3000:]}"
        time.sleep(0.05)
    before = worker_children(worker.proc.pid)
    os.kill(before[1], signal.SIGKILL)

    values = ResultSet([r for _, r in jobs_sent]).join(timeout=180, propagate=True)
    after = worker_children(worker.proc.pid)

    # the pool replaced the killed process, and every task has its result (the killed one's ran again)
    assert before[1] not in after and len(after) == 4
    assert len(values) == len(jobs_sent)
    for (kind, _), value in zip(jobs_sent, values, strict=True):
        if kind == "lookup":
            assert value == {"item_id": PRODUCT, "title": product.title}
        elif kind == "chunk":
            assert value == [{"item_id": PRODUCT, "title": product.title}] * CHUNK
        else:
            assert isinstance(value, str) and value in fake.orders
    # each seller order number names exactly one order, and each create task returned that order
    made = Counter(o.seller_order_number for o in fake.orders.values() if isinstance(o, TaobaoOrder))
    assert {n: made[n] for n in numbers} == dict.fromkeys(numbers, 1)
    assert fake.create_calls == CREATES
    by_number = {o.seller_order_number: o.order_id for o in fake.orders.values() if isinstance(o, TaobaoOrder)}
    created = [v for (kind, _), v in zip(jobs_sent, values, strict=True) if kind == "create"]
    assert sorted(created) == sorted(by_number[n] for n in numbers)
    # every call, and the killed process's call at most once more (its task was redelivered)
    assert 2000 <= len(arrivals.times) <= 2000 + 2 + CHUNK
    # the configured rate, measured where the requests arrive
    rate, counted, seconds = steady_rate(arrivals.times)
    print(f"\n{len(arrivals.times)} requests; steady rate at the fake {rate:.2f}/s ({counted} in {seconds:.1f} s)")
    assert abs(rate / RATE - 1) <= TOLERANCE, f"{rate:.2f}/s is not {RATE:g}/s ± {TOLERANCE:.0%}"
