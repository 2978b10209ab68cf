"""A bounded Schemathesis run against the fake, in-process (issue 18 item 5).

Every operation of the shipped OpenAPI description is fuzzed with valid and schema-violating requests (derandomized:
the same examples on every run; ``MAX_EXAMPLES`` per operation), then the stateful phase follows the description's links (search → product
→ cart → order → pay → detail → logistics → refund). The checks: no server error, responses conform to their
schemas, status codes and content types conform, and a request that breaks its schema is refused (HTTP 4xx or a
business-error envelope). Requests are signed by the SDK's own signers through a small ASGI shim, so that what is
fuzzed is the contract, not the authentication.

Run it alone with ``pytest tests/testing/test_schemathesis.py -p no:cacheprovider -s``; the summary (operations,
requests, failures, stateful steps) is printed at the end.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
import schemathesis.checks
import schemathesis.specs.openapi.checks

from pandapon import HeaderSigner, QuerySigner
from pandapon.testing import FakePandaPon

SPEC_PATH = Path(__file__).resolve().parents[2] / "pandapon" / "spec" / "pandapon.openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
MAX_EXAMPLES = 12
STATEFUL_EXAMPLES = 40
SUCCESS = (200, 0)

Scope = dict[str, Any]
Message = dict[str, Any]


class SigningShim:
    """An ASGI app in front of the fake: serves the description at ``/openapi.json`` and signs every other request
    with the SDK's signer for its route (the query signature for ``/open/pp/logistics/``, headers otherwise)."""

    def __init__(self, fake: FakePandaPon) -> None:
        c = fake.credentials
        self.fake = fake
        self.header = HeaderSigner(c.access_key, c.access_secret, c.user_id, clock=fake.clock)
        self.query = QuerySigner(c.access_key, c.access_secret, c.user_id, clock=fake.clock)
        self.requests: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Message], Any]) -> None:
        if scope["type"] != "http":
            await self.fake(scope, receive, send)
            return
        if scope["path"] == "/openapi.json":
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": SPEC_PATH.read_bytes()})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"").decode("latin-1")
        raw_path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")  # still %-encoded
        url = httpx.URL(f"http://fake{raw_path}" + (f"?{query}" if query else ""))
        request = httpx.Request(scope["method"], url, headers=scope["headers"], content=body)
        by_query = scope["path"].startswith("/open/pp/logistics/")
        if ("sign" not in request.url.params) if by_query else ("signature" not in request.headers):
            # Schemathesis left the credential out on purpose (a security negative case): pass it on unsigned.
            self.requests[scope["method"] + " " + scope["path"]] += 1
            await self.fake(scope, _replay(body), send)
            return
        if by_query:  # the signer adds its own timestamp and sign
            request.url = request.url.copy_remove_param("sign").copy_remove_param("timestamp")
        signed = next((self.query if by_query else self.header).auth_flow(request))
        self.requests[scope["method"] + " " + scope["path"]] += 1
        signed_scope = {**scope, "headers": signed.headers.raw, "query_string": signed.url.query}
        await self.fake(signed_scope, _replay(body), send)


def _replay(body: bytes) -> Callable[[], Any]:
    """An ASGI ``receive`` that hands the body over once, then reports a disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _refused(response: Any) -> bool:
    """HTTP 4xx, or an envelope whose business code is not a success."""
    if 400 <= response.status_code < 500:
        return True
    try:
        envelope = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(envelope, dict) and envelope.get("code") not in SUCCESS


@schemathesis.check
def schema_violations_are_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request generated to break its schema is refused: HTTP 4xx or a business-error envelope."""
    if _refused(response):
        return None
    # Accepted: Schemathesis' own check decides whether the request really broke the schema (it knows the
    # mutations that turn valid once serialised) and fails with the component it broke.
    return schemathesis.specs.openapi.checks.negative_data_rejection(ctx, response, case)


FAKE = FakePandaPon(seed=7, doc_examples=True)
APP = SigningShim(FAKE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=["positive", "negative"], max_examples=MAX_EXAMPLES, deterministic=True)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.response_schema_conformance,
    schemathesis.specs.openapi.checks.status_code_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
    schema_violations_are_refused,
]


SETTINGS = {"deadline": None, "derandomize": True, "suppress_health_check": list(hypothesis.HealthCheck)}
TALLY: Counter[str] = Counter()
OPERATIONS: set[str] = set()


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, **SETTINGS)
def test_every_operation_holds_its_contract(case: Any) -> None:
    response = case.call_and_validate(checks=CHECKS)
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    mode = "schema-violating" if negative else "valid"
    TALLY[f"{mode} requests"] += 1
    TALLY[f"{mode} refused"] += _refused(response)
    OPERATIONS.add(case.operation.label)


def test_the_stateful_phase_follows_the_links() -> None:
    """Sequences of calls chained by the description's links, every answer checked as above."""
    steps: Counter[str] = Counter()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: Any) -> Any:
            transition = input.transition
            if transition is not None and input.is_applied:
                kind = "inferred" if transition.is_inferred else "declared"
                steps[f"{kind}: {transition.id}"] += 1
            steps["steps"] += 1
            return super().step(input)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=hypothesis.settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=8, database=None, **SETTINGS)
    )
    declared = {name: count for name, count in steps.items() if name.startswith("declared: ")}
    TALLY["stateful steps"] += steps["steps"]
    TALLY["steps through a link"] += sum(count for name, count in steps.items() if name != "steps")
    TALLY["declared links followed"] += len(declared)
    print("\n" + "\n".join(f"  {name} x{count}" for name, count in sorted(declared.items())))
    assert declared, "the stateful phase followed none of the description's links"


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """Print what the run did (pytest -s shows it): operations, requests, refusals, stateful steps."""
    yield
    TALLY["operations"] = len(OPERATIONS)
    TALLY["requests to the fake"] = sum(APP.requests.values())
    print("\nSchemathesis run:", ", ".join(f"{name}: {count}" for name, count in TALLY.items()))
