"""Transports: one protocol, ``send(prepared) -> Answer``, with adapters for httpx and aiohttp.

Every adapter maps every error of its library, body-decoding errors included, into pandapon's typed tree:
:class:`~pandapon.APIConnectionError` / :class:`~pandapon.APITimeoutError` (with ``request_sent``) when no usable
answer came, :class:`~pandapon.MalformedResponseError` when an answer came whose body cannot be decoded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .._backend import running_on_asyncio
from .._exceptions import ConfigurationError
from ._limits import DEFAULT_KEEPALIVE_EXPIRY, DEFAULT_MAX_CONNECTIONS, HTTPCORE_MAX_CONNECTIONS

if TYPE_CHECKING:
    import httpx

    from .._wire import Answer, Prepared

__all__ = [
    "DEFAULT_KEEPALIVE_EXPIRY",
    "DEFAULT_MAX_CONNECTIONS",
    "ENGINE_MODULES",
    "HTTPCORE_MAX_CONNECTIONS",
    "Transport",
    "adapt",
    "default_engine",
    "default_transport",
    "engine_of",
    "user_agent",
]


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


def default_engine() -> str:
    """``"aiohttp"`` on asyncio, ``"httpcore"`` on trio; ``PANDAPON_TRANSPORT`` (``auto``, ``aiohttp``, ``httpcore``)
    chooses. Call it from the event loop that will send."""
    choice = os.environ.get("PANDAPON_TRANSPORT", "auto").strip().lower()
    if choice not in ("auto", "aiohttp", "httpcore"):
        raise ConfigurationError(f"PANDAPON_TRANSPORT must be auto, aiohttp or httpcore, got {choice!r}")
    if choice == "httpcore":
        return "httpcore"
    if running_on_asyncio():
        return "aiohttp"
    if choice == "aiohttp":
        raise ConfigurationError("PANDAPON_TRANSPORT=aiohttp needs asyncio; trio uses httpcore")
    return "httpcore"


#: The module each engine's adapter lives in (its import is what a first call would otherwise pay on the loop).
ENGINE_MODULES = {"aiohttp": "pandapon._transport._aiohttp", "httpcore": "pandapon._transport._httpx"}


def default_transport(
    max_connections: int | None = None,
    max_keepalive: int | None = None,
    keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
    *,
    engine: str | None = None,
) -> Transport:
    """The default engine's pooled transport (:func:`default_engine` unless ``engine`` is given).

    Args:
        max_connections: the most connections open at once (``None``: 100 on aiohttp, 16 on httpcore).
        max_keepalive: the most idle connections kept (``None``: as many as ``max_connections``; ``0``: none).
        keepalive_expiry: seconds an idle connection is kept.
    """
    if (engine or default_engine()) == "aiohttp":
        from ._aiohttp import AiohttpTransport

        return AiohttpTransport(
            max_connections=max_connections or DEFAULT_MAX_CONNECTIONS,
            max_keepalive=max_keepalive,
            keepalive_expiry=keepalive_expiry,
        )
    from ._httpx import HttpxTransport

    return HttpxTransport.pooled(
        max_connections=max_connections or HTTPCORE_MAX_CONNECTIONS,
        max_keepalive=max_keepalive,
        keepalive_expiry=keepalive_expiry,
    )


def engine_of(transport: object) -> str:
    """``name/version`` of the HTTP library behind ``transport`` (its ``engine`` attribute, else its class name)."""
    engine = getattr(transport, "engine", None)
    return engine if isinstance(engine, str) and engine else type(transport).__name__


def user_agent(transport: object) -> str:
    """The SDK's ``User-Agent``: ``pandapon/<version> (python <x.y>; <engine>/<version>)``."""
    import sys

    from .._version import __version__

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"pandapon/{__version__} (python {python}; {engine_of(transport)})"
