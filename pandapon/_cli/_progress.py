"""A visible line for every retry of a command-line call: a rich status on a terminal when rich is installed
(``pip install 'pandapon[cli]'``), plain lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress(logging.Handler):
    """While entered, shows the retries the SDK logs (``pandapon`` logger, INFO) and counts the attempts.

    Args:
        what: what is being done, e.g. ``taobao.products.get``.
        stream: where the lines go (standard error).
        fancy: use a rich status; default: when rich is importable and ``stream`` is a terminal.
    """

    def __init__(self, what: str, stream: TextIO | None = None, *, fancy: bool | None = None) -> None:
        super().__init__(logging.INFO)
        self.what = what
        self.stream = stream or sys.stderr
        self.attempts = 1
        self.started = time.monotonic()
        self._status: Any = None
        self._console: Any = None
        if fancy is None:
            fancy = self.stream.isatty()
        if fancy:
            try:
                from rich.console import Console
            except ImportError:
                fancy = False
            else:
                self._console = Console(file=self.stream)
        self._logger = logging.getLogger("pandapon")
        self._level = self._logger.level

    def __enter__(self) -> Progress:
        self._logger.addHandler(self)
        if self._logger.getEffectiveLevel() > logging.INFO:
            self._logger.setLevel(logging.INFO)
        if self._console is not None:
            self._status = self._console.status(f"{self.what} …")
            self._status.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._status is not None:
            self._status.__exit__(kind, exc, tb)
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)

    def emit(self, record: logging.LogRecord) -> None:
        if not (isinstance(record.msg, str) and record.msg.startswith("retrying ")):
            return
        self.attempts += 1
        line = record.getMessage()
        if self._console is not None:
            self._console.print(f"[yellow]{line}[/yellow]")
            self._status.update(f"{self.what} … attempt {self.attempts}")
        else:
            print(f"pandapon: {line}", file=self.stream, flush=True)

    def summary(self) -> str:
        """``3 attempts in 91.2 s``."""
        plural = "s" if self.attempts != 1 else ""
        return f"{self.attempts} attempt{plural} in {time.monotonic() - self.started:.1f} s"


class BulkProgress:
    """The progress of ``pandapon bulk`` on standard error: a rich bar on a terminal (done/total, rate, ETA,
    errors) when rich is installed, else a plain line every ``interval`` seconds; and a summary line at the end.

    Args:
        what: the operation id.
        total: the items this run will make (``None`` if unknown).
        stream: where the lines go (standard error).
        fancy: use a rich bar; default: when rich is importable and ``stream`` is a terminal.
        interval: seconds between plain lines.
    """

    def __init__(
        self,
        what: str,
        total: int | None,
        stream: TextIO | None = None,
        *,
        fancy: bool | None = None,
        interval: float = 2.0,
    ) -> None:
        self.what, self.total, self.interval = what, total, interval
        self.stream = stream or sys.stderr
        self.done = self.errors = 0
        self.started = self._shown = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        if fancy is None:
            fancy = self.stream.isatty()
        if fancy:
            try:
                from rich import progress as rp
                from rich.console import Console
            except ImportError:
                return
            self._bar = rp.Progress(
                rp.TextColumn("{task.description}"),
                rp.BarColumn(),
                rp.MofNCompleteColumn(),
                rp.TextColumn("{task.fields[rate]:.1f}/s"),
                rp.TimeRemainingColumn(),
                rp.TextColumn("[red]{task.fields[errors]} errors"),
                console=Console(file=self.stream),
                transient=False,
            )

    def __enter__(self) -> BulkProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total, rate=0.0, errors=0)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def rate(self) -> float:
        """Items per second so far in this run."""
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, ok: bool) -> None:
        """One more item has its record."""
        self.done += 1
        self.errors += not ok
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=self.rate, errors=self.errors)
            return
        now = time.monotonic()
        if now - self._shown >= self.interval:
            self._shown = now
            print(f"pandapon: {self.what}: {self.line()}", file=self.stream, flush=True)

    def line(self) -> str:
        """``1200/10000 done, 3 failed, 85.2/s, ETA 1m43s`` (without total or ETA when the total is unknown)."""
        rate = self.rate
        text = f"{self.done}/{self.total} done" if self.total is not None else f"{self.done} done"
        text += f", {self.errors} failed, {rate:.1f}/s"
        if self.total is not None and rate > 0:
            left = int((self.total - self.done) / rate)
            text += f", ETA {left // 60}m{left % 60:02d}s"
        return text
