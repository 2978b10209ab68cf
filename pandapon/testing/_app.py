"""``FakePandaPon``: an in-memory PandaPon OpenAPI, served as an ASGI app.

It signs and checks like the platform (API notes §3–§5), answers every endpoint of the catalogue from seeded,
stateful data, pushes signed callbacks through an outbox, and misbehaves on request (faults). Use it in-process
with ``httpx.ASGITransport(app=fake)`` or serve it with uvicorn.

This module holds the request pipeline (faults, auth, rate limit, routing, dispatch) and the test controls; each
step lives in its own module.
"""

from __future__ import annotations

import math
import random
import string
import time
from collections import Counter
from collections.abc import Callable, Set
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import anyio
import httpx

from ._asgi import Receive, Scope, Send, serve
from ._auth import FakeCredentials, NonceLedger, TimestampUnit, TokenBucket, authenticate
from ._base import BusinessError, dumps
from ._clients import client_kwargs
from ._contract import load_contract
from ._examples import add_doc_examples
from ._exchange import Answer, LoggedRequest, Request
from ._faults import BEFORE, Fault, FaultBoard, fault_answer, mangle
from ._handlers import TABLES
from ._push import Outbox, PushAttempt, PushMessage, courier
from ._records import Order
from ._routes import Context, Route, Router, read_params
from ._settings import check_push_settings, check_settings
from ._state import State
from ._strict import RULE_FIELDS, as_documented, resolve_strict

if TYPE_CHECKING:
    from .. import AsyncPandaPon, PandaPon, RetryPolicy

__all__ = ["FakePandaPon"]

_OK_MSG = "成功"
_ALNUM = string.ascii_letters + string.digits


