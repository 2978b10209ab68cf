"""Routes: what a handler gets (``Context``), the ``Route`` it answers, the table each handler module fills, and the
``Router`` that finds the route of a request across those tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from typing import Literal

import attrs

from ._base import BusinessError, Params, is_object, kind
from ._contract import Operation
from ._exchange import Request
from ._state import State

__all__ = ["Context", "Handler", "Route", "RouteTable", "Router", "read_params"]


@attrs.frozen
class Context:
    """What a handler gets: the parameters, the state, the simulated time of the request and the strict rules on.

    Attributes:
        strict: the names of the rules of :data:`~pandapon.testing.STRICT_RULES` that are switched on.
    """

    params: Params
    state: State
    now: float
    strict: frozenset[str]


Handler = Callable[[Context], object]


@attrs.frozen
class Route:
    """One endpoint: method, path (``{name}`` for a path parameter) and how the fake treats it."""

    method: str
    path: str
    handler: Handler
    auth: Literal["headers", "query-sign"] = "headers"
    envelope: Literal["standard", "code-msg-only"] = "standard"
    #: Counted in ``FakePandaPon.create_calls`` when it reaches the state.
    create: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


class RouteTable:
    """A registry filled by the ``@table.route(...)`` decorator of each handler module."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        auth: Literal["headers", "query-sign"] = "headers",
        envelope: Literal["standard", "code-msg-only"] = "standard",
        create: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of ``method path``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, auth=auth, envelope=envelope, create=create))
            return handler

        return register


class Router:
    """Every route of some tables: fixed paths are looked up directly, ``{name}`` paths are tried in order."""

    def __init__(self, tables: Iterable[RouteTable]) -> None:
        self._fixed: dict[tuple[str, str], Route] = {}
        self._patterns: list[Route] = []
        for table in tables:
            for entry in table.routes:
                if "{" in entry.path:
                    self._patterns.append(entry)
                else:
                    self._fixed[entry.method, entry.path] = entry

    @property
    def keys(self) -> tuple[str, ...]:
        """Every route as ``"METHOD path"``: fixed paths first, then the patterns."""
        return tuple(r.key for r in [*self._fixed.values(), *self._patterns])

    def allowed(self, path: str) -> list[str]:
        """The methods ``path`` is served under, fixed or ``{name}`` paths alike (a wrong method is then 405 with
        these in ``Allow``, not 404); empty for an unknown path."""
        methods = {method for method, known in self._fixed if known == path}
        methods.update(r.method for r in self._patterns if _fits(r.path, path))
        return sorted(methods)

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """Return the route of a request and its path parameters; ``(None, {})`` when nothing matches."""
        found = self._fixed.get((method, path))
        if found is not None:
            return found, {}
        for candidate in self._patterns:
            if candidate.method == method:
                params = _fits(candidate.path, path)
                if params is not None:
                    return candidate, params
        return None, {}


def _fits(template: str, path: str) -> dict[str, str] | None:
    """The ``{name}`` parameters of ``path`` under ``template``, or ``None`` when it does not fit."""
    pattern, parts = template.split("/"), path.split("/")
    if len(pattern) != len(parts):
        return None
    params: dict[str, str] = {}
    for want, got in zip(pattern, parts, strict=True):
        if want.startswith("{") and want.endswith("}"):
            params[want[1:-1]] = got.strip()
        elif want != got:
            return None
    return params


def read_params(
    request: Request, path_params: dict[str, str], contract: Operation | None = None, relaxed: Collection[str] = ()
) -> Params:
    """Gather a request's parameters: the query (without the query signature), the JSON body, the path parameters.

    Raises ``BusinessError`` (code 400) when a body is not a JSON object or breaks the operation's ``contract``
    (``relaxed``: required body fields a switched-off strict rule lets go), and (HTTP 415, code 415) when a body
    comes with another content type (as Spring-based servers like the platform's answer).
    """
    values: dict[str, object] = {k: v for k, v in request.query.items() if k not in ("timestamp", "sign")}
    body: dict[str, object] | None = None
    if request.method != "GET" and request.body.strip():
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            got = repr(request.headers["content-type"]) if "content-type" in request.headers else "none"
            raise BusinessError(415, f"expected a JSON body with Content-Type application/json, got {got}", status=415)
        try:
            decoded: object = json.loads(request.body)
        except ValueError as exc:
            raise BusinessError(400, f"the request body is not valid JSON: {exc}") from None
        if not is_object(decoded):
            raise BusinessError(400, f"the request body must be a JSON object, got {kind(decoded)}")
        body = decoded
    if contract is not None:
        contract.check(request.query, path_params, body if body is not None else {}, relaxed)
    if body is not None:
        values.update(body)
    values.update(path_params)
    return Params(values)
