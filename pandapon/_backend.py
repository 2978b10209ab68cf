"""Which event loop the caller runs on: its library (sniffio when present; it is not a dependency of anyio >= 4.11)
and its identity (connections are made per loop)."""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

__all__ = ["ForkAware", "register_for_fork", "run_in_worker_thread", "running_loop", "running_on_asyncio"]


def running_on_asyncio() -> bool:
    """True inside an asyncio task; False on trio or outside any event loop."""
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


def running_loop() -> object:
    """The running event loop (asyncio) or run (trio's token); ``None`` outside both. About 0.2 µs."""
    asyncio = sys.modules.get("asyncio")  # not imported eagerly: if it is not loaded, no asyncio loop runs
    if asyncio is not None:
        loop = asyncio._get_running_loop()
        if loop is not None:
            return loop
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
    return None


async def run_in_worker_thread(fn: Callable[..., T], *args: object, on_asyncio: bool) -> T:
    """``fn(*args)`` in a worker thread, through the event loop's own means rather than ``anyio.to_thread``: the
    first ``anyio.to_thread`` call imports anyio's backend module on the loop (tens of milliseconds), which is
    what the SDK's first call moves off it."""
    if on_asyncio:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
    import trio

    return await trio.to_thread.run_sync(fn, *args)


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None: ...


_registered: weakref.WeakSet[Any] = weakref.WeakSet()


def register_for_fork(obj: ForkAware) -> None:
    """Call ``obj._after_fork_in_child()`` in every child forked from now on (as long as ``obj`` lives): the one
    fork hook of the SDK's per-process state (connections, Redis clients)."""
    _registered.add(obj)


def _after_fork_in_child() -> None:
    for obj in list(_registered):
        obj._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
