"""The pipeline and its stages: request building, envelope reading, deadline, clock skew, reconciliation."""

from __future__ import annotations

from ._pipeline import RAW_RESPONSES, Pipeline

__all__ = ["RAW_RESPONSES", "Pipeline"]
