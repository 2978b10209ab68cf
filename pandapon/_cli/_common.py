"""What the commands share: the usage error, JSON output, the catalogue of operations."""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

from .._converter import to_wire
from .._endpoint import Endpoint

__all__ = ["Operation", "UsageError", "catalogue", "client_settings", "find", "json_out"]


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


def client_settings(args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The client settings (``--timeout``, ``--deadline``, ``--max-retries``) and the credentials and base URL
    given on the command line (the rest come from ``PANDAPON_*``)."""
    settings: dict[str, Any] = {}
    for name in ("timeout", "deadline", "max_retries"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    credentials = {
        k: getattr(args, k) for k in ("access_key", "access_secret", "user_id", "base_url") if getattr(args, k)
    }
    return settings, credentials


def json_out(value: object, *, compact: bool = False) -> str:
    """``value`` (models included, by wire names) as JSON: indented, or on one line. Money (``Decimal``) is a
    string with its exact digits."""
    wire = to_wire(value)
    if compact:
        return json.dumps(wire, ensure_ascii=False, separators=(",", ":"), default=str)
    return json.dumps(wire, ensure_ascii=False, indent=2, default=str)


class Operation:
    """One operation of the catalogue: its endpoint, its async method (for its signature and docstring)."""

    def __init__(self, op_id: str, resource: str, method: str) -> None:
        module = importlib.import_module(f"pandapon._generated.resources.{resource.replace('.', '_')}")
        self.id = op_id
        self.resource = resource
        self.name = method
        self.endpoint: Endpoint[Any] = getattr(module, "_" + method.upper())
        self.function = getattr(getattr(module, module.__all__[0]), method)
        self.doc = inspect.getdoc(self.function) or ""

    @property
    def title(self) -> str:
        return self.doc.splitlines()[0].rstrip(".") if self.doc else ""

    def parameters(self) -> list[inspect.Parameter]:
        """The operation's own parameters (not ``self``, nor the per-call ``**options``)."""
        return [
            p
            for p in inspect.signature(self.function).parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        ]

    def as_dict(self) -> dict[str, object]:
        e = self.endpoint
        return {
            "operation": self.id,
            "method": e.method,
            "path": e.path,
            "confidence": e.confidence,
            "idempotent": e.idempotent,
            "title": self.title,
        }


def catalogue() -> list[Operation]:
    """Every operation, sorted by id."""
    from .._generated.operations import OPERATIONS

    return [Operation(op_id, resource, name) for op_id, (resource, name, _) in sorted(OPERATIONS.items())]


def find(op_id: str) -> Operation:
    """The operation ``op_id``, or a :class:`UsageError` with the closest names."""
    from .._client import closest_operations
    from .._generated.operations import OPERATIONS

    entry = OPERATIONS.get(op_id)
    if entry is None:
        close = closest_operations(op_id, n=5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `pandapon operations` for the list"
        raise UsageError(f"unknown operation {op_id!r}{hint}")
    resource, name, _ = entry
    return Operation(op_id, resource, name)
