"""``pandapon bulk``: one operation for every line of a JSON Lines file; durable records, progress, ``--resume``.

Files (docs/cli.md has the user's view):

- OUTPUT: one JSON record per item, appended as the item completes: written with one ``write`` of one whole
  line, flushed at once (a SIGKILL loses nothing written) and fsync'd at least every second and at the end (a
  power cut loses at most the last second). A line cut short by a kill has no newline at its end: ``--resume``
  cuts it off and runs that item again.
- OUTPUT.journal, for non-idempotent operations only: a "started" line per item, flushed and fsync'd before the
  item is handed to the client, so before its request can leave. ``--resume`` settles an item that has a started
  line but no record before anything else: looked up by its natural key (``Endpoint.reconcile``, e.g. the
  ``sellerOrderNumber`` of ``taobao.orders.create``) and recorded when found; not found, left without a record
  and not sent (its request may still be on its way; a later ``--resume`` looks again, ``--resend-not-found``
  sends it); recorded as outcome unknown when there is no lookup or no key. Removed once every item has its
  record.

The input is read twice: a first pass checks every line (JSON object, known arguments, required ones present)
and counts the items, so a bad line stops the command (exit 2, file and line named) before anything is sent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .._converter import to_wire
from .._exceptions import OutcomeUnknownError, PandaPonError
from .._pipeline._per_call import CallOptions
from .._pipeline._reconcile import find_row
from .._types import JSON, as_object
from ._call import build, target
from ._common import Operation, UsageError, client_settings, find
from ._progress import BulkProgress

__all__ = ["FSYNC_INTERVAL", "bulk"]

#: Seconds between fsyncs of OUTPUT (every record is flushed to the OS at once; a journal line is fsync'd at once).
FSYNC_INTERVAL = 1.0
_CALL_OPTIONS = frozenset(CallOptions.__annotations__)

Record = dict[str, object]


class _Input:
    """The items of the input file (or standard input, read whole): ``(index, line number, arguments as JSON)``."""

    def __init__(self, source: str, operation: Operation) -> None:
        self.source, self.operation = source, operation
        self._stdin: list[str] | None = sys.stdin.read().splitlines() if source == "-" else None
        if self._stdin is None and not os.path.isfile(source):
            raise UsageError(f"--input {source}: no such file")
        parameters = operation.parameters()
        self._names = {p.name for p in parameters}
        self._required = {p.name for p in parameters if p.default is p.empty}
        self._hints = typing.get_type_hints(operation.function)

    def _lines(self) -> Iterator[tuple[int, str]]:
        if self._stdin is not None:
            yield from enumerate(self._stdin, 1)
            return
        try:
            with open(self.source, encoding="utf-8") as f:
                yield from enumerate(f, 1)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--input {self.source}: cannot read it: {exc}") from None

    def items(self) -> Iterator[tuple[int, int, dict[str, JSON]]]:
        """Every non-blank line as an item, checked (a bad one raises :class:`UsageError` naming its line)."""
        index = 0
        name = "<stdin>" if self.source == "-" else self.source
        for n, text in self._lines():
            if not text.strip():
                continue
            where = f"{name}:{n}"
            try:
                decoded: JSON = json.loads(text)
            except ValueError as exc:
                raise UsageError(f"{where}: not valid JSON: {exc}") from None
            obj = as_object(decoded)
            if obj is None:
                raise UsageError(f"{where}: expected a JSON object of arguments, got {type(decoded).__name__}")
            arguments = typing.cast("dict[str, JSON]", obj)
            unknown = sorted(set(arguments) - self._names - _CALL_OPTIONS)
            if unknown:
                raise UsageError(
                    f"{where}: unknown argument(s) {unknown}; {self.operation.id} takes {sorted(self._names)}"
                )
            missing = sorted(self._required - set(arguments))
            if missing:
                raise UsageError(f"{where}: missing required argument(s) {missing}")
            try:
                self.arguments(arguments)
            except UsageError as exc:
                raise UsageError(f"{where}: {exc}") from None
            yield index, n, arguments
            index += 1

    def arguments(self, obj: Mapping[str, JSON]) -> dict[str, Any]:
        """The keyword arguments of the call (request models built from JSON objects)."""
        return {k: build(self._hints[k], v, k) if k in self._names else v for k, v in obj.items()}


class _Records:
    """An append-only JSON Lines file of records by ``index``; what it held is read back on ``--resume``."""

    def __init__(self, path: Path, *, resume: bool) -> None:
        self.path = path
        self.held: dict[int, Record] = {}
        if path.exists() and path.stat().st_size:
            if not resume:
                raise UsageError(f"{path} already holds records: pass --resume to continue that run, or remove it")
            self.held = self._read()
        self._file: Any = None
        self._synced = time.monotonic()

    def open(self) -> None:
        """Open the file for appending (after the input was checked: a bad input creates no file)."""
        self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed by close()

    def _read(self) -> dict[int, Record]:
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a line cut short by a kill: drop it; its item has no record and is settled again
            with open(self.path, "r+b") as f:
                f.truncate(end)
            print(f"pandapon: {self.path}: dropped a line cut short when the run stopped", file=sys.stderr)
        held: dict[int, Record] = {}
        for n, line in enumerate(data[:end].splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = as_object(json.loads(line))
            except ValueError:
                record = None
            index = record.get("index") if record is not None else None
            if record is None or not isinstance(index, int):
                raise UsageError(f"{self.path}:{n}: not a record of `pandapon bulk`; give another --output")
            held[index] = record
        return held

    def write(self, record: Record, *, sync: bool = False) -> None:
        """Append ``record`` as one line in one write, flushed; fsync'd when ``sync`` or once a second."""
        data = memoryview((json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode())
        while data:
            data = data[self._file.write(data) or 0 :]
        now = time.monotonic()
        if sync or now - self._synced >= FSYNC_INTERVAL:
            os.fsync(self._file.fileno())
            self._synced = now

    def close(self) -> None:
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            os.fsync(self._file.fileno())
        self._file.close()


def _error(exc: PandaPonError) -> Record:
    return {
        "type": type(exc).__name__,
        "code": getattr(exc, "code", None),
        "status": getattr(exc, "status_code", None),
        "message": str(exc),
        "outcome_unknown": isinstance(exc, OutcomeUnknownError),
    }


def _record(index: int, line: int, obj: object, *, result: object = None, error: Record | None = None) -> Record:
    record: Record = {"index": index, "line": line, "ok": error is None, "input": obj}
    if error is None:
        record["result"] = to_wire(result)
    else:
        record["error"] = error
    return record


def _unknown(message: str) -> Record:
    return {"type": "OutcomeUnknownError", "code": None, "status": None, "message": message, "outcome_unknown": True}


def _key_value(obj: Mapping[str, JSON], key: str) -> JSON:
    """The value of the wire field ``key`` (``sellerOrderNumber``) among the arguments (``seller_order_number``)."""
    for name, value in obj.items():
        if name.replace("_", "").lower() == key.lower():
            return value
    extra = as_object(obj.get("extra_body"))
    return typing.cast("JSON", extra.get(key)) if extra is not None else None


def _settle(
    client: Any, operation: Operation, index: int, line: int, obj: Mapping[str, JSON], resend: bool
) -> Record | str | None:
    """An item started by a stopped run without a record: its record; ``"send"`` (looked up, not found, and
    ``resend``); or ``None``: left for the next ``--resume`` (not found, or the lookup failed)."""
    rec = operation.endpoint.reconcile
    stopped = "a run that stopped before its result was recorded started this call; it may or may not have taken effect"
    if rec is None:
        return _record(index, line, obj, error=_unknown(f"{stopped}, and {operation.id} has no lookup: check it"))
    value = _key_value(obj, rec.key)
    if value is None or value == "":
        return _record(index, line, obj, error=_unknown(f"{stopped}, and it has no {rec.key} to look it up by"))
    where = {"params": {rec.param: value}} if rec.location == "query" else {"json": {rec.param: value}}
    try:
        data = client.request(rec.method, rec.path, **where)
    except PandaPonError as exc:
        print(f"pandapon: item {index} (line {line}): looking it up by {rec.key} failed: {exc}", file=sys.stderr)
        return None
    row = find_row(rec, data, value)
    if row is None:
        if resend:
            return "send"
        print(
            f"pandapon: item {index} (line {line}): no result found by {rec.key}={value!r} yet; not sent again "
            "(its request may still be on its way)",
            file=sys.stderr,
        )
        return None
    record = _record(index, line, obj, result=row)
    record["reconciled"] = True
    return record


def _client(args: argparse.Namespace, stack: contextlib.ExitStack) -> Any:
    from .._sync import PandaPon

    settings, credentials = client_settings(args)
    if args.fake:
        from ..testing import FakePandaPon

        client: PandaPon = stack.enter_context(FakePandaPon().client(**settings))
    else:
        client = stack.enter_context(PandaPon(**credentials, **settings))
    if args.rate is not None:
        from .._ratelimit import TokenBucket

        client = client.with_options(rate_limiter=TokenBucket(args.rate))
    return client


def bulk(args: argparse.Namespace) -> int:
    """``pandapon bulk OP --input FILE --output FILE``."""
    operation = find(args.operation)
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    if args.rate is not None and not args.rate > 0:
        raise UsageError(f"--rate must be a positive number of calls per second, got {args.rate}")
    source = _Input(args.input, operation)
    out_path = Path(args.output)
    journal_path = out_path.with_name(out_path.name + ".journal")
    writes = not operation.endpoint.idempotent
    if not args.resume and journal_path.exists() and journal_path.stat().st_size:
        raise UsageError(f"{journal_path} holds a stopped run's journal: pass --resume to continue it, or remove it")
    output = _Records(out_path, resume=args.resume)
    journal = _Records(journal_path, resume=args.resume) if writes else None
    total = 0
    for index, n, obj in source.items():  # every line checked, and the records matched to it, before any call
        total += 1
        for records in [r for r in (output, journal) if r is not None]:
            held = records.held.get(index)
            if held is not None and held.get("input") != obj:
                raise UsageError(
                    f"{args.input}:{n}: item {index} differs from the one {records.path} holds for it "
                    "(resume with the same input)"
                )
    output.open()
    if journal is not None:
        journal.open()
    done = set(output.held)
    failed = sum(1 for r in output.held.values() if not r.get("ok"))
    unknown = sum(1 for r in output.held.values() if _outcome_unknown(r))
    unresolved: set[int] = set()
    stop = ""
    with contextlib.ExitStack() as stack, BulkProgress(operation.id, total - len(done)) as progress:
        client = _client(args, stack)

        def keep(record: Record) -> None:
            nonlocal failed, unknown
            output.write(record)
            done.add(typing.cast("int", record["index"]))
            failed += not record["ok"]
            unknown += _outcome_unknown(record)
            progress.advance(bool(record["ok"]))

        try:
            if journal is not None:
                for index in sorted(set(journal.held) - done):
                    held = journal.held[index]
                    obj = typing.cast("dict[str, JSON]", held.get("input"))
                    line = typing.cast("int", held.get("line"))
                    settled = _settle(client, operation, index, line, obj, args.resend_not_found)
                    if settled is None:
                        unresolved.add(index)
                    elif not isinstance(settled, str):
                        keep(settled)
            dispatched: dict[int, tuple[int, int, dict[str, JSON]]] = {}  # by position in the run, until recorded

            def inputs() -> Iterator[dict[str, Any]]:  # runs in the client's worker threads
                position = 0
                for index, n, obj in source.items():
                    if index in done or index in unresolved:
                        continue
                    if journal is not None:  # durable before the item can be sent
                        journal.write({"index": index, "line": n, "input": obj}, sync=True)
                    dispatched[position] = (index, n, obj)
                    position += 1
                    yield source.arguments(obj)

            method = getattr(target(client, operation.resource), operation.name)
            with client.bulk(method, inputs(), concurrency=args.concurrency, order=args.order) as results:
                for r in results:
                    at: int = r.index
                    item = dispatched.pop(at)
                    error = None if r.error is None else _error(r.error)
                    keep(_record(item[0], item[1], item[2], result=r.value, error=error))
                    if error is not None and args.on_error == "raise":
                        stop = f"stopped at the first failure (item {item[0]}, line {item[1]}; --on-error raise)"
                        break
        except KeyboardInterrupt:
            stop = "interrupted"
        finally:
            output.close()
            if journal is not None:
                journal.close()
    complete = not stop and not unresolved and len(done) == total
    if complete and journal is not None:
        journal_path.unlink(missing_ok=True)
    _summary(operation, total, failed, unknown, progress, out_path, stop, unresolved)
    if stop == "interrupted":
        return 130
    return 0 if complete and not failed else 1


def _outcome_unknown(record: Mapping[str, object]) -> bool:
    error = as_object(record.get("error"))
    return bool(error is not None and error.get("outcome_unknown"))


def _summary(
    operation: Operation,
    total: int,
    failed: int,
    unknown: int,
    progress: BulkProgress,
    out_path: Path,
    stop: str,
    unresolved: set[int],
) -> None:
    elapsed = time.monotonic() - progress.started
    line = f"pandapon: bulk {operation.id}: {total} items, {failed} failed"
    if unknown:
        line += f" ({unknown} outcome unknown)"
    line += f"; this run: {progress.done} in {elapsed:.1f} s ({progress.rate:.1f}/s) -> {out_path}"
    print(line, file=sys.stderr)
    if stop:
        print(f"pandapon: {stop}; --resume continues the run", file=sys.stderr)
    if unresolved:
        print(
            f"pandapon: {len(unresolved)} item(s) started by a stopped run were not found (not sent again): "
            "--resume looks them up again later; --resume --resend-not-found sends the ones still not found",
            file=sys.stderr,
        )