class FakePandaPon:
    """An in-memory PandaPon OpenAPI; the instance is an ASGI application (HTTP and lifespan).

    Args:
        access_key, access_secret, user_id: the accepted credentials; random (seeded) when not given.
        seed: makes the catalogue, ids, request ids and fault draws reproducible.
        rate_limit: requests per second allowed (token bucket on ``clock``); ``None``: unlimited.
        burst: the bucket size; defaults to ``max(1, ceil(rate_limit))``.
        clock: the wall clock in epoch seconds (timestamps, ``Date``, rate limit, nonce expiry).
        timestamp_tolerance: seconds a request timestamp may differ from ``clock``, either way.
        timestamp_unit: ``"s"``, ``"ms"`` or ``"auto"`` (10 digits = seconds, 13 = milliseconds).
        success_code: the envelope ``code`` of a success.
        step_interval: simulated seconds between the automatic steps of a paid order (ship, trace events,
            delivered); ``None``: orders move only with :meth:`advance`.
        redelivery_interval: seconds before a failed push is delivered again (the platform: half an hour).
        max_redeliveries: redeliveries before a push is dropped into :attr:`dead_letters` (the platform: 5).
        push_timeout: seconds a receiver has to answer a push (the platform: 1).
        doc_examples: also hold the product and the unpaid order the docs' examples use (see ``_examples``).
        auto_deliver: served with a lifespan (uvicorn), deliver due pushes by itself every ``auto_deliver``
            seconds, on the ``redelivery_interval`` schedule; ``None``: only :meth:`deliver_pending` delivers.
        dedupe_seller_order_number: answer a repeated Taobao order create with the order first created under the
            same ``sellerOrderNumber``. Off by default: the platform publishes no server-side de-duplication, so
            the fake does not hide a client that creates twice.
        strict: the checks PandaPon's docs do not state, listed in :data:`~pandapon.testing.STRICT_RULES`:
            ``True`` (all), ``False`` (none), or the set of rule names to switch on; ``None``:
            :data:`~pandapon.testing.STRICT_DEFAULTS`. An unknown name raises ``ValueError``.

    Simulated time (orders, pushes) is ``clock() + `` the seconds passed to :meth:`tick`; auth always uses
    ``clock()`` so that ticking never makes a client's signatures stale.
    """

    def __init__(
        self,
        *,
        access_key: str | None = None,
        access_secret: str | None = None,
        user_id: str | None = None,
        seed: int = 0,
        rate_limit: float | None = None,
        burst: int | None = None,
        clock: Callable[[], float] = time.time,
        timestamp_tolerance: float = 600.0,
        timestamp_unit: TimestampUnit = "auto",
        success_code: int = 200,
        step_interval: float | None = 3600.0,
        dedupe_seller_order_number: bool = False,
        redelivery_interval: float = 1800.0,
        max_redeliveries: int = 5,
        push_timeout: float = 1.0,
        auto_deliver: float | None = None,
        doc_examples: bool = False,
        strict: bool | Set[str] | None = None,
    ) -> None:
        check_settings(timestamp_unit, rate_limit, burst, step_interval)
        check_push_settings(redelivery_interval, max_redeliveries, push_timeout, auto_deliver)
        self.auto_deliver = auto_deliver
        #: The strict rules switched on (names of :data:`~pandapon.testing.STRICT_RULES`).
        self.strict: frozenset[str] = resolve_strict(strict)
        setup = random.Random(f"pandapon-fake:{seed}:credentials")
        self.credentials = FakeCredentials(
            access_key=access_key or f"{setup.getrandbits(128):032x}",
            access_secret=access_secret or "".join(setup.choice(_ALNUM) for _ in range(32)),
            user_id=user_id or "2100" + "".join(str(setup.randint(0, 9)) for _ in range(9)),
        )
        self.seed = seed
        self.clock = clock
        self.timestamp_tolerance = timestamp_tolerance
        self.timestamp_unit: TimestampUnit = timestamp_unit
        self.success_code = success_code
        self.rate_limit = rate_limit
        self.burst = burst if burst is not None else (max(1, math.ceil(rate_limit)) if rate_limit else 1)
        self.develop_id = "10" + "".join(str(setup.randint(0, 9)) for _ in range(17))
        self._rng = random.Random(f"pandapon-fake:{seed}:runtime")
        self._offset = 0.0
        self._bucket = TokenBucket(self.burst)
        self._nonces = NonceLedger()
        self._faults = FaultBoard(self._rng)
        self._create_calls = 0
        self._state = State(seed=seed, step_interval=step_interval, emit=self._emit)
        self._state.dedupe_seller_order_number = dedupe_seller_order_number
        self._outbox = Outbox(
            secret=self.credentials.access_secret,
            redelivery_interval=redelivery_interval,
            max_redeliveries=max_redeliveries,
            timeout=push_timeout,
        )
        if doc_examples:  # the docs' ids: product 672991141190, order 1024285237573584051
            add_doc_examples(self._state, self.now())
        self._router = Router(TABLES)
        self._contract = load_contract()
        #: Every request, in arrival order.
        self.request_log: list[LoggedRequest] = []
        #: How many times each fault kind fired.
        self.faults_fired: Counter[str] = Counter()
        #: Every push message created (whether or not a callback URL was registered).
        self.messages: list[PushMessage] = []
        #: The developer's callback URL (one per developer, as on the platform).
        self.callback_url: str | None = None
        #: Sends pushes in-process when set (e.g. ``httpx.ASGITransport(app=receiver)`` or a MockTransport).
        self.callback_transport: httpx.AsyncBaseTransport | None = None

    # ------------------------------------------------------------------ introspection

    @property
    def routes(self) -> tuple[str, ...]:
        """Every endpoint served, as ``"METHOD path"``."""
        return self._router.keys

    @property
    def orders(self) -> dict[str, Order]:
        """Order id → order record (Taobao and 1688); the live records."""
        return self._state.orders

    @property
    def create_calls(self) -> int:
        """How many order-creating requests reached the state (duplicates included)."""
        return self._create_calls

    @property
    def state(self) -> State:
        """The whole in-memory state (catalogue, carts, refunds, addresses...), for white-box tests."""
        return self._state

    @property
    def pushes(self) -> list[PushAttempt]:
        """Every push delivery attempt, in order."""
        return self._outbox.attempts

    @property
    def dead_letters(self) -> list[PushMessage]:
        """Pushes given up after the last redelivery failed."""
        return self._outbox.dead_letters

    @property
    def outbox(self) -> tuple[PushMessage, ...]:
        """Pushes still to be delivered (due now or later)."""
        return tuple(entry.message for entry in self._outbox.pending)

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The injected faults that have not run out."""
        return self._faults.faults

    def now(self) -> float:
        """Return the simulated time: ``clock()`` plus everything passed to :meth:`tick`."""
        return self.clock() + self._offset

    # ------------------------------------------------------------------ SDK clients wired to the fake

    def async_client(
        self,
        *,
        max_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
    ) -> AsyncPandaPon:
        """Return an :class:`~pandapon.AsyncPandaPon` that talks to this fake in-process.

        It uses the fake's credentials, and signers on the fake's clock and timestamp unit (so a test clock works).
        """
        from .. import AsyncPandaPon

        c = self.credentials
        options = client_kwargs(
            self, max_retries=max_retries, retry_policy=retry_policy, timeout=timeout, deadline=deadline
        )
        return AsyncPandaPon(c.access_key, c.access_secret, c.user_id, **options)

    def client(
        self,
        *,
        max_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
        backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> PandaPon:
        """Return a synchronous :class:`~pandapon.PandaPon` that talks to this fake in-process (see :meth:`async_client`)."""
        from .. import PandaPon

        c = self.credentials
        options = client_kwargs(
            self, max_retries=max_retries, retry_policy=retry_policy, timeout=timeout, deadline=deadline
        )
        return PandaPon(c.access_key, c.access_secret, c.user_id, **options, backend=backend)

    # ------------------------------------------------------------------ test controls

    def inject(self, fault: Fault) -> None:
        """Arm a fault; faults are tried in injection order."""
        self._faults.inject(fault)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    def register_callback(self, url: str) -> None:
        """Set the callback URL pushes are sent to (replacing any earlier one)."""
        self.callback_url = url

    async def deliver_pending(self, client: httpx.AsyncClient | None = None) -> list[PushAttempt]:
        """Attempt every push that is due, once each; return the attempts made.

        A push is delivered when the receiver answers HTTP 200 within ``push_timeout``. Otherwise it is tried
        again ``redelivery_interval`` simulated seconds later, at most ``max_redeliveries`` times, and then moved
        to :attr:`dead_letters`. Without ``client``, a client over :attr:`callback_transport` (or the network) is
        used for this call.
        """
        return await self._outbox.deliver(self.now(), client, self.callback_transport)

    def advance(self, order_id: str) -> str:
        """Move an order one step and return its new status.

        Taobao: WAIT_BUYER_P → WAIT_SELLER_SEND_GOODS (paid) → WAIT_BUYER_CONFIRM_GOODS (shipped, first trace
        event) → one trace event per step until signed for. 1688: waitbuyerpay → waitsellersend →
        waitbuyerreceive → logistics steps → confirm_goods → success. Raises ``KeyError`` for an unknown id.
        """
        return self._state.advance(order_id, self.now())

    def advance_refund(self, refund_id: str) -> str | int:
        """Move an after-sales case one step as the seller would and return its status.

        Taobao ``refundStatus``: 10 → 100 (refundType 1, refund only) or 10 → 20 (seller agrees to a return) →
        30 (returned) → 100. 1688: waitselleragree → refundsuccess (``refund``) or waitbuyersend
        (``returnRefund``) → waitsellerreceive → refundsuccess.
        """
        return self._state.advance_refund(refund_id, self.now())

    def change_price(self, order_id: str, amount: int | Decimal | str) -> None:
        """Change what an order costs, as a seller would (fen for Taobao, yuan for 1688), and push the change."""
        self._state.change_price(order_id, amount, self.now())

    def tick(self, seconds: float) -> None:
        """Advance simulated time: clock-driven order steps and push redeliveries that fall due happen."""
        if seconds < 0:
            raise ValueError(f"tick() moves time forward only, got {seconds}")
        self._offset += seconds
        self._state.progress(self.now())

    # ------------------------------------------------------------------ the request pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve(scope, receive, send, self._respond, self._courier if self.auto_deliver else None)

    async def _courier(self) -> None:
        """Under a lifespan with ``auto_deliver``: deliver the pushes that are due, for as long as the server runs."""
        assert self.auto_deliver is not None
        await courier(lambda client: self.deliver_pending(client), self.auto_deliver, self.callback_transport)

    async def _respond(self, request: Request) -> tuple[Answer | None, float]:
        """Answer one request; ``None`` means: drop the connection."""
        route, path_params = self._router.match(request.method, request.path)
        if route is None:
            allowed = self._router.allowed(request.path)
            if not allowed:
                return self._log(request, self._error(404, 404, f"no such path: {request.path}"), None), self.clock()
            text = f"{request.method} not allowed on {request.path}; allowed: {', '.join(allowed)}"
            answer = self._error(405, 405, text, headers=(("Allow", ", ".join(allowed)),))
            return self._log(request, answer, None), self.clock()
        fired = self._faults.fire(request.method, request.path)
        self.faults_fired.update(f.kind for f in fired.faults)
        wall = self.clock() + fired.skew
        for delay in fired.latencies:
            await anyio.sleep(delay)
        primary = fired.primary
        if primary is not None and primary.kind in BEFORE:
            return self._log(request, fault_answer(primary, self._error), primary.kind), wall
        answer = (
            self._authenticate(request, route, wall) or self._limit() or self._dispatch(request, route, path_params)
        )
        if primary is not None:
            if primary.kind == "drop_after":
                return self._log(request, None, primary.kind), wall
            answer = mangle(answer, primary, self._rng)
        return self._log(request, answer, fired.label), wall

    def _authenticate(self, request: Request, route: Route, wall: float) -> Answer | None:
        refusal = authenticate(
            request,
            route.auth,
            wall,
            credentials=self.credentials,
            tolerance=self.timestamp_tolerance,
            unit=self.timestamp_unit,
            strict=self.strict,
            nonces=self._nonces,
        )
        return None if refusal is None else self._error(401, 401, refusal)

    def _limit(self) -> Answer | None:
        if self.rate_limit is None:
            return None
        wait = self._bucket.take(self.clock(), self.rate_limit, self.burst)
        if wait is None:
            return None
        return self._error(
            429,
            429,
            f"rate limit exceeded: {self.rate_limit:g} requests/s (burst {self.burst}); retry after {wait}s",
            (("retry-after", str(wait)),),
        )

    def _dispatch(self, request: Request, route: Route, path_params: dict[str, str]) -> Answer:
        contract = self._contract.operation(route.key)
        try:
            params = read_params(request, path_params, contract, RULE_FIELDS)
        except BusinessError as exc:
            return self._business(route, exc)
        now = self.now()
        self._state.progress(now)
        if route.create:
            self._create_calls += 1
        try:
            data = route.handler(Context(params, self._state, now, self.strict))
        except BusinessError as exc:
            return self._business(route, as_documented(exc, contract, self.strict))
        if route.envelope == "code-msg-only":
            return Answer(200, dumps({"code": 0, "msg": _OK_MSG}), code=0)
        return Answer(200, self._envelope(self.success_code, _OK_MSG, data), code=self.success_code)

    def _business(self, route: Route, error: BusinessError) -> Answer:
        if route.envelope == "code-msg-only":
            return Answer(200, dumps({"code": error.code, "msg": error.msg}), code=error.code)
        return self._error(error.status, error.code, error.msg)

    def _log(self, request: Request, answer: Answer | None, fault: str | None) -> Answer | None:
        status, code = (None, None) if answer is None else (answer.status, answer.code)
        self.request_log.append(LoggedRequest(request.method, request.path, status, code, fault))
        return answer

    def _envelope(self, code: int, msg: str, data: object = None) -> bytes:
        return dumps(
            {
                "requestId": f"{self._rng.getrandbits(128):032x}",
                "code": code,
                "developId": self.develop_id,
                "msg": msg,
                "data": data,
            }
        )

    def _error(self, status: int, code: int, msg: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
        return Answer(status, self._envelope(code, msg), headers=headers, code=code)

    def _emit(self, message_type: str, body: dict[str, object], platform: int, at: float) -> None:
        message = PushMessage.build(message_type, body, platform, at)
        self.messages.append(message)
        if self.callback_url is not None:
            self._outbox.add(message, self.callback_url, at)
