"""``FakePandaPon``: an in-memory PandaPon OpenAPI, served as an ASGI app.

It signs and checks like the platform (API notes §3–§5), answers every endpoint of the catalogue from seeded,
stateful data, pushes signed callbacks through an outbox, and misbehaves on request (faults). Use it in-process
with ``httpx.ASGITransport(app=fake)`` or serve it with uvicorn.
"""

from __future__ import annotations

import email.utils
import fnmatch
import hashlib
import hmac
import json
import math
import random
import string
import time
import urllib.parse
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, get_args

import anyio
import attrs
import httpx

from ._alibaba import TABLE as ALIBABA
from ._base import BusinessError, Context, Params, Route, dumps, is_object
from ._other import TABLE as OTHER
from ._push import Outbox, PushAttempt, PushMessage
from ._records import Order
from ._state import State
from ._taobao import TABLE as TAOBAO

if TYPE_CHECKING:
    from .._client import AsyncPandaPon
    from .._retry import RetryPolicy
    from .._sync import PandaPon

__all__ = ["INVENTED_RESPONSES", "FakeCredentials", "FakePandaPon", "Fault", "FaultKind", "LoggedRequest"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Endpoints whose response the catalogue does not document (``data`` unknown, or an object whose members are
#: unknown): the fake answers a small, plausible shape of its own. Change them when the real shape is known.
INVENTED_RESPONSES: tuple[str, ...] = (
    # Taobao goods: search rows and the GET "commodity inquiry" are unknown; batch/check's element members too.
    "POST /open/product/image/search",
    "POST /open/product/item/search",
    "POST /open/product/batch/check",
    "GET /open/product/source/get",
    # Taobao orders: create answers the order (with its 19-digit orderId); the rest are inferred endpoints.
    "POST /open/order",
    "GET /open/order/page",
    "POST /open/order/voucher/upload",
    "POST /open/order/cancel",
    "POST /open/order/pay",
    "GET /open/order/detail/get",
    # Taobao after-sales: list pages, message ids and the inferred calls.
    "POST /open/order/refund/queryList",
    "GET /open/order/refund/render/logistics",
    "POST /open/order/refund/submit/logistics",
    "POST /open/order/refund/submit/message",
    "POST /open/order/refund/submit",
    "POST /open/order/refund/message/queryList",
    "POST /open/order/refund/modify",
    # Taobao cart: every response is unknown (list grouped like the 1688 cart list).
    "POST /open/cart/create/order",
    "POST /open/cart/preview/order",
    "GET /open/cart/list",
    "POST /open/cart/delete",
    "POST /open/cart/add",
    "POST /open/cart/edit-quantity",
    # 1688 goods and marketing (marketing and picture search answer the keyword-search page).
    "POST /alibaba/product/openuid/decrypt",
    "POST /alibaba/product/image/query",
    "POST /alibaba/product/category/get",
    "POST /alibaba/product/productRecommendQuery",
    "POST /alibaba/product/productRelatedRecommendQuery",
    "POST /alibaba/product/global/keywords/query",
    "POST /alibaba/product/strict/keywords/query",
    "POST /alibaba/product/hotlist/query",
    # 1688 orders (previewbatch answers the single preview's shape; create answers upstream fastCreateOrder names).
    "POST /alibaba/order/batch/submit/to/pay",
    "POST /alibaba/order/create/previewbatch",
    "GET /alibaba/order/logistics/trace",
    "POST /alibaba/order/page",
    "POST /alibaba/order/create",
    # 1688 after-sales and cart.
    "POST /alibaba/refund/reason/list",
    "POST /alibaba/refund/voucher/upload",
    "POST /alibaba/refund/goods/return",
    "GET /alibaba/refund/logistics/company/list",
    "POST /alibaba/cart/create/order",
    "POST /alibaba/cart/delete",
    "POST /alibaba/cart/preview/order",
    "POST /alibaba/cart/add",
    # Foundations and warehouse logistics.
    "POST /open/address/get",
    "POST /open/pp/logistics/itemLogisticsPrice",
    "POST /open/pp/logistics/orderRenderFreight",
    "POST /open/pp/logistics/updateLogisticInfo",
    "POST /open/pp/logistics/orderBookingFreight",
)

FaultKind = Literal[
    "latency",
    "http_500",
    "http_503",
    "http_429",
    "drop_before",
    "drop_after",
    "truncated",
    "html",
    "garbage",
    "wrong_content_type",
    "clock_skew",
]
_KINDS: tuple[str, ...] = get_args(FaultKind)
#: Kinds that combine with others: they change how a request is handled, not what is answered.
_MODIFIERS = ("latency", "clock_skew")
#: Kinds answered before the request reaches auth and state.
_BEFORE = ("http_500", "http_503", "http_429", "drop_before", "html")

_JSON = "application/json;charset=UTF-8"
_OK_MSG = "成功"
_ALNUM = string.ascii_letters + string.digits


@attrs.frozen(repr=False)
class FakeCredentials:
    """The one developer account the fake accepts."""

    access_key: str
    access_secret: str
    user_id: str

    def __repr__(self) -> str:
        return f"FakeCredentials(access_key={self.access_key[:4]!r}…, user_id={self.user_id!r})"


def _check_times(instance: object, attribute: object, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"Fault.times must be >= 1 or None (forever), got {value}")


@attrs.frozen
class Fault:
    """A misbehaviour to inject; deterministic for a given seed and request order.

    Attributes:
        kind: ``latency`` (sleep ``delay`` s, then answer normally); ``http_500`` / ``http_503`` (that status with
            an error envelope; 503 carries ``Retry-After``); ``http_429`` (429 with ``Retry-After: retry_after``);
            ``drop_before`` (close the connection without an answer before auth or state); ``html`` (200 with an
            HTML error page, before state); ``drop_after`` (apply the request to state, then close without an
            answer); ``truncated`` (the real answer cut in half); ``garbage`` (200 with random bytes instead of the
            answer); ``wrong_content_type`` (the real answer as ``text/plain``); ``clock_skew`` (``delay`` seconds
            added to the fake's clock for the timestamp check and the ``Date`` header).
        path: the request path it applies to (``fnmatch`` pattern, e.g. ``"/open/order*"``); ``None``: any.
        method: the HTTP method it applies to; ``None``: any.
        times: how many requests it fires on before it is removed; ``None``: forever.
        probability: the chance of firing on a matching request, drawn from the fake's seeded generator.
        delay: seconds of latency, or of skew for ``clock_skew`` (may be negative).
        retry_after: the ``Retry-After`` seconds of ``http_429`` and ``http_503``.
    """

    kind: FaultKind = attrs.field(validator=attrs.validators.in_(_KINDS))
    path: str | None = None
    times: int | None = attrs.field(default=1, validator=_check_times)
    probability: float = attrs.field(default=1.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])
    delay: float = 0.0
    retry_after: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    method: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind == "latency" and self.delay < 0:
            raise ValueError(f"a latency fault needs delay >= 0, got {self.delay}")

    def matches(self, method: str, path: str) -> bool:
        """Tell whether the fault applies to a request."""
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


@attrs.define
class _Armed:
    fault: Fault
    remaining: int | None


@attrs.frozen
class LoggedRequest:
    """One request as the fake saw it.

    Attributes:
        method, path: what was asked.
        status: the HTTP status answered; ``None`` when the connection was dropped.
        code: the envelope's business code, when the answer was an envelope.
        fault: the fault kind that shaped the answer, if any.
    """

    method: str
    path: str
    status: int | None
    code: int | None
    fault: str | None = None


@attrs.frozen
class _Answer:
    status: int
    body: bytes
    content_type: str = _JSON
    headers: tuple[tuple[str, str], ...] = ()
    code: int | None = None


@attrs.frozen
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


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
        dedupe_seller_order_number: answer a repeated Taobao order create with the order first created under the
            same ``sellerOrderNumber``. Off by default: the platform publishes no server-side de-duplication, so
            the fake does not hide a client that creates twice.

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
        timestamp_unit: Literal["s", "ms", "auto"] = "auto",
        success_code: int = 200,
        step_interval: float | None = 3600.0,
        dedupe_seller_order_number: bool = False,
        redelivery_interval: float = 1800.0,
        max_redeliveries: int = 5,
        push_timeout: float = 1.0,
    ) -> None:
        if timestamp_unit not in ("s", "ms", "auto"):
            raise ValueError(f"timestamp_unit must be 's', 'ms' or 'auto', got {timestamp_unit!r}")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError(f"rate_limit must be > 0 requests per second or None, got {rate_limit}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst}")
        if step_interval is not None and step_interval <= 0:
            raise ValueError(f"step_interval must be > 0 seconds or None, got {step_interval}")
        if redelivery_interval < 0 or max_redeliveries < 0 or push_timeout <= 0:
            raise ValueError("redelivery_interval and max_redeliveries must be >= 0 and push_timeout > 0")
        setup = random.Random(f"pandapon-fake:{seed}:credentials")
        self.credentials = FakeCredentials(
            access_key=access_key or f"{setup.getrandbits(128):032x}",
            access_secret=access_secret or "".join(setup.choice(_ALNUM) for _ in range(32)),
            user_id=user_id or "2100" + "".join(str(setup.randint(0, 9)) for _ in range(9)),
        )
        self.seed = seed
        self.clock = clock
        self.timestamp_tolerance = timestamp_tolerance
        self.timestamp_unit = timestamp_unit
        self.success_code = success_code
        self.rate_limit = rate_limit
        self.burst = burst if burst is not None else (max(1, math.ceil(rate_limit)) if rate_limit else 1)
        self.develop_id = "10" + "".join(str(setup.randint(0, 9)) for _ in range(17))
        self._rng = random.Random(f"pandapon-fake:{seed}:runtime")
        self._offset = 0.0
        self._tokens = float(self.burst)
        self._bucket_at: float | None = None
        self._nonces: OrderedDict[str, float] = OrderedDict()
        self._nonce_capacity = 100_000
        self._faults: list[_Armed] = []
        self._create_calls = 0
        self._state = State(seed=seed, step_interval=step_interval, emit=self._emit)
        self._state.dedupe_seller_order_number = dedupe_seller_order_number
        self._outbox = Outbox(
            secret=self.credentials.access_secret,
            redelivery_interval=redelivery_interval,
            max_redeliveries=max_redeliveries,
            timeout=push_timeout,
        )
        self._routes: dict[tuple[str, str], Route] = {}
        self._param_routes: list[Route] = []
        for table in (TAOBAO, ALIBABA, OTHER):
            for entry in table.routes:
                if "{" in entry.path:
                    self._param_routes.append(entry)
                else:
                    self._routes[entry.method, entry.path] = entry
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
        return tuple(r.key for r in [*self._routes.values(), *self._param_routes])

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
        return tuple(armed.fault for armed in self._faults)

    def now(self) -> float:
        """Return the simulated time: ``clock()`` plus everything passed to :meth:`tick`."""
        return self.clock() + self._offset

    # ------------------------------------------------------------------ SDK clients wired to the fake

    def _signers(self) -> tuple[httpx.Auth, httpx.Auth]:
        from .._signing import HeaderSigner, QuerySigner

        c = self.credentials
        unit: Literal["s", "ms"] = "ms" if self.timestamp_unit == "ms" else "s"
        return (
            HeaderSigner(c.access_key, c.access_secret, c.user_id, timestamp_unit=unit, clock=self.clock),
            QuerySigner(c.access_key, c.access_secret, c.user_id, timestamp_unit=unit, clock=self.clock),
        )

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
        from .._client import AsyncPandaPon

        c = self.credentials
        signer, query_signer = self._signers()
        return AsyncPandaPon(
            c.access_key,
            c.access_secret,
            c.user_id,
            transport=httpx.ASGITransport(app=self),
            signer=signer,
            query_signer=query_signer,
            max_retries=max_retries,
            retry_policy=retry_policy,
            timeout=timeout,
            deadline=deadline,
        )

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
        from .._sync import PandaPon

        c = self.credentials
        signer, query_signer = self._signers()
        return PandaPon(
            c.access_key,
            c.access_secret,
            c.user_id,
            transport=httpx.ASGITransport(app=self),
            signer=signer,
            query_signer=query_signer,
            max_retries=max_retries,
            retry_policy=retry_policy,
            timeout=timeout,
            deadline=deadline,
            backend=backend,
        )

    # ------------------------------------------------------------------ test controls

    def inject(self, fault: Fault) -> None:
        """Arm a fault; faults are tried in injection order."""
        self._faults.append(_Armed(fault, fault.times))

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

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            raise RuntimeError(f"FakePandaPon serves HTTP only, got a {kind!r} connection")
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request = _Request(scope["method"].upper(), scope["path"], query, headers, b"".join(chunks))
        answer, wall = await self._respond(request)
        if answer is None:
            await _abort(send, receive)
            return
        date = email.utils.formatdate(wall, usegmt=True)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-type", answer.content_type.encode()),
                    (b"content-length", str(len(answer.body)).encode()),
                    (b"date", date.encode()),
                    *((k.encode(), v.encode()) for k, v in answer.headers),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ------------------------------------------------------------------ the request pipeline

    async def _respond(self, request: _Request) -> tuple[_Answer | None, float]:
        """Answer one request; ``None`` means: drop the connection."""
        route, path_params = self._match(request.method, request.path)
        if route is None:
            known = any(path == request.path for _, path in self._routes)
            status = 405 if known else 404
            text = f"{request.method} not allowed on {request.path}" if known else f"no such path: {request.path}"
            return self._log(request, self._error(status, status, text), None), self.clock()
        fired = self._fire(request)
        wall = self.clock() + sum(f.delay for f in fired if f.kind == "clock_skew")
        for fault in fired:
            if fault.kind == "latency":
                await anyio.sleep(fault.delay)
        primary = next((f for f in fired if f.kind not in _MODIFIERS), None)
        label = primary.kind if primary else (fired[0].kind if fired else None)
        if primary is not None and primary.kind in _BEFORE:
            return self._log(request, self._fault_answer(primary), primary.kind), wall
        answer = (
            self._authenticate(request, route, wall) or self._limit() or self._dispatch(request, route, path_params)
        )
        if primary is not None:
            if primary.kind == "drop_after":
                return self._log(request, None, primary.kind), wall
            answer = self._mangle(answer, primary)
        return self._log(request, answer, label), wall

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        found = self._routes.get((method, path))
        if found is not None:
            return found, {}
        for candidate in self._param_routes:
            if candidate.method != method:
                continue
            pattern = candidate.path.split("/")
            parts = path.split("/")
            if len(pattern) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern, parts, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    params[want[1:-1]] = got.strip()
                elif want != got:
                    break
            else:
                return candidate, params
        return None, {}

    def _log(self, request: _Request, answer: _Answer | None, fault: str | None) -> _Answer | None:
        self.request_log.append(
            LoggedRequest(
                request.method,
                request.path,
                None if answer is None else answer.status,
                None if answer is None else answer.code,
                fault,
            )
        )
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

    def _error(self, status: int, code: int, msg: str, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
        return _Answer(status, self._envelope(code, msg), headers=headers, code=code)

    # ------------------------------------------------------------------ auth

    def _authenticate(self, request: _Request, route: Route, wall: float) -> _Answer | None:
        h = request.headers
        needed: tuple[str, ...] = ("access-key", "timestamp", "nonce-str", "user-id", "signature")
        if route.auth == "query-sign":
            needed = ("access-key", "nonce-str", "user-id")
        for name in needed:
            if not h.get(name):
                return self._error(401, 401, f"missing header '{name}'")
        if route.auth == "query-sign":
            for name in ("timestamp", "sign"):
                if not request.query.get(name):
                    return self._error(401, 401, f"missing query parameter '{name}'")
            timestamp, given, what = request.query["timestamp"], request.query["sign"], "sign"
        else:
            timestamp, given, what = h["timestamp"], h["signature"], "signature"
        creds = self.credentials
        key = h["access-key"]
        if not hmac.compare_digest(key.encode("utf-8", "replace"), creds.access_key.encode()):
            return self._error(401, 401, "unknown access-key")
        if h["user-id"] != creds.user_id:
            return self._error(401, 401, f"user-id {h['user-id']!r} is not an account of this access-key")
        nonce = h["nonce-str"]
        text = key + timestamp + nonce + creds.access_secret
        expected = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
        if not hmac.compare_digest(given.strip().upper().encode("utf-8", "replace"), expected.encode()):
            return self._error(401, 401, f"{what} mismatch")
        seconds = self._timestamp_seconds(timestamp)
        if seconds is None:
            unit = {"s": "10-digit seconds", "ms": "13-digit milliseconds"}.get(
                self.timestamp_unit, "epoch seconds (10 digits) or milliseconds (13 digits)"
            )
            return self._error(401, 401, f"timestamp malformed: expected {unit}, got {timestamp[:20]!r}")
        if abs(wall - seconds) > self.timestamp_tolerance:
            return self._error(
                401,
                401,
                f"timestamp expired: {timestamp} is {seconds - wall:+.0f}s from server time, "
                f"more than the {self.timestamp_tolerance:g}s allowed",
            )
        self._forget_nonces(wall)
        if nonce in self._nonces:
            return self._error(401, 401, "nonce reused")
        self._nonces[nonce] = max(wall, seconds) + self.timestamp_tolerance
        if len(self._nonces) > self._nonce_capacity:
            self._nonces.popitem(last=False)
        return None

    def _timestamp_seconds(self, text: str) -> float | None:
        text = text.strip()
        if not text.isdigit():
            return None
        unit: str = self.timestamp_unit
        if unit == "auto":
            unit = {10: "s", 13: "ms"}.get(len(text), "?")
        if unit == "s":
            return float(text)
        if unit == "ms":
            return int(text) / 1000
        return None

    def _forget_nonces(self, now: float) -> None:
        while self._nonces:
            nonce, expiry = next(iter(self._nonces.items()))
            if expiry > now:
                break
            del self._nonces[nonce]

    # ------------------------------------------------------------------ rate limit

    def _limit(self) -> _Answer | None:
        if self.rate_limit is None:
            return None
        now = self.clock()
        if self._bucket_at is not None:
            self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._bucket_at) * self.rate_limit)
        self._bucket_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        wait = max(1, math.ceil((1 - self._tokens) / self.rate_limit))
        return self._error(
            429,
            429,
            f"rate limit exceeded: {self.rate_limit:g} requests/s (burst {self.burst}); retry after {wait}s",
            (("retry-after", str(wait)),),
        )

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, request: _Request, route: Route, path_params: dict[str, str]) -> _Answer:
        values: dict[str, object] = {k: v for k, v in request.query.items() if k not in ("timestamp", "sign")}
        if request.method != "GET" and request.body.strip():
            try:
                body: object = json.loads(request.body)
            except ValueError as exc:
                return self._business(route, BusinessError(400, f"the request body is not valid JSON: {exc}"))
            if not is_object(body):
                return self._business(route, BusinessError(400, "the request body must be a JSON object"))
            values.update(body)
        values.update(path_params)
        now = self.now()
        self._state.progress(now)
        if route.create:
            self._create_calls += 1
        try:
            data = route.handler(Context(Params(values), self._state, now))
        except BusinessError as exc:
            return self._business(route, exc)
        if route.envelope == "code-msg-only":
            return _Answer(200, dumps({"code": 0, "msg": _OK_MSG}), code=0)
        return _Answer(200, self._envelope(self.success_code, _OK_MSG, data), code=self.success_code)

    def _business(self, route: Route, error: BusinessError) -> _Answer:
        if route.envelope == "code-msg-only":
            return _Answer(200, dumps({"code": error.code, "msg": error.msg}), code=error.code)
        return self._error(200, error.code, error.msg)

    # ------------------------------------------------------------------ faults

    def _fire(self, request: _Request) -> list[Fault]:
        fired: list[Fault] = []
        primary_taken = False
        for armed in list(self._faults):
            fault = armed.fault
            if not fault.matches(request.method, request.path):
                continue
            if fault.kind not in _MODIFIERS and primary_taken:
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            fired.append(fault)
            primary_taken = primary_taken or fault.kind not in _MODIFIERS
            self.faults_fired[fault.kind] += 1
            if armed.remaining is not None:
                armed.remaining -= 1
                if armed.remaining == 0:
                    self._faults.remove(armed)
        return fired

    def _fault_answer(self, fault: Fault) -> _Answer | None:
        if fault.kind == "drop_before":
            return None
        if fault.kind == "http_500":
            return self._error(500, 500, "系统异常 (injected fault http_500)")
        if fault.kind == "http_503":
            return self._error(
                503, 503, "服务不可用 (injected fault http_503)", (("retry-after", str(fault.retry_after)),)
            )
        if fault.kind == "http_429":
            return self._error(
                429, 429, "rate limit exceeded (injected fault http_429)", (("retry-after", str(fault.retry_after)),)
            )
        page = (
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
            b"</h1></center><hr><center>nginx</center></body></html>"
        )
        return _Answer(200, page, content_type="text/html; charset=utf-8")

    def _mangle(self, answer: _Answer, fault: Fault) -> _Answer:
        if fault.kind == "truncated":
            return attrs.evolve(answer, body=answer.body[: len(answer.body) // 2], code=None)
        if fault.kind == "garbage":
            noise = bytes(self._rng.getrandbits(8) for _ in range(64))
            return _Answer(200, noise, content_type=_JSON)
        if fault.kind == "wrong_content_type":
            return attrs.evolve(answer, content_type="text/plain; charset=utf-8")
        return answer

    # ------------------------------------------------------------------ pushes

    def _emit(self, message_type: str, body: dict[str, object], platform: int, at: float) -> None:
        message = PushMessage.build(message_type, body, platform, at)
        self.messages.append(message)
        if self.callback_url is not None:
            self._outbox.add(message, self.callback_url, at)


async def _abort(send: Send, receive: Receive) -> None:
    """Close the connection without an answer.

    Under uvicorn the app's ``send`` is bound to the connection's request cycle, whose asyncio transport can be
    closed directly; the app then waits for the disconnect so the server does not try to answer 500. Elsewhere
    (``httpx.ASGITransport``) raising is the only way to fail the exchange: the client sees a
    ``httpx.RemoteProtocolError``, as when a real server drops the connection.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        close()
        with anyio.move_on_after(1.0):
            while (await receive())["type"] != "http.disconnect":
                pass
        return
    raise httpx.RemoteProtocolError("Server disconnected without sending a response (FakePandaPon fault).")
