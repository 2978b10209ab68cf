"""The one async pipeline: limit, sign, send, retry, unwrap the envelope into a typed result or a typed error.

Every endpoint coroutine, the ``request()`` escape hatch and the sync facade end up in :meth:`Core.call`.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import attrs
import httpx

from . import _types
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    HTTPStatusError,
    MalformedResponseError,
    OutcomeUnknownError,
    PandaPonError,
    RateLimitError,
    ResponseValidationError,
    excerpt,
)
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy, decide, parse_retry_after
from ._signing import BaseSigner, HeaderSigner, mask_key
from ._types import as_list, as_object

if TYPE_CHECKING:
    import cattrs

    from ._endpoint import Endpoint
    from ._model import RequestModel

__all__ = ["ClientConfig", "Core", "RAW_RESPONSES"]

T = TypeVar("T")

log = logging.getLogger("pandapon")

#: Set by ``client.raw``: the core appends each final ``httpx.Response`` to the list found here.
RAW_RESPONSES: contextvars.ContextVar[list[httpx.Response] | None] = contextvars.ContextVar(
    "pandapon_raw_responses", default=None
)

#: How often (seconds) a successful response's Date header is compared with the local clock.
SKEW_CHECK_INTERVAL = 60.0

_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
_GET_HEADERS = {"accept": "application/json"}
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@attrs.frozen(repr=False, eq=False)  # internal; repr/eq generation costs import time
class ClientConfig:
    """Settings shared by a client and its ``with_options`` copies (all validated at construction)."""

    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    deadline: float | None
    success_codes: frozenset[int]
    auth_codes: frozenset[int]
    rate_limit_codes: frozenset[int]
    transient_codes: frozenset[int]
    path_overrides: Mapping[str, str]
    endpoint_costs: Mapping[str, float]
    retry_policy: RetryPolicy


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")


def _default(value: object) -> object:
    from decimal import Decimal  # only values json cannot encode get here

    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if attrs.has(type(value)):
        from ._converter import CONVERTER

        return CONVERTER.unstructure(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class _Prepared:
    """One attempt's request before it becomes an ``httpx.Request`` (the aiohttp fast path never builds one)."""

    __slots__ = ("content", "headers", "method", "timeouts", "url")

    def __init__(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str],
        content: bytes | None,
        timeouts: Mapping[str, float | None],
    ) -> None:
        self.method, self.url, self.headers, self.content, self.timeouts = method, url, headers, content, timeouts


_NO_DEADLINE = contextlib.nullcontext()

#: Returned by the fast unwrap when the answer needs the full treatment (errors, odd envelopes).
_MISS: Any = object()


def _cut(timeouts: Mapping[str, float | None], remaining: float) -> dict[str, float | None]:
    """Cut every timeout to the time left before the call's deadline."""
    remaining = max(0.001, remaining)
    return {k: remaining if v is None else min(v, remaining) for k, v in timeouts.items()}


def _running_on_asyncio() -> bool:
    try:
        import sniffio
    except ImportError:  # not a dependency of anyio >= 4.11; trio needs it, so without it only asyncio can run
        import asyncio  # already loaded if it is running; not imported eagerly (import time)

        try:
            return asyncio.current_task() is not None
        except RuntimeError:
            return False
    try:
        return sniffio.current_async_library() == "asyncio"
    except sniffio.AsyncLibraryNotFoundError:
        return False


def default_transport() -> httpx.AsyncBaseTransport:
    """aiohttp on asyncio when installed (faster under concurrency), else httpcore; ``PANDAPON_TRANSPORT`` overrides."""
    choice = os.environ.get("PANDAPON_TRANSPORT", "auto").strip().lower()
    if choice not in ("auto", "aiohttp", "httpcore"):
        raise ConfigurationError(f"PANDAPON_TRANSPORT must be auto, aiohttp or httpcore, got {choice!r}")
    if choice != "httpcore":
        on_asyncio = _running_on_asyncio()
        if choice == "aiohttp" and not on_asyncio:
            raise ConfigurationError("PANDAPON_TRANSPORT=aiohttp needs asyncio; trio uses httpcore")
        if on_asyncio:
            try:
                from ._aiohttp import AiohttpTransport

                return AiohttpTransport(limit=100)
            except ImportError:
                if choice == "aiohttp":
                    raise ConfigurationError("PANDAPON_TRANSPORT=aiohttp needs: pip install 'pandapon[fast]'") from None
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=32)
    return httpx.AsyncHTTPTransport(limits=limits)


