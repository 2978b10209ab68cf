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
