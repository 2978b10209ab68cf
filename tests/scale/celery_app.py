"""A Celery app calling PandaPon from prefork workers: the recipe of docs/running-at-scale.md, run by
tests/scale/test_celery.py against a real worker, a real Redis and the fake platform.

Start a worker with ``celery -A tests.scale.celery_app worker --pool prefork --concurrency 4``. Settings come from
the environment: ``PANDAPON_*`` for the client (docs/configuration.md), ``JOBS_REDIS_URL`` (broker, result backend
and the shared rate limit) and ``JOBS_RATE`` (calls per second for all processes together).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init, worker_process_shutdown
from redis.asyncio import Redis

import pandapon
from pandapon.types import TaobaoOrdersCreateOrderLine, TaobaoOrdersCreateReceiver

REDIS_URL = os.environ.get("JOBS_REDIS_URL", "redis://localhost:6379/0")
RATE = float(os.environ.get("JOBS_RATE", "20"))  # the platform's limit for this access key, all processes together

app = Celery("pandapon_jobs", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_acks_late=True,  # acknowledge after the task ran: a worker that dies mid-task does not lose it ...
    task_reject_on_worker_lost=True,  # ... and its task goes back on the queue (so every task must be safe to rerun)
    worker_prefetch_multiplier=1,  # a process reserves one task at a time: none waits behind a slow one
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
)

# ------------------------------------------------------------------------------------- one client per process

client: pandapon.PandaPon | None = None


@worker_process_init.connect
def open_client(**_: object) -> None:
    """In each worker process, after the fork: one sync client whose limiter is shared by every process."""
    global client
    key = os.environ["PANDAPON_ACCESS_KEY"]
    limiter = pandapon.RedisRateLimiter(Redis.from_url(REDIS_URL), rate=RATE, key=f"pandapon:rate:{key}")
    client = pandapon.PandaPon(rate_limiter=limiter)  # no I/O yet: the loop thread starts on the first call


@worker_process_shutdown.connect
def close_client(**_: object) -> None:
    if client is not None:
        client.close()


def pandapon_client() -> pandapon.PandaPon:
    if client is None:
        raise RuntimeError("no PandaPon client in this process: is worker_process_init connected?")
    return client


# ------------------------------------------------------------------------------------------ lookups: idempotent


@app.task
def lookup(item_id: str) -> dict[str, Any]:
    """One product per task: a failed or redelivered task simply runs again."""
    product = pandapon_client().taobao.products.get(item_id)
    return {"item_id": product.item_id, "title": product.title}


@app.task
def lookup_chunk(item_ids: list[str]) -> list[dict[str, Any]]:
    """A chunk of products per task: fewer messages, and a rerun repeats the whole chunk (harmless for reads)."""
    c = pandapon_client()
    return [{"item_id": p.item_id, "title": p.title} for p in map(c.taobao.products.get, item_ids)]


# --------------------------------------------------------------------------- creates: by your own order number


class NotVisibleYet(Exception):
    """The platform could not say whether an order exists yet: look again later, never create blindly."""


def find_order(seller_order_number: str) -> dict[str, Any] | None:
    """The order created under ``seller_order_number``, if the platform has one."""
    page = pandapon_client().taobao.orders.list({"sellerOrderNumber": seller_order_number})
    rows = page.get("data") if isinstance(page, dict) else None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("sellerOrderNumber") == seller_order_number:
            return row
    return None


@app.task(bind=True, max_retries=5)
def create_order(self: Task[Any, Any], order: dict[str, Any]) -> str:
    """Create one order, at most once, keyed by the shop's own order number.

    Look first: this task may be a redelivery (its worker was killed after the create was sent) or a retry.
    """
    number = order["seller_order_number"]
    found = find_order(number)
    if found is not None:
        return str(found["orderId"])
    line = TaobaoOrdersCreateOrderLine(
        item_id=order["item_id"], sku_id=order["sku_id"], quantity=str(order["quantity"]), price=str(order["price"])
    )
    receiver = TaobaoOrdersCreateReceiver(**order["receiver"])
    try:
        created = pandapon_client().taobao.orders.create(
            [line], order["quantity"] * order["price"], receiver, seller_order_number=number
        )
    except pandapon.OutcomeUnknownError as exc:
        # The SDK already looked the order up once by seller_order_number and did not find it (exc.reconciliation
        # says so). It may still appear: run this task again later, which looks before it creates.
        raise self.retry(exc=NotVisibleYet(f"{number}: {exc.reconciliation}"), countdown=10) from exc
    return str(created["orderId"]) if isinstance(created, dict) else str(created)
