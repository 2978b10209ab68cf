"""The connections of one client: a transport per event loop, made on first use there and closed with its loop."""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import anyio

from .._backend import register_for_fork, run_in_worker_thread, running_loop, running_on_asyncio
from .._exceptions import ClientClosedError, WrongEventLoopError

if TYPE_CHECKING:
    from .._options import ClientOptions
    from .._transport import Transport

__all__ = ["Connection"]


def _import(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        importlib.import_module(name)


class Connection:
    """The transports, one per event loop, each made on first use there (no I/O before), and whether the client
    was closed.

    Connections belong to the event loop they were made on: a client used again under a new loop (a second
    ``asyncio.run``, a new trio run, one test's loop after another's) gets new ones there. The old loop's are
    closed as that loop shuts down (an async generator the loop finalizes: ``asyncio.run``, ``anyio.run`` and
    ``trio.run`` all do), or when the client is closed. A transport or ``http_client`` the caller gave is one object
    bound to one loop: using it from another raises :class:`WrongEventLoopError`.

    After ``os.fork()`` the child makes its own, even on a loop it inherited: the parent's transports hold the
    parent's sockets (two processes on one keep-alive connection read each other's answers). A transport the caller
    gave is the caller's: make it in the child.
    """

    def __init__(self, options: ClientOptions) -> None:
        self._options = options
        self._given = options.transport is not None or options.http_client is not None
        #: loop -> (transport, the SDK's User-Agent for its engine)
        self._by_loop: dict[object, tuple[Transport, str]] = {}
        self._keepers: dict[object, AsyncGenerator[None, None]] = {}
        self._inherited: list[object] = []
        self.closed = False
        register_for_fork(self)

    def _after_fork_in_child(self) -> None:
        """Forget the parent's transports, unclosed: closing a TLS connection would write to the parent's session.

        Their keepers stay referenced: finalized now, one would close the transport this child makes for its loop.
        """
        if not self._given and self._by_loop:
            self._inherited += [*self._by_loop.values(), *self._keepers.values()]
            self._by_loop, self._keepers = {}, {}

    @property
    def cold(self) -> bool:
        """No transport for the running loop yet: the next call opens one (see :meth:`open`)."""
        return not self.closed and running_loop() not in self._by_loop

    async def open(self, *, in_thread: bool = True) -> None:
        """Make the running loop's transport, importing its engine and the converter first, in a worker thread
        unless ``in_thread`` is false (the sync facade's loop, which no one else shares).

        Those imports take tens of milliseconds (aiohttp alone about as long as httpx); done on a shared event
        loop they would block every other task for that long on the first call.
        """
        loop = running_loop()
        if loop in self._by_loop or self.closed:
            return
        from .. import _transport

        on_asyncio = running_on_asyncio()
        # anyio's backend too: the SDK's first use of anyio (a retry's sleep, a deadline) would import it, about as
        # long as aiohttp, on the loop.
        wanted = ["pandapon._converter", "anyio._backends._asyncio" if on_asyncio else "anyio._backends._trio"]
        engine = None
        if not self._given:
            engine = _transport.default_engine()
            wanted.append(_transport.ENGINE_MODULES[engine])
        missing = tuple(m for m in wanted if m not in sys.modules)
        if missing and in_thread:
            await run_in_worker_thread(_import, missing, on_asyncio=on_asyncio)
        elif missing:
            _import(missing)
        if loop in self._by_loop or self.closed:  # another task opened it (or the client closed) meanwhile
            return
        self._make(loop, engine)
        if not self._given and loop is not None:
            keeper = self._keepers[loop] = self._keeper(loop)
            await keeper.asend(None)  # started here, so this loop finalizes it when it shuts down

    async def _keeper(self, loop: object) -> AsyncGenerator[None, None]:
        """Closes ``loop``'s transport when the loop finalizes its async generators (at its shutdown)."""
        try:
            yield
        finally:
            self._keepers.pop(loop, None)
            made = self._by_loop.pop(loop, None)
            if made is not None:
                with anyio.CancelScope(shield=True):
                    await made[0].aclose()

    def _make(self, loop: object, engine: str | None) -> tuple[Transport, str]:
        from .. import _transport

        o = self._options
        transport: Transport
        if self._given:
            if self._by_loop:
                [(first, _)] = self._by_loop.items()
                raise WrongEventLoopError(
                    "this client was given its own transport= or http_client=, which belongs to the event loop "
                    f"it was first used on ({_describe(first)}); it is now used on another ({_describe(loop)}). "
                    "Create the client (and its transport) inside the loop that uses it, or leave transport= and "
                    "http_client= out: the SDK then makes connections for each loop itself."
                )
            if o.http_client is not None:
                from .._transport._httpx import HttpxClientTransport

                transport = HttpxClientTransport(o.http_client)
            else:
                assert o.transport is not None  # one of the two, or self._given is false
                transport = _transport.adapt(o.transport)
        else:
            for old in [k for k in self._by_loop if getattr(k, "is_closed", lambda: False)()]:
                del self._by_loop[old]  # a loop closed without finalizing its generators: its sockets went with it
                self._keepers.pop(old, None)
            transport = _transport.default_transport(
                o.max_connections, o.max_keepalive, o.keepalive_expiry, engine=engine
            )
        made = self._by_loop[loop] = (transport, _transport.user_agent(transport))
        return made

    def current(self) -> tuple[Transport, str]:
        """The running loop's transport and User-Agent (made now if :meth:`open` did not run on this loop)."""
        loop = running_loop()
        made = self._by_loop.get(loop)
        if made is None:
            if self.closed:
                raise ClientClosedError("the client is closed; create a new one")
            made = self._make(loop, None)
        return made

    async def aclose(self) -> None:
        """Close the running loop's transport; another loop's is closed there if that loop still runs."""
        self.closed = True
        loop = running_loop()
        keeper = self._keepers.pop(loop, None)
        made = self._by_loop.pop(loop, None)
        others, self._by_loop = self._by_loop, {}
        self._keepers.clear()
        for other, (transport, _) in others.items():
            if self._given:  # the caller's own transport: closed with the client, as on its own loop
                await transport.aclose()
            elif getattr(other, "is_running", lambda: False)():
                import asyncio

                asyncio.run_coroutine_threadsafe(transport.aclose(), other)  # type: ignore[arg-type]
        if made is not None:
            await made[0].aclose()
        if keeper is not None:
            await keeper.aclose()


def _describe(loop: object) -> str:
    return "none" if loop is None else f"{type(loop).__module__}.{type(loop).__qualname__} at {id(loop):#x}"
