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

__all__ = [
    "BEGIN_PAGE",
    "IMAGE_BASE64",
    "NONCE_LENGTH",
    "NONCE_REUSE",
    "SIGNATURE_CASE",
    "STRICT_DEFAULTS",
    "STRICT_RULES",
    "resolve_strict",
]

NONCE_REUSE = "nonce_reuse"
NONCE_LENGTH = "nonce_length"
SIGNATURE_CASE = "signature_case"
BEGIN_PAGE = "begin_page"
IMAGE_BASE64 = "image_base64"

#: Every strict rule, by name, with what it refuses when it is on.
STRICT_RULES: Mapping[str, str] = MappingProxyType(
    {
        NONCE_REUSE: "refuse a nonce-str already accepted within the timestamp tolerance (401 'nonce reused')",
        NONCE_LENGTH: "refuse a nonce-str that is not 32 characters long (401 'nonce-str malformed')",
        SIGNATURE_CASE: "refuse a signature or query sign that is not upper-case hex (401 'signature mismatch')",
        BEGIN_PAGE: "refuse a 1688 beginPage below 1 (code 400); off, a page below 1 is answered as page 1",
        IMAGE_BASE64: "refuse a 1688 picture search without imageBase64 (code 400); off, imageAddress alone will do",
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
