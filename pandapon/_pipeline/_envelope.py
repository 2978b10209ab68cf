"""Envelope reading: one parse of the body into the typed result, or the typed error that says what came back.

A clean success is the first branch; every other answer (HTTP errors, business codes, bodies that are not an
envelope, data that does not fit its model) becomes an :class:`~pandapon.APIResponseError` with the response.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .. import _types
from .._exceptions import (
    APIError,
    AuthenticationError,
    HTTPStatusError,
    MalformedResponseError,
    RateLimitError,
    ResponseValidationError,
    excerpt,
)
from .._retry import parse_retry_after
from .._types import as_object

if TYPE_CHECKING:
    import cattrs
    import httpx

    from .._endpoint import Endpoint
    from .._options import ClientOptions
    from .._wire import Answer, Prepared
    from ._observe import Recorder

__all__ = ["EnvelopeReader"]


def envelope_code(body: bytes) -> object:
    """The envelope's ``code`` in ``body`` for a log line (``"-"`` when the body is no envelope); never raises."""
    try:
        envelope = as_object(json.loads(body)) if body else None
    except (ValueError, RecursionError):
        return "-"
    return "-" if envelope is None else envelope.get("code", "-")


def _text(body: bytes) -> str:
    """``body`` as text: UTF-8 when it starts like a JSON object does in UTF-8 (``{`` then no NUL byte, so not
    UTF-16/32, and no BOM), else the encoding JSON's rules detect (what ``json.loads`` of bytes does)."""
    if body[:1] == b"{" and body[1:2] != b"\x00":
        return body.decode("utf-8", "surrogatepass")
    return body.decode(json.detect_encoding(body), "surrogatepass")


#: Results whose structure hook returns a value of exactly that type unchanged (see pandapon._converter).
_SCALARS = frozenset({bool, str, int})


def _exactly(data: object, target: Any) -> bool:
    """``data`` already is a ``bool``/``str``/``int`` result as is: the converter would hand it back unchanged."""
    return type(data) is target and target in _SCALARS


def _member(code: object, codes: frozenset[int]) -> bool:
    """``code in codes`` for any decoded JSON value (lists are unhashable; ``true`` is not ``1``)."""
    return not isinstance(code, (bool, list, dict)) and code in codes


