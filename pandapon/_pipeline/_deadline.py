"""The call's deadline: one clock for every attempt, wait and reconciliation of one call."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager

import anyio

__all__ = ["Deadline"]

_NONE = contextlib.nullcontext()


class Deadline:
    """Seconds left for one call; ``Deadline(None)`` never runs out.

    Args:
        seconds: the whole call's budget, from now.
    """

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a deadline."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def scope(self) -> AbstractContextManager[object]:
        """A cancel scope that raises ``TimeoutError`` when the deadline passes (none without a deadline)."""
        # No cancel scope at all without a deadline: it costs a few microseconds per call.
        return _NONE if self.at is None else anyio.fail_after(max(0.0, self.at - time.monotonic()))

    def cut(self, timeouts: Mapping[str, float | None]) -> Mapping[str, float | None]:
        """``timeouts`` with each one cut to the time left (unchanged without a deadline)."""
        if self.at is None:
            return timeouts
        left = max(0.001, self.at - time.monotonic())
        return {k: left if v is None else min(v, left) for k, v in timeouts.items()}
