"""What generated sync resources build on: a :class:`Runner` (the sync client) and :class:`SyncResource`.

Kept apart from :mod:`pandapon._sync` so that generated modules never import the sync client, its portal or
``concurrent.futures``: the async client loads the same modules and pays for none of that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

__all__ = ["Runner", "SyncResource"]

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")


class Runner(Protocol):
    """What the sync client offers its resources: run a coroutine, or iterate, on its loop's async client."""

    def _run(self, fn: Callable[[Any], Awaitable[T]], /) -> T: ...

    def _iterate(self, make: Callable[[Any], AsyncIterator[T]], /) -> Iterator[T]: ...


class SyncResource(Generic[A]):
    """Base of generated sync resources: each method delegates to its async twin ``A`` through the runner.

    Args:
        runner: the sync client.
        resolve: finds the async twin on the loop's ``AsyncPandaPon`` (``lambda c: c.taobao.orders``).
    """

    def __init__(self, runner: Runner, resolve: Callable[[Any], A]) -> None:
        self._runner = runner
        self._resolve = resolve

    def _call(self, fn: Callable[Concatenate[A, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        resolve = self._resolve
        return self._runner._run(lambda c: fn(resolve(c), *args, **kwargs))

    def _iter(
        self, fn: Callable[Concatenate[A, P], AsyncIterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Iterator[T]:
        resolve = self._resolve
        return self._runner._iterate(lambda c: fn(resolve(c), *args, **kwargs))
