"""Bulk runs: one operation over many inputs, at most ``concurrency`` calls at a time (``client.bulk``).

Every item is one ordinary call of the operation, through the pipeline: the client's rate limiter, retry policy,
deadline and per-call options apply to it as to any call, and the run itself never retries or re-sends an item
(a non-idempotent call that ends in :class:`~pandapon.OutcomeUnknownError` is reported as that error).

Lifetime. The calls are tasks of an anyio task group, which must be left in the task that entered it, with no
``yield`` to a consumer in between (anyio's docs on task groups in async generators). So the async run is a context
manager whose exit cancels what is in flight and waits for it; iterating without ``async with`` raises at once. The
sync twin runs the same :meth:`BulkRun.run` as one task on the client's loop and pulls results in batches;
``close()``, ``with``, an exception or a ``break`` (the iterator is collected) cancels that task.
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

import anyio
import attrs
from anyio.abc import TaskGroup

from ._exceptions import BulkUsageError, InvalidInputError, PandaPonError
from ._types import fields_repr
from ._validate import check_bulk

__all__ = ["AsyncBulk", "Bulk", "BulkResult", "BulkRun"]

T = TypeVar("T")

Order = Literal["completion", "input"]
OnError = Literal["collect", "raise"]
#: How many items may be started ahead of the oldest one not yet yielded, per unit of concurrency, in input order.
REORDER_WINDOW = 4
_END = object()


@attrs.frozen(repr=False, eq=False)
class BulkResult(Generic[T]):
    """One item of a bulk run: its input and either the call's result or its typed error.

    Attributes:
        index: the item's position in the inputs (0-based).
        input: the item as given (a mapping of the operation's keyword arguments, or whatever was there instead).
        value: the call's result (``None`` when it failed).
        error: the :class:`~pandapon.PandaPonError` the call raised (``None`` when it succeeded); a malformed
            item is an :class:`~pandapon.InvalidInputError` and sent nothing.
    """

    index: int
    input: object
    value: T | None = None
    error: PandaPonError | None = None

    __repr__ = fields_repr

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error is None

    def unwrap(self) -> T:
        """Return the result, or raise the item's error."""
        if self.error is not None:
            raise self.error
        return cast("T", self.value)


class BulkRun(Generic[T]):
    """The engine of one run: :meth:`run` feeds the calls and sends results; :meth:`next` receives them.

    ``run`` and ``next`` may run in different tasks of the same loop (the sync twin does exactly that).
    """

    def __init__(
        self,
        inputs: Iterable[object] | AsyncIterable[object],
        *,
        concurrency: int,
        order: Order,
        on_error: OnError,
        options: Mapping[str, object],
        threaded: bool = False,
    ) -> None:
        check_bulk(concurrency, order, on_error)
        self._inputs, self._threaded = inputs, threaded
        self._concurrency, self._order, self._on_error = concurrency, order, on_error
        self._options = dict(options)
        self._failure: BaseException | None = None
        self._pending: dict[int, BulkResult[T]] = {}
        self._next_index = 0
        self.detached = False  #: set when the sync iterator is collected without being closed
        self.started = 0  #: items taken from the inputs so far
        self.in_flight = 0  #: calls being made right now
        self.max_in_flight = 0

    def open(self) -> None:
        """Make the stream the results go through (before :meth:`run` starts; :meth:`close` closes it)."""
        self._send, self._receive = anyio.create_memory_object_stream[BulkResult[T]](self._concurrency)

    def close(self) -> None:
        """Close the results' stream (after the run has ended or been cancelled)."""
        self._send.close()
        self._receive.close()

    async def run(self, call: Callable[..., Awaitable[T]]) -> None:
        """Call ``call(**item)`` for every item and send each result; a failure is kept for :meth:`next`.

        Returns when every result is sent (or the run stopped); cancelled, it cancels the calls in flight.
        """
        keywords = _Keywords.of(call)
        window = anyio.Semaphore(self._concurrency * (REORDER_WINDOW if self._order == "input" else 1))
        calls = anyio.Semaphore(self._concurrency)
        source = self._inputs
        iterator: Any = aiter(source) if isinstance(source, AsyncIterable) else iter(source)
        try:
            async with self._send, anyio.create_task_group() as tg:
                while True:
                    await window.acquire()
                    item = await self._take(iterator)
                    if item is _END:
                        break
                    tg.start_soon(self._one, call, keywords, self.started, item, window, calls, tg)
                    self.started += 1
        except Exception as exc:  # the inputs raised, or the operation raised something not a PandaPonError
            self._failure = self._failure or _single(exc)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                with anyio.CancelScope(shield=True):
                    await aclose()
            if self.detached:  # the sync iterator was collected: nobody will read what is left
                self.close()

    async def _take(self, iterator: Any) -> object:
        if isinstance(self._inputs, AsyncIterable):
            return await anext(iterator, _END)
        if self._threaded:  # the sync client: a slow or blocking input never stalls the loop
            return await anyio.to_thread.run_sync(next, iterator, _END, abandon_on_cancel=True)
        return next(iterator, _END)

    async def _one(
        self,
        call: Callable[..., Awaitable[T]],
        keywords: _Keywords | None,
        index: int,
        item: object,
        window: anyio.Semaphore,
        calls: anyio.Semaphore,
        tg: TaskGroup,
    ) -> None:
        try:
            kwargs = self._arguments(keywords, index, item)
            async with calls:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    result: BulkResult[T] = BulkResult(index, item, value=await call(**kwargs))
                finally:
                    self.in_flight -= 1
        except PandaPonError as exc:
            result = BulkResult(index, item, None, exc)
            if self._on_error == "raise":
                self._failure = self._failure or exc
                tg.cancel_scope.cancel()
                return
        if self._order == "completion":
            await self._send.send(result)
            window.release()
            return
        self._pending[index] = result
        if index != self._next_index:
            return  # an earlier item is still out; the task of the item next in order sends this one
        # Only this task sends now: the next index moves on after each send, and no other task holds it.
        while self._next_index in self._pending:
            await self._send.send(self._pending.pop(self._next_index))
            self._next_index += 1
            window.release()

    def _arguments(self, keywords: _Keywords | None, index: int, item: object) -> dict[str, Any]:
        if not isinstance(item, Mapping):
            got = f"{type(item).__name__}: {item!r:.80}"
            raise InvalidInputError(
                f"bulk item {index}: expected a mapping of arguments, got {got}", parameter="inputs"
            )
        entries = cast("Mapping[object, object]", item)
        for key in entries:
            if not isinstance(key, str):
                raise InvalidInputError(
                    f"bulk item {index}: keys must be argument names, got {key!r}", parameter="inputs"
                )
        kwargs: dict[str, Any] = {**self._options, **cast("Mapping[str, object]", entries)}
        if keywords is not None:
            keywords.check(index, kwargs)
        return kwargs

    async def next(self) -> BulkResult[T]:
        """The next result; raises the run's failure (once) at the end, then ``StopAsyncIteration``."""
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            failure, self._failure = self._failure, None
            if failure is not None:
                raise failure from None
            raise StopAsyncIteration from None

    async def next_batch(self) -> list[BulkResult[T]]:
        """The next result and every other one already waiting (one hand-off per batch for the sync twin)."""
        batch = [await self.next()]
        while True:
            try:
                batch.append(self._receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                return batch  # the end (or the failure) comes with the next call


@attrs.frozen
class _Keywords:
    """The keyword arguments a callable takes, to check each item cheaply (``Signature.bind`` costs ~10x more).

    SDK methods end in ``**options``: a name that is not a parameter reaches the pipeline's per-call options, which
    refuse an unknown one with an :class:`InvalidInputError` before anything is sent.
    """

    name: str
    names: frozenset[str]
    required: frozenset[str]
    any_name: bool

    @classmethod
    def of(cls, call: Callable[..., object]) -> _Keywords | None:
        try:
            params = inspect.signature(call).parameters.values()
        except (TypeError, ValueError):  # a callable without one: the call itself will say what is wrong
            return None
        by_name = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        return cls(
            getattr(call, "__name__", "the operation"),
            frozenset(p.name for p in by_name),
            frozenset(p.name for p in by_name if p.default is p.empty),
            any(p.kind is p.VAR_KEYWORD for p in params),
        )

    def check(self, index: int, kwargs: Mapping[str, object]) -> None:
        missing = sorted(self.required - kwargs.keys())
        if missing:
            raise InvalidInputError(f"bulk item {index}: {self.name}() is missing {missing}", parameter=missing[0])
        unknown = [] if self.any_name else sorted(kwargs.keys() - self.names)
        if unknown:
            raise InvalidInputError(
                f"bulk item {index}: {self.name}() takes no argument {unknown[0]!r}; it takes {sorted(self.names)}",
                parameter=unknown[0],
            )


def _single(exc: BaseException) -> BaseException:
    """The one exception inside (nested) exception groups of one member, else ``exc`` itself."""
    inner: object = getattr(exc, "exceptions", None)
    while isinstance(inner, tuple) and len(cast("tuple[object, ...]", inner)) == 1:
        exc = cast("tuple[BaseException]", inner)[0]
        inner = getattr(exc, "exceptions", None)
    return exc


class AsyncBulk(Generic[T]):
    """What :meth:`AsyncPandaPon.bulk <pandapon.AsyncPandaPon.bulk>` returns: ``async with`` it, then iterate.

    Leaving the ``async with`` block (a ``break``, an exception, the end) cancels the calls still in flight and
    waits for them, so no task outlives it.
    """

    def __init__(self, engine: BulkRun[T], call: Callable[..., Awaitable[T]]) -> None:
        self._engine, self._call = engine, call
        self._stack: contextlib.AsyncExitStack | None = None
        self._tg: TaskGroup | None = None

    @property
    def max_in_flight(self) -> int:
        """The most calls this run has had in flight at once (never more than ``concurrency``)."""
        return self._engine.max_in_flight

    async def __aenter__(self) -> AsyncBulk[T]:
        if self._stack is not None:
            raise BulkUsageError("a bulk run can be entered once; call client.bulk(...) again for another run")
        self._stack = contextlib.AsyncExitStack()
        self._engine.open()
        self._stack.callback(self._engine.close)
        self._tg = await self._stack.enter_async_context(anyio.create_task_group())
        self._tg.start_soon(self._engine.run, self._call)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._stack is not None and self._tg is not None
        self._tg.cancel_scope.cancel()
        # The task group exits as if its body ended normally: an exception of the body (a ``break`` by raising,
        # the run's own failure from ``on_error="raise"``) then propagates as it is, not wrapped in a group.
        await self._stack.aclose()

    def __aiter__(self) -> AsyncIterator[BulkResult[T]]:
        return self

    async def __anext__(self) -> BulkResult[T]:
        if self._tg is None:
            raise BulkUsageError(
                "enter a bulk run before iterating it: `async with client.bulk(...) as results: async for r in "
                "results: ...` (its calls run as tasks that must be stopped when you stop iterating)"
            )
        return await self._engine.next()


class Started(Protocol):
    """A task running on the sync client's loop (see ``Portal.start``)."""

    def cancel(self) -> None: ...
    def wait(self, timeout: float) -> bool: ...


class BulkRunner(Protocol):
    """What the sync twin needs of the sync client: run a coroutine, or start one, on its loop."""

    def _run(self, fn: Callable[[Any], Awaitable[T]], /) -> T: ...

    def _start(self, fn: Callable[[Any], Awaitable[object]], /) -> Started: ...


class Bulk(Generic[T]):
    """What :meth:`PandaPon.bulk <pandapon.PandaPon.bulk>` returns: an iterator of :class:`BulkResult` and a
    context manager. :meth:`close` (or leaving the ``with`` block, or an early ``break`` once the iterator is
    collected) cancels the calls in flight."""

    def __init__(
        self,
        runner: BulkRunner,
        engine: BulkRun[T],
        resolve: Callable[[Any], Callable[..., Awaitable[T]]],
        close_timeout: float,
    ) -> None:
        self._runner, self._engine, self._resolve = runner, engine, resolve
        self._close_timeout = close_timeout
        self._task: Started | None = None
        self._ready: collections.deque[BulkResult[T]] = collections.deque()
        self._lock = threading.Lock()
        self._closed = False

    def __iter__(self) -> Bulk[T]:
        return self

    def __next__(self) -> BulkResult[T]:
        with self._lock:
            if self._closed:
                raise StopIteration
            if self._task is None:
                engine, resolve = self._engine, self._resolve
                engine.open()
                self._task = self._runner._start(lambda c: engine.run(resolve(c)))
        if self._ready:
            return self._ready.popleft()
        try:
            self._ready.extend(self._runner._run(lambda _c: self._engine.next_batch()))
            return self._ready.popleft()
        except StopAsyncIteration:
            self.close()
            raise StopIteration from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Cancel the calls still in flight and wait (at most the client's ``close_timeout``) for them to end."""
        with self._lock:
            task, self._closed = self._task, True
        if task is not None:
            task.cancel()
            task.wait(self._close_timeout)
            self._engine.close()

    def __enter__(self) -> Bulk[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        task = getattr(self, "_task", None)
        if task is not None and not self._closed:
            self._engine.detached = True  # the run closes the stream when it ends
            task.cancel()  # never blocks: this may run in any thread, the loop's included
            if task.wait(0):
                self._engine.close()  # it had ended already