class EnvelopeReader:
    """Reads answers for one client's settings (its success, auth and rate-limit codes).

    Args:
        options: the client's settings.
        converter: returns the cattrs converter (imported on first use).
    """

    def __init__(self, options: ClientOptions, converter: Callable[[], cattrs.Converter]) -> None:
        from decimal import Decimal  # here rather than at `import pandapon`: about a millisecond

        self._success = options.success_codes
        self._auth = options.auth_codes
        self._rate = options.rate_limit_codes
        self._converter = converter
        decoder = json.JSONDecoder(parse_float=Decimal)  # one decoder, not one per json.loads call
        self._decode, self._scan = (
            decoder.decode,
            cast("Callable[[str, int], tuple[object, int]]", vars(decoder)["scan_once"]),
        )

    def read(self, endpoint: Endpoint[Any], request: Prepared, answer: Answer, seen: Recorder | None = None) -> Any:
        """The endpoint's result from ``answer``, or raise the typed error it amounts to; a success's envelope is
        handed to ``seen``, the call's observation, if any (for its ``code`` and ``requestId``)."""
        body = answer.body
        try:
            payload: object = self._loads(body) if body else None
            problem = None
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, absurd nesting
            payload, problem = None, exc
        envelope = as_object(payload)
        if 200 <= answer.status < 300 and envelope is not None and _member(envelope.get("code"), self._success):
            data = envelope.get("data")
            verdict = as_object(data)
            if verdict is None or verdict.get("success") is not False:
                if seen is not None:
                    seen.envelope = envelope
                target = endpoint.result
                if target is None or target is _types.JSON or data is None or _exactly(data, target):
                    return data
                try:
                    return self._converter().structure(data, target)
                except Exception as exc:  # cattrs raises grouped errors; map every one to a typed message
                    raise self._not_fitting(endpoint, request, answer, envelope, exc) from None
        self._raise(endpoint, request, answer, payload, problem)

    def _loads(self, body: bytes) -> object:
        """``json.loads`` with ``Decimal`` numbers; an envelope object with nothing after it is scanned directly
        (what ``JSONDecoder.decode`` does, minus its whitespace matching), anything else goes the usual way."""
        text = _text(body)
        if text[:1] == "{":
            try:
                value, end = self._scan(text, 0)
            except StopIteration:  # a value missing inside: the usual way raises the JSONDecodeError
                pass
            else:
                if end == len(text):
                    return value
        return self._decode(text)

    def _raise(
        self, endpoint: Endpoint[Any], request: Prepared, answer: Answer, payload: object, problem: Exception | None
    ) -> Any:
        envelope = as_object(payload)
        if envelope is not None and "code" not in envelope:
            envelope = None
        request_id = _str_or_none(envelope.get("requestId")) if envelope else None
        response = answer.to_httpx(request)
        where = f"{endpoint.method} {request.url.path}"
        if not 200 <= answer.status < 300:
            raise self._status_error(where, response, envelope, request_id)
        if envelope is None:
            body = answer.body
            if problem is not None or not body:
                ctype = answer.header(b"content-type") or "none"
                got = "an empty body" if not body else f"content-type {ctype}: {excerpt(body, 80)!r}"
                what = "not JSON" if not isinstance(problem, RecursionError) else "JSON nested too deeply to read"
            else:
                got = f"{type(payload).__name__} {excerpt(body, 80)!r}"
                what = "JSON without a 'code' key"
            raise MalformedResponseError(
                f"{where}: expected a PandaPon envelope {{requestId, code, msg, data}}, got {what}: {got}",
                response=response,
                errors=[f"$: expected an envelope object, got {what}"],
                request_id=request_id,
            )
        code = envelope.get("code")
        if not _member(code, self._success):
            raise self._code_error(where, response, envelope, request_id)
        verdict = as_object(envelope.get("data")) or {}
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

    def _not_fitting(
        self, endpoint: Endpoint[Any], request: Prepared, answer: Answer, envelope: dict[str, Any], exc: Exception
    ) -> ResponseValidationError:
        from .._converter import structure_errors

        request_id = _str_or_none(envelope.get("requestId"))
        errors = (
            ["$.data: nested too deeply to structure"]
            if isinstance(exc, RecursionError)
            else structure_errors(exc, "$.data")
        )
        name = getattr(endpoint.result, "__name__", endpoint.result)
        return ResponseValidationError(
            f"{endpoint.method} {request.url.path}: the response does not fit {name}: "
            + "; ".join(errors[:5])
            + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
            + f" (requestId {request_id})",
            response=answer.to_httpx(request),
            errors=errors,
            request_id=request_id,
        )

    @staticmethod
    def _status_error(
        where: str, response: httpx.Response, envelope: dict[str, Any] | None, request_id: str | None
    ) -> Exception:
        status = response.status_code
        msg = _str_or_none(envelope.get("msg")) if envelope else None
        code = _int_or_str(envelope.get("code")) if envelope else None
        said = f": {msg}" if msg else f": {excerpt(response.content, 120)!r}" if response.content else ""
        rid = f" (requestId {request_id})" if request_id else ""
        if status in (401, 403):
            return AuthenticationError(
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
            return RateLimitError(
                f"{where}: HTTP 429 rate limited{said}{wait}{rid}",
                response=response,
                retry_after=retry_after,
                code=code,
                msg=msg,
                request_id=request_id,
            )
        return HTTPStatusError(f"{where}: HTTP {status}{said}{rid}", response=response, request_id=request_id)

    def _code_error(
        self, where: str, response: httpx.Response, envelope: dict[str, Any], request_id: str | None
    ) -> Exception:
        raw_code = envelope.get("code")
        code = _int_or_str(raw_code)
        msg = _str_or_none(envelope.get("msg"))
        text = f"{where}: the platform answered code {code!r} ({msg!r}), expected one of {sorted(self._success)}"
        if request_id:
            text += f" (requestId {request_id})"
        if _member(raw_code, self._auth):
            return AuthenticationError(
                text + ". Check the access key, secret, user id and the machine's clock.",
                response=response,
                code=code,
                msg=msg,
                request_id=request_id,
            )
        if _member(raw_code, self._rate):
            return RateLimitError(
                text,
                response=response,
                retry_after=parse_retry_after(response.headers),
                code=code,
                msg=msg,
                request_id=request_id,
            )
        return APIError(text, response=response, code=code, msg=msg, request_id=request_id)


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _int_or_str(value: object) -> int | str | None:
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)
