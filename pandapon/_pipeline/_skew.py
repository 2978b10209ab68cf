"""Clock skew: the server's ``Date`` header corrects the signers' timestamps."""

from __future__ import annotations

import logging
import time

import httpx

__all__ = ["SKEW_CHECK_INTERVAL", "Clock"]

log = logging.getLogger("pandapon")

#: How often (seconds) a successful answer's ``Date`` is compared with the local clock.
SKEW_CHECK_INTERVAL = 60.0


class Clock:
    """The offset the signers add to the local clock, shared by a client and its ``with_options`` twins.

    Args:
        signers: every signer of the client; those with a ``clock_offset`` attribute follow the server's clock.
    """

    def __init__(self, signers: tuple[httpx.Auth, ...]) -> None:
        self._signers = tuple(s for s in signers if hasattr(s, "clock_offset"))
        self._next_check = 0.0

    @property
    def offset(self) -> float:
        """Seconds added to the local clock when signing."""
        return float(getattr(self._signers[0], "clock_offset", 0.0)) if self._signers else 0.0

    def due(self) -> bool:
        """Whether to compare a successful answer's ``Date`` now (at most every ``SKEW_CHECK_INTERVAL``)."""
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + SKEW_CHECK_INTERVAL
        return True

    def observe(self, date: str | None) -> bool:
        """Set the offset from a ``Date`` header; return whether it changed by more than 2 s."""
        if date is None or not self._signers:
            return False
        import email.utils

        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, OverflowError, IndexError):
            return False
        # Date has a one-second resolution: take the middle of the second, ignore differences under 2 s.
        estimate = server + 0.5 - time.time()
        offset = estimate if abs(estimate) > 2 else 0.0
        changed = abs(offset - self.offset) > 2
        if changed:
            for signer in self._signers:
                setattr(signer, "clock_offset", offset)  # noqa: B010 - any httpx.Auth may opt in
            log.info("server clock differs from ours by %.1fs; signing with that offset", offset)
        return changed
