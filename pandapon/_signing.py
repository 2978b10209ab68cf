"""Request signers: ``httpx.Auth`` flows that add PandaPon's system headers or query signature.

The platform's signature text is not published (see the API notes, §4). The best-evidence scheme is::

    signature = UPPER(HEX(MD5(access_key + timestamp + nonce_str + access_secret)))

sent with the ``access-key``, ``timestamp``, ``nonce-str`` and ``user-id`` headers. Both signers are pure: no I/O,
a fresh timestamp and nonce on every call of :meth:`HeaderSigner.sign` (the core calls it once per attempt),
and the clock and nonce source are injectable. Any other ``httpx.Auth`` can replace them.
"""

from __future__ import annotations

import hashlib
import os
import string
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Literal

import httpx

if TYPE_CHECKING:
    from ._wire import Prepared

__all__ = ["SIGNATURE_HEADERS", "HeaderSigner", "QuerySigner", "mask_key", "random_nonce", "signing_step"]

#: The headers the default signers set on every attempt; ``default_headers`` and ``extra_headers`` may not set them.
SIGNATURE_HEADERS = frozenset({"access-key", "timestamp", "nonce-str", "user-id", "signature"})

_ALPHABET = string.ascii_letters + string.digits
# Maps every byte to an alphanumeric (256 = 4 x 62 + 8: a slight bias, still ~5.9 bits per character).
_BYTE_TO_ALNUM = bytes((_ALPHABET * 5)[:256], "ascii")


def random_nonce() -> str:
    """Return 32 random alphanumerics from the OS's CSPRNG (one ``os.urandom`` call, as ``secrets`` does; ~190 bits)."""
    return os.urandom(32).translate(_BYTE_TO_ALNUM).decode("ascii")


#: Headers httpx adds to a request by itself; a transport sets them again.
_TRANSPORT_HEADERS = frozenset({b"host", b"content-length", b"transfer-encoding"})


def mask_key(access_key: str) -> str:
    """Return a loggable form of an access key: its first four characters and a mask."""
    return access_key[:4] + "…" if access_key else ""


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


class BaseSigner(httpx.Auth):
    def __init__(
        self,
        access_key: str,
        access_secret: str,
        *,
        timestamp_unit: Literal["s", "ms"] = "s",
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = random_nonce,
    ) -> None:
        if timestamp_unit not in ("s", "ms"):
            raise ValueError(f"timestamp_unit must be 's' or 'ms', got {timestamp_unit!r}")
        self.access_key = access_key
        self._secret = access_secret
        self.timestamp_unit = timestamp_unit
        self.clock = clock
        self.nonce = nonce
        #: Seconds added to the local clock; the core adjusts it when the server's clock differs.
        self.clock_offset = 0.0

    def timestamp(self) -> str:
        """Return the current timestamp in the configured unit, corrected by :attr:`clock_offset`."""
        now = self.clock() + self.clock_offset
        return str(int(now * 1000)) if self.timestamp_unit == "ms" else str(int(now))

    def signature(self, timestamp: str, nonce: str) -> str:
        """Return the signature for one timestamp and nonce."""
        return _md5_upper(self.access_key + timestamp + nonce + self._secret)

    def sign(self, request: httpx.Request) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(access_key={mask_key(self.access_key)!r}, timestamp_unit={self.timestamp_unit!r})"
        )