class _Shared:
    """The transport shared by a core and its ``with_options`` twins, created on first use (no I/O before)."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None) -> None:
        self.transport = transport
        self.closed = False
        self.next_skew_check = 0.0

    def get(self) -> httpx.AsyncBaseTransport:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new one")
        if self.transport is None:
            self.transport = default_transport()
        return self.transport

    async def aclose(self) -> None:
        self.closed = True
        transport, self.transport = self.transport, None
        if transport is not None:
            await transport.aclose()


class Core:
    """Executes endpoints. One per client; ``with_options`` copies share the connection pool and limiter."""

    def __init__(
        self,
        *,
        config: ClientConfig,
        signer: httpx.Auth,
        query_signer: httpx.Auth,
        rate_limiter: RateLimiter,
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        converter: cattrs.Converter | None = None,
    ) -> None:
        self.config = config
        self.signer = signer
        self.query_signer = query_signer
        self.rate_limiter = rate_limiter
        self.http_client = http_client
        self._shared = _Shared(transport)
        self._converter = converter
        self._urls: dict[str, httpx.URL] = {}
        self._timeout_ext = config.timeout.as_dict()
        self._key_hint = mask_key(getattr(signer, "access_key", ""))
        from decimal import Decimal  # here rather than at `import pandapon`: about a millisecond

        self._parse_float = Decimal

    def with_config(self, config: ClientConfig) -> Core:
        """Return a core that shares this one's connections, signers and limiter, with other settings."""
        twin = Core(
            config=config,
            signer=self.signer,
            query_signer=self.query_signer,
            rate_limiter=self.rate_limiter,
            http_client=self.http_client,
            transport=None,
            converter=self._converter,
        )
        twin._shared = self._shared
        twin._urls = self._urls
        return twin

    @property
    def converter(self) -> cattrs.Converter:
        """The converter (cattrs is imported on first use, keeping ``import pandapon`` light)."""
        if self._converter is None:
            from ._converter import CONVERTER

            self._converter = CONVERTER
        return self._converter

    async def aclose(self) -> None:
        """Close the connection pool this core (and its twins) send through, if the SDK created it."""
        await self._shared.aclose()

    # ------------------------------------------------------------------ building

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self.config.base_url.rstrip("/") + "/" + path.lstrip("/"))
        return url

    def _prepare(
        self,
        endpoint: Endpoint,
        wire: Mapping[str, object] | None,
        params: Mapping[str, object] | None,
        presign: HeaderSigner | None = None,
    ) -> _Prepared:
        path = self.config.path_overrides.get(endpoint.operation_id, endpoint.path)
        query: dict[str, str] = {}
        content: bytes | None = None
        if wire is not None:
            if endpoint.path_params:
                fields = dict(wire)
                for name in endpoint.path_params:
                    path = path.replace("{" + name + "}", httpx.URL(str(fields.pop(name))).raw_path.decode())
                wire = fields
            if endpoint.location == "body":
                content = _dumps(wire)
            else:
                query.update((k, _query_value(v)) for k, v in wire.items() if v is not None)
        if params:
            query.update((k, _query_value(v)) for k, v in params.items() if v is not None)
        url = self._url(path)
        if query:
            url = url.copy_merge_params(query)
        headers = _JSON_HEADERS if content is not None else _GET_HEADERS
        if presign is not None:
            # The default signer's headers go in at construction: cheaper than setting them one by one later.
            headers = {**headers, **presign.headers()}
        return _Prepared(endpoint.method, url, headers, content, self._timeout_ext)

    def _build(
        self,
        endpoint: Endpoint,
        wire: Mapping[str, object] | None,
        params: Mapping[str, object] | None,
        presign: HeaderSigner | None = None,
    ) -> httpx.Request:
        return self._request(self._prepare(endpoint, wire, params, presign))

    def _request(self, prepared: _Prepared) -> httpx.Request:
        if self.http_client is not None:
            return self.http_client.build_request(
                prepared.method, prepared.url, content=prepared.content, headers=prepared.headers
            )
        return httpx.Request(
            prepared.method,
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            extensions={"timeout": prepared.timeouts},
        )

    # ------------------------------------------------------------------ sending

    async def _send_once(self, request: httpx.Request, auth: httpx.Auth, *, presigned: bool = False) -> httpx.Response:
        if self.http_client is not None:
            return await self.http_client.send(request, auth=auth)
        if presigned:
            return await self._transport_send(request)
        if isinstance(auth, BaseSigner):
            auth.sign(request)
            return await self._transport_send(request)
        flow = auth.async_auth_flow(request)
        request = await flow.__anext__()
        while True:
            response = await self._transport_send(request)
            try:
                request = await flow.asend(response)
            except StopAsyncIteration:
                return response

    async def _transport_send(self, request: httpx.Request) -> httpx.Response:
        response = await self._shared.get().handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    # ------------------------------------------------------------------ the pipeline

    async def call(
        self,
        endpoint: Endpoint,
        request: RequestModel | Mapping[str, object] | None,
        *,
        params: Mapping[str, object] | None = None,
    ) -> Any:
        """Execute ``endpoint`` with ``request`` and return the structured ``data``.

        Raises:
            PandaPonError: a subclass for every failure (see :mod:`pandapon._exceptions`).
        """
        if endpoint.reconcile is None:
            return await self._call(endpoint, request, params)
        try:
            return await self._call(endpoint, request, params)
        except OutcomeUnknownError as exc:
            found = await self._reconcile(endpoint, exc)
            if found is None:
                raise
            return found

    async def _reconcile(self, endpoint: Endpoint, error: OutcomeUnknownError) -> Any:
        """Look up the result of a write whose outcome is unknown by its natural key; ``None`` when not found."""
        rec = endpoint.reconcile
        assert rec is not None
        value = (error.body or {}).get(rec.key)
        if value is None or value == "":
            return None
        from ._endpoint import Endpoint  # loaded with the generated resources, not at `import pandapon`

        lookup = Endpoint(
            operation_id=rec.operation_id,
            method=rec.method,
            path=rec.path,
            location=rec.location,
            result=_types.JSON,
            idempotent=True,
        )
        try:
            data = await self._call(lookup, {rec.param: value}, None)
        except PandaPonError as exc:
            log.warning("could not reconcile %s by %s=%r: %s", endpoint.operation_id, rec.key, value, exc)
            error.reconciliation = f"Looking it up by {rec.key}={value!r} with {rec.operation_id} failed: {exc}"
            return None
        rows: object = data
        for key in rec.items_path:
            mapping = as_object(rows)
            rows = mapping.get(key) if mapping is not None else None
        for item in as_list(rows):
            row = as_object(item)
            if row is not None and str(row.get(rec.key)) == str(value):
                log.warning(
                    "%s: the outcome was unknown (%s); found the result by %s=%r, not creating it again",
                    endpoint.operation_id,
                    type(error.cause).__name__,
                    rec.key,
                    value,
                )
                return row
        error.reconciliation = (
            f"Looked it up by {rec.key}={value!r} with {rec.operation_id}: not found (it may still appear)."
        )
        return None

    async def _call(
        self,
        endpoint: Endpoint,
        request: RequestModel | Mapping[str, object] | None,
        params: Mapping[str, object] | None,
    ) -> Any:
        if self._shared.closed:
            raise ClientClosedError("the client is closed; create a new one")
        wire: Mapping[str, object] | None
        if request is None or isinstance(request, Mapping):
            wire = request
        else:  # a RequestModel (the model bases load with the models, not at `import pandapon`)
            wire = self.converter.unstructure(request)
        config = self.config
        auth = self.query_signer if endpoint.auth == "query-sign" else self.signer
        cost = config.endpoint_costs.get(endpoint.operation_id, 1.0)
        deadline_at = None if config.deadline is None else time.monotonic() + config.deadline
        presign = auth if type(auth) is HeaderSigner and self.http_client is None else None
        # On the aiohttp transport with the default signer, a clean success never builds httpx objects.
        fast_send = getattr(self._shared.get(), "send_raw", None) if presign is not None else None
        attempt = 0
        skew_retried = False
        while True:
            offset_before = self.clock_offset
            prepared = self._prepare(endpoint, wire, params, presign)
            if deadline_at is not None:
                prepared.timeouts = _cut(prepared.timeouts, deadline_at - time.monotonic())
            http_request = None if fast_send is not None else self._request(prepared)
            if http_request is not None and deadline_at is not None and self.http_client is not None:
                self._cut_timeout(http_request, deadline_at - time.monotonic())
            started = time.perf_counter()
            failure: PandaPonError
            status: int | None = None
            retry_after: float | None = None
            transient = False
            sending = False
            response: httpx.Response | None = None
            code, raw_headers, body = 0, list[tuple[bytes, bytes]](), b""
            try:
                # No cancel scope at all without a deadline: it costs a few microseconds per call.
                scope = (
                    _NO_DEADLINE if deadline_at is None else anyio.fail_after(max(0.0, deadline_at - time.monotonic()))
                )
                with scope:
                    await self.rate_limiter.acquire(cost)
                    sending = True
                    if fast_send is not None:
                        code, raw_headers, body = await fast_send(
                            prepared.method, str(prepared.url), prepared.headers, prepared.content, prepared.timeouts
                        )
                    else:
                        assert http_request is not None
                        response = await self._send_once(http_request, auth, presigned=presign is not None)
            except httpx.TransportError as exc:
                failure = self._connection_error(prepared.method, prepared.url, exc)
                request_sent = not isinstance(exc, _NOT_SENT)
            except TimeoutError:
                where = "while sending" if sending else "while waiting for the rate limiter"
                failure = APITimeoutError(
                    f"{endpoint.method} {prepared.url.path}: the call's deadline of {config.deadline:g}s ran out "
                    f"{where}",
                    method=endpoint.method,
                    url=str(prepared.url),
                    request_sent=sending,
                )
                raise self._final(endpoint, wire, failure, request_sent=sending) from None
            else:
                if response is None:
                    if 200 <= code < 300 and RAW_RESPONSES.get() is None:
                        result = self._fast_unwrap(endpoint, body)
                        if result is not _MISS:
                            self._log_attempt(prepared, code, started, attempt)
                            if self._skew_check_due():
                                dates = [v for k, v in raw_headers if k.lower() == b"date"]
                                self._observe_date(dates[-1].decode("latin-1") if dates else None)
                            return result
                    # Anything but a clean success goes the full way, with real httpx objects for the errors.
                    response = httpx.Response(code, headers=raw_headers, content=body, request=self._request(prepared))
                self._log_attempt(prepared, response.status_code, started, attempt)
                raw = RAW_RESPONSES.get()
                if self._skew_check_due():
                    self._observe_clock(response)
                try:
                    result = self._unwrap(endpoint, response)
                except AuthenticationError:
                    # A rejected timestamp: correct the clock from the server's Date header and retry once.
                    self._observe_clock(response)
                    if skew_retried or abs(self.clock_offset - offset_before) <= 2:
                        raise
                    skew_retried = True
                    log.warning(
                        "the platform refused the request's credentials and its clock differs from ours by "
                        "%.0fs; retrying once with the corrected timestamp",
                        self.clock_offset,
                    )
                    continue
                except (RateLimitError, HTTPStatusError, APIError) as exc:
                    failure = exc
                    status = response.status_code
                    request_sent = True
                    if isinstance(exc, RateLimitError):
                        retry_after = exc.retry_after
                        status = 429
                        pause = getattr(self.rate_limiter, "pause", None)
                        if retry_after is not None and pause is not None:
                            await pause(retry_after)
                    elif isinstance(exc, APIError):
                        transient = exc.code in config.transient_codes
                        if not transient:
                            raise
                else:
                    if raw is not None:
                        raw.append(response)
                    return result
            decision = decide(
                attempt=attempt,
                max_retries=config.max_retries,
                idempotent=endpoint.idempotent,
                request_sent=request_sent,
                status=status,
                retry_after=retry_after,
                transient_code=transient,
                policy=config.retry_policy,
            )
            if decision.retry and deadline_at is not None and time.monotonic() + decision.delay >= deadline_at:
                decision = attrs.evolve(decision, retry=False, reason="the deadline leaves no time for a retry")
            if not decision.retry:
                if (
                    isinstance(failure, RateLimitError)
                    and retry_after is not None
                    and retry_after > config.retry_policy.max_retry_after
                ):
                    raise failure
                raise self._final(endpoint, wire, failure, request_sent=request_sent)
            log.info(
                "retrying %s %s in %.2fs (attempt %d of %d): %s",
                endpoint.method,
                prepared.url.path,
                decision.delay,
                attempt + 2,
                config.max_retries + 1,
                decision.reason,
            )
            await anyio.sleep(decision.delay)
            attempt += 1

    def _log_attempt(self, prepared: _Prepared, status: int, started: float, attempt: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s in %.1f ms (attempt %d, key %s)",
                prepared.method,
                prepared.url.path,
                status,
                (time.perf_counter() - started) * 1000,
                attempt + 1,
                self._key_hint,
            )

    def _skew_check_due(self) -> bool:
        """Whether to compare the server's ``Date`` with our clock now (at most every ``SKEW_CHECK_INTERVAL``)."""
        now = time.monotonic()
        if now < self._shared.next_skew_check:
            return False
        self._shared.next_skew_check = now + SKEW_CHECK_INTERVAL
        return True

    @property
    def clock_offset(self) -> float:
        """Seconds the signer adds to the local clock (estimated from the server's ``Date`` header)."""
        return float(getattr(self.signer, "clock_offset", 0.0))

    def _observe_clock(self, response: httpx.Response) -> bool:
        """Update the signers' clock offset from ``Date``; return whether it changed by more than 2 s."""
        dates = response.headers.get_list("date")
        return self._observe_date(dates[-1] if dates else None)  # a front server may add its own Date first

    def _observe_date(self, date: str | None) -> bool:
        if date is None or not hasattr(self.signer, "clock_offset"):
            return False
        import email.utils

        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return False
        # Date has a one-second resolution: take the middle of the second, ignore differences under 2 s.
        estimate = server + 0.5 - time.time()
        offset = estimate if abs(estimate) > 2 else 0.0
        changed = abs(offset - self.clock_offset) > 2
        if changed:
            for signer in (self.signer, self.query_signer):
                if hasattr(signer, "clock_offset"):
                    setattr(signer, "clock_offset", offset)  # noqa: B010 - any httpx.Auth may opt in
            log.info("server clock differs from ours by %.1fs; signing with that offset", offset)
        return changed

    def _cut_timeout(self, request: httpx.Request, remaining: float) -> None:
        request.extensions["timeout"] = _cut(request.extensions.get("timeout") or self._timeout_ext, remaining)

    def _final(
        self, endpoint: Endpoint, wire: Mapping[str, object] | None, failure: PandaPonError, *, request_sent: bool
    ) -> PandaPonError:
        """Turn the last failure into what the caller sees: an outcome-unknown error for risky writes."""
        maybe_done = request_sent and (
            isinstance(failure, APIConnectionError)
            or (isinstance(failure, HTTPStatusError) and failure.status_code >= 500)
        )
        if endpoint.idempotent or not maybe_done:
            return failure
        if isinstance(failure, APIConnectionError):
            url = failure.url
        else:
            assert isinstance(failure, APIResponseError)
            url = str(failure.response.request.url)
        return OutcomeUnknownError(
            f"{endpoint.operation_id} ({endpoint.method} {httpx.URL(url).path}) may or may not have taken effect: "
            f"{failure}. It was not retried because it is not idempotent; look the result up before trying again.",
            operation=endpoint.operation_id,
            method=endpoint.method,
            url=url,
            body=wire if endpoint.location == "body" else None,
            cause=failure,
        )

    @staticmethod
    def _connection_error(method: str, url: httpx.URL, exc: httpx.TransportError) -> APIConnectionError:
        sent = not isinstance(exc, _NOT_SENT)
        kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        what = "timed out" if kind is APITimeoutError else "failed"
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        error = kind(
            f"{method} {url.path} {what} ({detail}); "
            + ("the request may have reached the server" if sent else "the request was not sent"),
            method=method,
            url=str(url),
            request_sent=sent,
        )
        error.__cause__ = exc
        return error

    # ------------------------------------------------------------------ the envelope

    def _result(self, endpoint: Endpoint, data: object) -> Any:
        """``data`` as the endpoint returns it: as decoded (raw JSON, or null), else structured into its model."""
        target = endpoint.result
        if target is None or target is _types.JSON or data is None:
            return data
        return self.converter.structure(data, target)

    def _fast_unwrap(self, endpoint: Endpoint, body: bytes) -> Any:
        """The result of a clean success, or ``_MISS`` when the answer needs :meth:`_unwrap` (and its errors)."""
        try:
            envelope = as_object(json.loads(body, parse_float=self._parse_float)) if body else None
        except ValueError:
            return _MISS
        if envelope is None or envelope.get("code") not in self.config.success_codes:
            return _MISS
        data = envelope.get("data")
        verdict = as_object(data)
        if verdict is not None and verdict.get("success") is False:
            return _MISS
        try:
            return self._result(endpoint, data)
        except Exception:  # the slow path structures again and raises the typed error
            return _MISS

    def _unwrap(self, endpoint: Endpoint, response: httpx.Response) -> Any:
        status = response.status_code
        body = response.content
        payload: object = None
        parse_error: ValueError | None = None
        try:
            payload = json.loads(body, parse_float=self._parse_float) if body else None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            parse_error = exc
        envelope = as_object(payload)
        if envelope is not None and "code" not in envelope:
            envelope = None
        request_id = _str_or_none(envelope.get("requestId")) if envelope else None
        where = f"{endpoint.method} {response.request.url.path}"
        if not 200 <= status < 300:
            self._raise_status(where, response, envelope, request_id)
        if envelope is None:
            ctype = response.headers.get("content-type", "none")
            if parse_error is not None or not body:
                got = "an empty body" if not body else f"content-type {ctype}: {excerpt(body, 80)!r}"
                problem = "not JSON"
            else:
                got = f"{type(payload).__name__} {excerpt(body, 80)!r}"
                problem = "JSON without a 'code' key"
            raise MalformedResponseError(
                f"{where}: expected a PandaPon envelope {{requestId, code, msg, data}}, got {problem}: {got}",
                response=response,
                errors=[f"$: expected an envelope object, got {problem}"],
                request_id=request_id,
            )
        code = envelope.get("code")
        if code not in self.config.success_codes:
            self._raise_code(where, response, envelope, request_id)
        data = envelope.get("data")
        verdict = as_object(data)
        if verdict is not None and verdict.get("success") is False:
            # Some calls report a business failure inside data (e.g. 1688 receivegoods, preview).
            inner = verdict.get("errorCode") or verdict.get("code")
            text = verdict.get("errorInfo") or verdict.get("errorMsg") or verdict.get("message")
            raise APIError(
                f"{where}: the platform answered code {code} but data.success is false: "
                f"errorCode={inner!r} {text!r} (requestId {request_id})",
                response=response,
                code=_int_or_str(inner),
                msg=_str_or_none(text),
                request_id=request_id,
            )
        try:
            return self._result(endpoint, data)
        except Exception as exc:  # cattrs raises grouped errors; map every one to a typed message
            from ._converter import structure_errors

            errors = structure_errors(exc, "$.data")
            raise ResponseValidationError(
                f"{where}: the response does not fit {getattr(endpoint.result, '__name__', endpoint.result)}: "
                + "; ".join(errors[:5])
                + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
                + f" (requestId {request_id})",
                response=response,
                errors=errors,
                request_id=request_id,
            ) from None

    def _raise_status(
        self, where: str, response: httpx.Response, envelope: dict[str, Any] | None, request_id: str | None
    ) -> None:
        status = response.status_code
        msg = _str_or_none(envelope.get("msg")) if envelope else None
        code = _int_or_str(envelope.get("code")) if envelope else None
        said = f": {msg}" if msg else f": {excerpt(response.content, 120)!r}" if response.content else ""
        rid = f" (requestId {request_id})" if request_id else ""
        if status in (401, 403):
            raise AuthenticationError(
                f"{where}: HTTP {status}{said}{rid}. Check PANDAPON_ACCESS_KEY / PANDAPON_ACCESS_SECRET, the "
                "signer and the machine's clock.",
                response=response,
                code=code,
                msg=msg,
                request_id=request_id,
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers)
            wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
            raise RateLimitError(
                f"{where}: HTTP 429 rate limited{said}{wait}{rid}",
                response=response,
                retry_after=retry_after,
                code=code,
                msg=msg,
                request_id=request_id,
            )
        raise HTTPStatusError(f"{where}: HTTP {status}{said}{rid}", response=response, request_id=request_id)

    def _raise_code(
        self, where: str, response: httpx.Response, envelope: dict[str, Any], request_id: str | None
    ) -> None:
        raw_code = envelope.get("code")
        code = _int_or_str(raw_code)
        msg = _str_or_none(envelope.get("msg"))
        text = f"{where}: the platform answered code {code!r} ({msg!r}), expected one of {sorted(self.config.success_codes)}"
        if request_id:
            text += f" (requestId {request_id})"
        error: APIResponseError
        if raw_code in self.config.auth_codes:
            error = AuthenticationError(
                text + ". Check the access key, secret, user id and the machine's clock.",
                response=response,
                code=code,
                msg=msg,
                request_id=request_id,
            )
        elif raw_code in self.config.rate_limit_codes:
            error = RateLimitError(
                text,
                response=response,
                retry_after=parse_retry_after(response.headers),
                code=code,
                msg=msg,
                request_id=request_id,
            )
        else:
            error = APIError(text, response=response, code=code, msg=msg, request_id=request_id)
        raise error


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _int_or_str(value: object) -> int | str | None:
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)
