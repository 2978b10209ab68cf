"""The pipeline: one short loop over the stages, for every endpoint, ``request()`` and the sync facade.

build → limiter.acquire → sign → transport.send → envelope.read → retry judgments. Each stage is a function or a
small object in its own module with explicit inputs; this loop only moves one attempt's data between them.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio
import attrs
import httpx

from .._exceptions import (
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    InvalidInputError,
    OutcomeUnknownError,
    PandaPonError,
    RateLimitError,
)
from .._retry import Facts, decide, facts_of, outcome_unknown, retry_for_skew
from .._signing import HeaderSigner, QuerySigner, mask_key, signing_step
from .._types import NOT_GIVEN
from .._validate import shown
from ._build import Builder, unstructurer
from ._connection import Connection
from ._deadline import Deadline
from ._envelope import EnvelopeReader, envelope_code
from ._per_call import CallOptions, PerCall, per_call
from ._reconcile import reconcile
from ._skew import Clock

if TYPE_CHECKING:
    import cattrs

    from .._endpoint import Endpoint
    from .._model import RequestModel
    from .._options import ClientOptions
    from .._ratelimit import RateLimiter
    from .._wire import Answer, Prepared
    from ._observe import Observation, Recorder

__all__ = ["RAW_RESPONSES", "Pipeline"]

T = TypeVar("T")

log = logging.getLogger("pandapon")

#: Set by ``client.raw``: the pipeline appends each final ``httpx.Response`` to the list found here.
RAW_RESPONSES: contextvars.ContextVar[list[httpx.Response] | None] = contextvars.ContextVar(
    "pandapon_raw_responses", default=None
)

_SIGNING = ("access_key", "access_secret", "user_id", "timestamp_unit", "signer", "query_signer")
_SENDING = ("transport", "http_client", "max_connections", "max_keepalive", "keepalive_expiry")


def _not_a_mapping(endpoint: Endpoint[Any], name: str, value: object) -> InvalidInputError:
    return InvalidInputError(
        f"{endpoint.operation_id}(): parameter {name!r} expected a mapping of the platform's field names to values, "
        f"got {shown(value)} ({type(value).__name__})",
        parameter=name,
    )


@functools.cache
def _converter() -> cattrs.Converter:
    from .._converter import CONVERTER  # cattrs loads on the first structured result, not at `import pandapon`

    return CONVERTER


def _observation(options: ClientOptions) -> Observation | None:
    """The client's observers, or ``None``: ``_observe`` and the event types load only for a client that has some."""
    if not (options.observers or options.on_request or options.on_response or options.on_retry):
        return None
    from ._observe import Observation

    return Observation(options)


class _Signing:
    """The signers, their pipeline steps and the clock they follow."""

    def __init__(self, options: ClientOptions) -> None:
        o = options
        self.signer = o.signer or HeaderSigner(
            o.access_key, o.access_secret, o.user_id, timestamp_unit=o.timestamp_unit
        )
        self.query_signer = o.query_signer or QuerySigner(
            o.access_key, o.access_secret, o.user_id, timestamp_unit=o.timestamp_unit
        )
        self.sign = signing_step(self.signer)
        self.query_sign = signing_step(self.query_signer)
        self.clock = Clock((self.signer, self.query_signer))
        self.key_hint = mask_key(o.access_key)


