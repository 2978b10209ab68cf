"""The fake's strict rules: checks PandaPon's documentation does not state (or states without saying what the server
refuses), each switchable through ``FakePandaPon(strict=...)``.

The defaults follow the documentation: a rule the docs state is on (a 32-character ``nonce-str``, API notes §3; an
upper-case hex signature, §4; ``imageBase64`` as the picture search's one required field); a rule only the fake makes
(nonce reuse refused, ``beginPage`` below 1 refused) is off. ``docs/testing.md`` lists them with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import TYPE_CHECKING

from ._base import BusinessError

if TYPE_CHECKING:
    from ._contract import Operation

__all__ = [
    "BEGIN_PAGE",
    "IMAGE_BASE64",
    "NONCE_LENGTH",
    "NEEDED_INPUTS",
    "NONCE_REUSE",
    "SIGNATURE_CASE",
    "STRICT_DEFAULTS",
    "STRICT_RULES",
    "RULE_FIELDS",
    "as_documented",
    "resolve_strict",
]

NONCE_REUSE = "nonce_reuse"
NONCE_LENGTH = "nonce_length"
SIGNATURE_CASE = "signature_case"
BEGIN_PAGE = "begin_page"
IMAGE_BASE64 = "image_base64"
NEEDED_INPUTS = "needed_inputs"

#: Every strict rule, by name, with what it refuses when it is on.
STRICT_RULES: Mapping[str, str] = MappingProxyType(
    {
        NONCE_REUSE: "refuse a nonce-str already accepted within the timestamp tolerance (401 'nonce reused')",
        NONCE_LENGTH: "refuse a nonce-str that is not 32 characters long (401 'nonce-str malformed')",
        SIGNATURE_CASE: "refuse a signature or query sign that is not upper-case hex (401 'signature mismatch')",
        BEGIN_PAGE: "refuse a 1688 beginPage below 1 (code 400); off, a page below 1 is answered as page 1",
        IMAGE_BASE64: "refuse a 1688 picture search without imageBase64 (code 400); off, imageAddress alone will do",
        NEEDED_INPUTS: (
            "refuse as a bad request (code 400) a request without an input the docs leave optional but the fake "
            "cannot answer without (the id of the order, refund, product or cart line acted on, order lines, a "
            "receiver's name); off, such a request is answered as one that names nothing the fake knows (code 404)"
        ),
    }
)

#: The rules on when ``strict`` is not given: those the docs state.
STRICT_DEFAULTS: frozenset[str] = frozenset({NONCE_LENGTH, SIGNATURE_CASE, IMAGE_BASE64})


def resolve_strict(strict: bool | AbstractSet[str] | None) -> frozenset[str]:
    """Return the rules switched on by a ``strict`` argument.

    ``None``: :data:`STRICT_DEFAULTS`; ``True``: every rule; ``False``: none; a set of names: exactly those.
    Raises ``ValueError`` for an unknown name and ``TypeError`` for anything else than a bool or a set.
    """
    if strict is None:
        return STRICT_DEFAULTS
    if strict is True or strict is False:
        return frozenset(STRICT_RULES) if strict else frozenset()
    given: object = strict  # checked at run time too: a str or a list would otherwise pass for a set of names
    if not isinstance(given, AbstractSet):
        raise TypeError(
            f"strict must be a bool or a set of rule names, got {type(given).__name__}: {given!r}; "
            f"the rules are: {', '.join(sorted(STRICT_RULES))}"
        )
    names = frozenset(strict)
    unknown = sorted(str(name) for name in names - STRICT_RULES.keys())
    if unknown:
        raise ValueError(
            f"unknown strict rule(s): {', '.join(map(repr, unknown))}; the rules are: {', '.join(sorted(STRICT_RULES))}"
        )
    return names


#: Required request fields of the OpenAPI description that a strict rule stands for: the contract leaves them to
#: the rule's handler, so that switching the rule off lets them go and its refusal names the rule.
RULE_FIELDS: frozenset[str] = frozenset({"imageBase64"})


def as_documented(error: BusinessError, contract: Operation | None, rules: frozenset[str]) -> BusinessError:
    """Return a handler's refusal as the docs allow it.

    A handler refuses a request without an input it needs; when the OpenAPI description makes that input optional
    and :data:`NEEDED_INPUTS` is off, the request is well-formed by the docs, so the answer is not "bad request"
    (code 400) but "nothing found to act on" (code 404), naming the input and the rule.
    """
    field = error.missing
    if field is None or contract is None or NEEDED_INPUTS in rules or contract.requires(field):
        return error
    return BusinessError(
        404,
        f"nothing to act on: '{field}' not given (the docs leave it optional; "
        f"FakePandaPon(strict={{'{NEEDED_INPUTS}'}}) refuses it as a bad request)",
    )
