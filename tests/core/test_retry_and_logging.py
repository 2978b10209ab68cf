"""Retry decisions (pure), Retry-After parsing, and the PANDAPON_LOG switch."""

from __future__ import annotations

import email.utils
import logging

import pytest

from pandapon._retry import RetryPolicy, backoff, decide, parse_retry_after

POLICY = RetryPolicy(base=1.0, cap=8.0, max_retry_after=60.0)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    assert backoff(0, POLICY, rand=lambda: 1.0) == 1.0
    assert backoff(2, POLICY, rand=lambda: 1.0) == 4.0
    assert backoff(10, POLICY, rand=lambda: 1.0) == 8.0  # capped
    assert backoff(2, POLICY, rand=lambda: 0.0) == 2.0  # jitter floor: half


@pytest.mark.parametrize(
    ("kwargs", "retry", "reason"),
    [
        ({"request_sent": False, "idempotent": False}, True, "before sending"),
        ({"request_sent": True, "idempotent": False}, False, "not idempotent"),
        ({"request_sent": True, "idempotent": True}, True, "after sending"),
        ({"request_sent": True, "idempotent": True, "status": 503}, True, "HTTP 503"),
        ({"request_sent": True, "idempotent": False, "status": 503}, False, "not idempotent"),
        ({"request_sent": True, "idempotent": False, "status": 429}, True, "HTTP 429"),
        ({"request_sent": True, "idempotent": True, "status": 404}, False, "not retryable"),
        ({"request_sent": True, "idempotent": True, "status": 429, "retry_after": 3.0}, True, "Retry-After"),
        ({"request_sent": True, "idempotent": True, "status": 429, "retry_after": 120.0}, False, "exceeds"),
        ({"request_sent": True, "idempotent": False, "status": 200, "transient_code": True}, True, "HTTP 200"),
        ({"request_sent": False, "idempotent": True, "attempt": 2}, False, "no retries left"),
    ],
)
def test_decide(kwargs: dict[str, object], retry: bool, reason: str) -> None:
    args: dict[str, object] = {"attempt": 0, "max_retries": 2, "policy": POLICY, "rand": lambda: 1.0, **kwargs}
    decision = decide(**args)  # type: ignore[arg-type]
    assert decision.retry is retry
    assert reason in decision.reason


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after": " 1.5 "}) == 1.5
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "nan"}) is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=lambda: 1_000_000) == pytest.approx(30, abs=1)


def test_pandapon_log_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    import pandapon._logging as switch

    logger = logging.getLogger("pandapon")
    level, handlers = logger.level, list(logger.handlers)
    monkeypatch.setattr(switch, "_done", False)
    monkeypatch.setenv("PANDAPON_LOG", "info")
    try:
        switch.setup_logging()
        assert logger.level == logging.INFO
        assert any(isinstance(h, logging.StreamHandler) and h not in handlers for h in logger.handlers)
        switch.setup_logging()  # once per process
        assert len(logger.handlers) == len(handlers) + 1
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