class Pipeline:
    """Executes endpoints for one client; ``with_options`` twins share what their options leave unchanged.

    Args:
        options: the client's settings.
    """

    def __init__(
        self,
        options: ClientOptions,
        *,
        signing: _Signing | None = None,
        limiter: RateLimiter | None = None,
        connection: Connection | None = None,
    ) -> None:
        from .._ratelimit import Unlimited

        self.options = options
        self._signing = signing or _Signing(options)
        self._limiter: RateLimiter = limiter or options.rate_limiter or Unlimited()
        self._connection = connection or Connection(options)
        #: A ``with_options`` twin borrows its parent's connections unless its options needed new ones.
        self.owns_connection = connection is None
        self._builder = Builder(
            options.base_url, options.path_overrides, options.timeout.as_dict(), options.default_headers
        )
        self._reader = EnvelopeReader(options, _converter)
        self._observation = _observation(options)  # None: nothing observes, the calls pay one test per stage
        self._warned: set[str] = set()  # inferred operations already warned about on this client

    def with_options(self, options: ClientOptions) -> Pipeline:
        """A pipeline with ``options`` that shares this one's signers, limiter and connections where unchanged."""
        old = self.options

        def same(names: tuple[str, ...]) -> bool:
            return all(getattr(old, n) is getattr(options, n) or getattr(old, n) == getattr(options, n) for n in names)

        return Pipeline(
            options,
            signing=self._signing if same(_SIGNING) else None,
            limiter=self._limiter if same(("rate_limiter",)) else None,
            connection=self._connection if same(_SENDING) else None,
        )

    @property
    def converter(self) -> cattrs.Converter:
        """The cattrs converter (imported on first use, keeping ``import pandapon`` light)."""
        return _converter()

    @property
    def clock_offset(self) -> float:
        """Seconds the signers add to the local clock (from the server's ``Date`` header)."""
        return self._signing.clock.offset

    async def open(self, *, in_thread: bool = True) -> None:
        """Load the engine and the converter (off the event loop unless ``in_thread`` is false) and make the
        transport; no I/O."""
        await self._connection.open(in_thread=in_thread)

    async def aclose(self) -> None:
        """Close the transport this pipeline (and the twins sharing it) sends through, if it made it: a twin that
        borrows its parent's leaves it open (the parent closes it)."""
        if self.owns_connection:
            await self._connection.aclose()

    async def call(
        self,
        endpoint: Endpoint[T],
        request: RequestModel | Mapping[str, object] | None,
        call_options: CallOptions | None = None,
        *,
        params: Mapping[str, object] | None = None,
    ) -> T:
        """Execute ``endpoint`` with ``request`` and return the envelope's ``data``, structured.

        ``call_options`` is the method's ``**options`` dict (see :mod:`._per_call`), usually empty.

        Raises:
            PandaPonError: a subclass for every failure (see :mod:`pandapon._exceptions`).
        """
        connection = self._connection
        if connection.closed:
            raise ClientClosedError("the client is closed; create a new one")
        if endpoint.confidence == "inferred" and endpoint.operation_id not in self._warned:
            self._warn_inferred(endpoint)
        if connection.cold:  # the first call on this event loop
            await connection.open()
        wire: Mapping[str, object] | None
        if request is None or isinstance(request, Mapping):
            wire = request
        elif attrs.has(cls := type(request)):  # a RequestModel (the model bases load with the models)
            wire = unstructurer(cls)(request)
        else:
            raise _not_a_mapping(endpoint, "body", request)
        if params is not None and not isinstance(params, Mapping):
            raise _not_a_mapping(endpoint, "params", params)
        per: PerCall | None = None
        if call_options:  # the default path pays for this one test only
            endpoint, wire, params, per = per_call(endpoint, wire, params, call_options)
        clock = Deadline(self.options.deadline if per is None or per.deadline is NOT_GIVEN else per.deadline)
        rec = None if self._observation is None else self._observation.start(endpoint)
        try:
            try:
                result = await self._attempts(endpoint, wire, params, clock, per, rec)
            except OutcomeUnknownError as error:
                result = await reconcile(endpoint, error, functools.partial(self._lookup, clock, per, rec))
        except BaseException as exc:  # a cancellation too: the observers see every call end
            if rec is not None:
                rec.end(exc)
            raise
        if rec is not None:
            rec.end(None)
        return cast("T", result)

    async def _lookup(
        self,
        clock: Deadline,
        per: PerCall | None,
        rec: Recorder | None,
        lookup: Endpoint[Any],
        query: Mapping[str, object],
    ) -> Any:
        """A reconciliation's lookup: the call's attempt loop on its deadline (extra_query was the write's)."""
        return await self._attempts(lookup, query, None, clock, per, rec)

    def _warn_inferred(self, endpoint: Endpoint[Any]) -> None:
        """Once per operation and client: say that its path is the SDK's proposal (unless overridden)."""
        self._warned.add(endpoint.operation_id)
        if endpoint.operation_id in self.options.path_overrides:
            return
        import warnings

        from .._exceptions import PandaPonInferredEndpointWarning

        op = endpoint.operation_id
        warnings.warn(
            f"{op} calls {endpoint.method} {endpoint.path}, a path PandaPon's docs do not publish (inferred from a "
            f"sibling endpoint). If the platform answers 404, fix it without a release: "
            f"path_overrides={{{op!r}: '/the/right/path'}}, or call client.request(...).",
            PandaPonInferredEndpointWarning,
            stacklevel=4,
        )

    async def _attempts(
        self,
        endpoint: Endpoint[Any],
        wire: Mapping[str, object] | None,
        params: Mapping[str, object] | None,
        deadline: Deadline,
        per: PerCall | None = None,
        rec: Recorder | None = None,
    ) -> Any:
        options, signing, connection = self.options, self._signing, self._connection
        sign = signing.query_sign if endpoint.auth == "query-sign" else signing.sign
        max_retries, timeouts, extra_headers = options.max_retries, self._builder.timeouts, None
        if per is not None:
            extra_headers = per.headers
            max_retries = max_retries if per.max_retries is None else per.max_retries
            timeouts = timeouts if per.timeouts is None else per.timeouts
        cost = options.endpoint_costs.get(endpoint.operation_id, 1.0)
        path, content, query = self._builder.wire(endpoint, wire)
        attempt = 0
        skew_retried = False
        while True:
            prepared = self._builder.prepare(endpoint.method, path, content, query, params)
            if extra_headers:
                prepared.headers.update(extra_headers)
            offset_before = signing.clock.offset
            started = time.perf_counter()
            sending = False
            failure: PandaPonError
            try:
                with deadline.scope():
                    await self._limiter.acquire(cost)
                    if rec is not None:
                        rec.limited(started)
                    transport, user_agent = connection.current()
                    prepared.headers.setdefault("user-agent", user_agent)
                    await sign(prepared)
                    prepared.timeouts = deadline.cut(timeouts)
                    if rec is not None and (pending := rec.request(prepared)) is not None:
                        await pending
                    sending = True
                    answer = await transport.send(prepared)
            except TimeoutError:  # the deadline's scope: the retry judgment below sees no time left
                where = "while sending" if sending else "while waiting for the rate limiter"
                failure = APITimeoutError(
                    f"{endpoint.method} {prepared.url.path}: the call's deadline of {deadline.seconds:g}s ran out "
                    f"{where}",
                    method=endpoint.method,
                    url=str(prepared.url),
                    request_sent=sending,
                )
            except PandaPonError as exc:
                failure = exc
            else:
                if log.isEnabledFor(logging.DEBUG):
                    self._log(prepared, answer, started, attempt)
                try:
                    result = self._reader.read(endpoint, prepared, answer, rec)
                except PandaPonError as exc:
                    failure = exc
                else:
                    if rec is not None and (pending := rec.response(prepared, None, answer.status)):
                        await pending
                    if signing.clock.due():
                        signing.clock.observe(answer.header(b"date"))
                    raw = RAW_RESPONSES.get()
                    if raw is not None:
                        raw.append(answer.to_httpx(prepared))
                    return result
            if rec is not None and (pending := rec.response(prepared, failure)) is not None:
                await pending
            facts = facts_of(failure, options.transient_codes)
            if isinstance(failure, AuthenticationError):
                # A rejected timestamp: correct the clock from the server's Date header and retry once.
                dates = failure.response.headers.get_list("date")
                signing.clock.observe(dates[-1] if dates else None)
                offset = signing.clock.offset
                if retry_for_skew(already_retried=skew_retried, offset_before=offset_before, offset_after=offset):
                    skew_retried = True
                    if rec is not None and (pending := rec.retry("clock skew corrected", 0, failure)):
                        await pending
                    log.warning(
                        "the platform refused the request's credentials and its clock differs from ours by "
                        "%.0fs; retrying once with the corrected timestamp",
                        offset,
                    )
                    continue
            pause = getattr(self._limiter, "pause", None)
            if isinstance(failure, RateLimitError) and facts.retry_after is not None and pause is not None:
                await pause(facts.retry_after)  # every call sharing the limiter waits together
            decision = decide(
                attempt=attempt,
                max_retries=max_retries,
                idempotent=endpoint.idempotent,
                request_sent=facts.request_sent,
                status=facts.status,
                retry_after=facts.retry_after,
                transient_code=facts.transient_code,
                policy=options.retry_policy,
                remaining=deadline.remaining(),
            )
            if not decision.retry:
                raise self._give_up(endpoint, wire, prepared, failure, facts)
            log.info(
                "retrying %s %s in %.2fs (attempt %d of %d): %s",
                endpoint.method,
                prepared.url.path,
                decision.delay,
                attempt + 2,
                max_retries + 1,
                decision.reason,
            )
            if rec is not None and (pending := rec.retry(decision.reason, decision.delay, failure)):
                await pending
            await anyio.sleep(decision.delay)
            attempt += 1

    @staticmethod
    def _give_up(
        endpoint: Endpoint[Any],
        wire: Mapping[str, object] | None,
        prepared: Prepared,
        failure: PandaPonError,
        facts: Facts,
    ) -> PandaPonError:
        """What the caller sees after the last attempt: an outcome-unknown error for a write that may have happened."""
        if not outcome_unknown(idempotent=endpoint.idempotent, facts=facts):
            return failure
        error = OutcomeUnknownError(
            f"{endpoint.operation_id} ({endpoint.method} {prepared.url.path}) may or may not have taken effect: "
            f"{failure}. It was not retried because it is not idempotent; look the result up before trying again.",
            operation=endpoint.operation_id,
            method=endpoint.method,
            url=str(prepared.url),
            body=wire if endpoint.location == "body" else None,
            cause=failure,
        )
        error.__cause__ = failure
        return error

    def _log(self, prepared: Prepared, answer: Answer, started: float, attempt: int) -> None:
        """The DEBUG line of one answer (the envelope is decoded a second time for it: DEBUG only)."""
        log.debug(
            "%s %s -> %s code=%s in %.1f ms (attempt %d, key %s)",
            prepared.method,
            prepared.url.path,
            answer.status,
            envelope_code(answer.body),
            (time.perf_counter() - started) * 1000,
            attempt + 1,
            self._signing.key_hint,
        )
