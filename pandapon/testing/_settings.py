"""The fake's constructor arguments, checked: a ``ValueError`` that says what was expected and what was got."""

from __future__ import annotations

__all__ = ["check_push_settings", "check_settings"]


def check_settings(
    timestamp_unit: str, rate_limit: float | None, burst: int | None, step_interval: float | None
) -> None:
    """Raise ``ValueError`` for the first setting of the API's behaviour out of range."""
    if timestamp_unit not in ("s", "ms", "auto"):
        raise ValueError(f"timestamp_unit must be 's', 'ms' or 'auto', got {timestamp_unit!r}")
    if rate_limit is not None and rate_limit <= 0:
        raise ValueError(f"rate_limit must be > 0 requests per second or None, got {rate_limit}")
    if burst is not None and burst < 1:
        raise ValueError(f"burst must be >= 1, got {burst}")
    if step_interval is not None and step_interval <= 0:
        raise ValueError(f"step_interval must be > 0 seconds or None, got {step_interval}")


def check_push_settings(
    redelivery_interval: float, max_redeliveries: int, push_timeout: float, auto_deliver: float | None
) -> None:
    """Raise ``ValueError`` for the first push setting out of range."""
    if redelivery_interval < 0 or max_redeliveries < 0 or push_timeout <= 0:
        raise ValueError("redelivery_interval and max_redeliveries must be >= 0 and push_timeout > 0")
    if auto_deliver is not None and not auto_deliver > 0:
        raise ValueError(f"auto_deliver must be > 0 seconds or None, got {auto_deliver}")