class HeaderSigner(BaseSigner):
    """Sign a request with the five system headers (the default signer).

    Args:
        access_key: the developer's Access Key.
        access_secret: the paired Access Secret (never sent).
        user_id: the buyer (sub-)account the call acts for; sent, not signed.
        timestamp_unit: ``"s"`` (what working clients send; the default) or ``"ms"`` (what the docs show).
        clock: returns the current UTC time in seconds.
        nonce: returns a fresh nonce; 32 alphanumerics from ``os.urandom`` by default.
    """

    def __init__(
        self,
        access_key: str,
        access_secret: str,
        user_id: str,
        *,
        timestamp_unit: Literal["s", "ms"] = "s",
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = random_nonce,
    ) -> None:
        super().__init__(access_key, access_secret, timestamp_unit=timestamp_unit, clock=clock, nonce=nonce)
        self.user_id = user_id

    def headers(self) -> dict[str, str]:
        """Return the five system headers with a fresh timestamp and nonce."""
        timestamp = self.timestamp()
        nonce = self.nonce()
        return {
            "access-key": self.access_key,
            "timestamp": timestamp,
            "nonce-str": nonce,
            "user-id": self.user_id,
            "signature": self.signature(timestamp, nonce),
        }

    def sign(self, request: httpx.Request) -> None:
        """Set the system headers on ``request`` with a fresh timestamp and nonce."""
        request.headers.update(self.headers())


class QuerySigner(BaseSigner):
    """Sign a ``/open/pp/logistics/*`` request with ``timestamp`` and ``sign`` query parameters.

    The ``sign`` algorithm of this family is not published (API notes, §5). This default applies the header
    scheme's formula to the query pair (``sign = UPPER(HEX(MD5(access_key + timestamp + nonce + secret)))``),
    sends the nonce as ``nonce-str`` and the ``access-key`` / ``user-id`` headers too. Replace it with
    ``AsyncPandaPon(query_signer=...)`` once the real algorithm is known.
    """

    def __init__(
        self,
        access_key: str,
        access_secret: str,
        user_id: str,
        *,
        timestamp_unit: Literal["s", "ms"] = "s",
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = random_nonce,
    ) -> None:
        super().__init__(access_key, access_secret, timestamp_unit=timestamp_unit, clock=clock, nonce=nonce)
        self.user_id = user_id

    def signed(self, url: httpx.URL) -> tuple[httpx.URL, dict[str, str]]:
        """Return ``url`` with ``timestamp`` and ``sign`` set (replacing earlier ones), and the identity headers."""
        timestamp = self.timestamp()
        nonce = self.nonce()
        params = [(k, v) for k, v in url.params.multi_items() if k not in ("timestamp", "sign")]
        params += [("timestamp", timestamp), ("sign", self.signature(timestamp, nonce))]
        headers = {"access-key": self.access_key, "nonce-str": nonce, "user-id": self.user_id}
        return url.copy_with(params=params), headers

    def sign(self, request: httpx.Request) -> None:
        """Set ``timestamp`` and ``sign`` on the query (replacing earlier ones) and the identity headers."""
        request.url, headers = self.signed(request.url)
        request.headers.update(headers)


def signing_step(auth: httpx.Auth) -> Callable[[Prepared], Awaitable[None]]:
    """How the pipeline signs a prepared request with ``auth``, on every route (any transport, any client).

    The two built-in signers work on the prepared request directly. Any other ``httpx.Auth`` (a subclass that
    overrides ``sign`` included) is adapted once: its flow is driven to the request it yields, whose URL, headers
    and body replace the prepared ones, and is then closed. Flows that need a response (challenge-response
    schemes) are not supported: PandaPon signs each request on its own.
    """
    if isinstance(auth, HeaderSigner) and type(auth).sign is HeaderSigner.sign:
        header_signer = auth

        async def sign_headers(prepared: Prepared) -> None:
            prepared.headers.update(header_signer.headers())

        return sign_headers
    if isinstance(auth, QuerySigner) and type(auth).sign is QuerySigner.sign:
        query_signer = auth

        async def sign_query(prepared: Prepared) -> None:
            prepared.url, headers = query_signer.signed(prepared.url)
            prepared.headers.update(headers)

        return sign_query

    async def drive_flow(prepared: Prepared) -> None:
        request = prepared.to_httpx()
        flow = auth.async_auth_flow(request)
        try:
            signed = await flow.__anext__()
        finally:
            await flow.aclose()
        prepared.url = signed.url
        prepared.headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in signed.headers.raw
            if k.lower() not in _TRANSPORT_HEADERS
        }
        prepared.content = signed.content if signed.content or prepared.content is not None else None

    return drive_flow
