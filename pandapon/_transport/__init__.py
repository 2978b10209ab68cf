"""Transports: one protocol, ``send(prepared) -> Answer``, with adapters for httpx and aiohttp.

Every adapter maps every error of its library, body-decoding errors included, into pandapon's typed tree:
:class:`~pandapon.APIConnectionError` / :class:`~pandapon.APITimeoutError` (with ``request_sent``) when no usable
answer came, :class:`~pandapon.MalformedResponseError` when an answer came whose body cannot be decoded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .._exceptions import ConfigurationError

if TYPE_CHECKING:
    import httpx

    from .._wire import Answer, Prepared

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_MAX_KEEPALIVE", "Transport", "adapt", "default_transport"]

#: The most connections the default transports open at once.
DEFAULT_MAX_CONNECTIONS = 100
#: Idle connections httpcore keeps alive (aiohttp keeps every idle one, up to ``DEFAULT_MAX_CONNECTIONS``).
DEFAULT_MAX_KEEPALIVE = 32


@runtime_checkable
class Transport(Protocol):
    """Sends one prepared request and returns its answer; pass one as ``transport=`` to use it."""

    async def send(self, request: Prepared) -> Answer:
        """Send ``request`` and return the status, headers and decoded body.

        Raises:
            APIConnectionError: no usable answer (``request_sent`` says whether it may have reached the server).
            MalformedResponseError: an answer came but its body could not be decoded.
        """
        ...

    async def aclose(self) -> None:
        """Close the connections this transport opened."""
        ...


def adapt(transport: httpx.AsyncBaseTransport | Transport) -> Transport:
    """A :class:`Transport` for ``transport``: itself when it is one, else the httpx adapter around it."""
    if callable(getattr(transport, "send", None)):
        return transport  # type: ignore[return-value]
    from ._httpx import HttpxTransport

    return HttpxTransport(transport)  # type: ignore[arg-type]


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


def default_transport() -> Transport:
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

                return AiohttpTransport(limit=DEFAULT_MAX_CONNECTIONS)
            except ImportError:
                if choice == "aiohttp":
                    raise ConfigurationError("PANDAPON_TRANSPORT=aiohttp needs: pip install 'pandapon[fast]'") from None
    import httpx

    from ._httpx import HttpxTransport

    limits = httpx.Limits(max_connections=DEFAULT_MAX_CONNECTIONS, max_keepalive_connections=DEFAULT_MAX_KEEPALIVE)
    return HttpxTransport(httpx.AsyncHTTPTransport(limits=limits))
