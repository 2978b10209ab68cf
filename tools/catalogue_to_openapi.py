#!/usr/bin/env python3
"""Convert the PandaPon endpoint catalogue into an OpenAPI 3.1 document.

Usage (from the repository root)::

    python tools/catalogue_to_openapi.py \\
        --catalogue ../shared/pandapon-api/endpoints.json \\
        --overrides tools/spec_overrides.json \\
        --out pandapon/spec/pandapon.openapi.json

Standard library only.  The output is deterministic: the same inputs always give
a byte-identical document (every mapping is built in catalogue order).

The catalogue (``endpoints.json``) describes what is known about each endpoint
and callback, with confidence tags; ``spec_overrides.json`` adds the hand-picked
Python names, parameter order, pagination and money units, and the OpenAPI links
of the purchase flows (key ``links`` of the source endpoint, emitted on its 200
response; each is checked against the documented fields of both operations).
``response_shapes.json`` (``--shapes``, next to this tool by default) adds the
response evidence the catalogue's field lists leave out: keys seen only in
examples and the upstream 1688 fields of upstream-shapes.md, each member tagged
``x-pandapon-evidence``. Nothing is invented here: where the catalogue marks
something unknown, the document says so through the ``x-pandapon-*`` extensions.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
SERVER_URL = "https://api.pandapon.com"
REF_PREFIX = "#/components/schemas/"

RESOURCE_BY_GROUP: dict[str, str] = {
    "Taobao / Goods": "taobao.products",
    "Taobao / Order": "taobao.orders",
    "Taobao / After-sales service": "taobao.refunds",
    "Taobao / Shopping cart": "taobao.cart",
    "1688 / Goods": "alibaba.products",
    "1688 / Order": "alibaba.orders",
    "1688 / After-sales service": "alibaba.refunds",
    "1688 / Shopping cart": "alibaba.cart",
    "1688 / Marketing": "alibaba.marketing",
    "Foundations": "addresses",
    "Warehouse logistics": "logistics",
}

# Python-side names of the message callbacks, keyed by the catalogue "path"
# (the messageType constant or pattern).  Callbacks have no overrides entry.
WEBHOOK_NAMES: dict[str, str] = {
    "TAOBAO_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY": "taobao_order_price_modify",
    "TAOBAO_ORDER_BUYER_VIEW_*": "taobao_order_status_modify",
    "TAOBAO_ORDER_BUYER_VIEW_ORDER_BUYER_REFUND": "taobao_order_after_sales_refund",
    "1688_ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY": "alibaba_order_price_modify",
    "1688_ORDER_BUYER_VIEW_*": "alibaba_order_status_modify",
    "1688_ORDER_BUYER_VIEW_ORDER_BUYER_REFUND": "alibaba_order_after_sales_refund",
}

PLATFORM_BY_GROUP_PREFIX: dict[str, int] = {"Taobao": 0, "1688": 1}

AUTH_TO_SCHEME: dict[str, str] = {"headers": "headerSignature", "query-sign": "querySign"}

OVERRIDE_KEYS = (
    "method",
    "params",
    "positional",
    "pagination",
    "inferred_from",
    "money",
    "same_schema_as",
    "reconcile",
    "ids",
    "links",
    "enums",
)
#: The open enums of ``pandapon._enums`` a response field may be typed with (the ``enums`` override; a test checks
#: that these are exactly the enums the package defines).
ENUM_NAMES = (
    "AlibabaItemRefundStatus",
    "AlibabaLogisticsStatus",
    "AlibabaOrderStatus",
    "AlibabaRefundStatus",
    "TaobaoLogisticsTraceStatus",
    "TaobaoOrderStatus",
    "TaobaoRefundStatus",
)
PAGINATION_KEYS = (
    "page_param",
    "size_param",
    "first_page",
    "items_path",
    "total_pages_field",
    "current_page_field",
)
MONEY_UNITS = ("fen", "yuan", "unknown")
# Keys of a link in the overrides, in the order of the emitted Link Object (OpenAPI 3.1 section 4.8.20).
LINK_KEYS = ("operationId", "parameters", "requestBody", "description")
LINK_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
RESPONSE_DATA_RE = re.compile(r"^\$response\.body#/data((?:/[^/]*)*)$")
REQUEST_BODY_RE = re.compile(r"^\$request\.body#((?:/[^/]*)+)$")
REQUEST_PARAM_RE = re.compile(r"^\$request\.(query|path)\.([A-Za-z0-9_.-]+)$")
SCALAR_TYPES: dict[str, JSON] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "int64": {"type": "integer", "format": "int64"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
}
ID_NAME_RE = re.compile(r"(?:Id|Ids|ID|IDs|id|ids|Uid)$")
SNAKE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")

SOURCES_TEXT = (
    "PandaPon v1 documentation (https://doc-en.pandapon.com, https://doc.pandapon.com, "
    "https://doc-vnm.pandapon.com, https://doc-es.pandapon.com), PandaPon v2 documentation "
    "(https://doc-env2.pandapon.com, https://doc-cnv2.pandapon.com, https://doc-th.pandapon.com), "
    "the Xportcn white-label mirror (https://doc-en.xportcn.com, https://doc-en-ka.xportcn.com; "
    "corroboration only) and public third-party clients"
)


class CatalogueError(Exception):
    """The catalogue or the overrides are inconsistent."""


# --------------------------------------------------------------------------------------
# Names


def snake_case(name: str) -> str:
    """``orderId`` -> ``order_id``, ``productID`` -> ``product_id``, ``mobile_phone`` unchanged."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^0-9a-zA-Z_]+", "_", s)
    return s.strip("_").lower()


def python_name(name: str) -> str:
    """Default Python attribute / parameter name for a wire name."""
    s = snake_case(name)
    if not s or s[0].isdigit():
        s = "f_" + s
    if keyword.iskeyword(s):
        s += "_"
    return s


def pascal_case(name: str) -> str:
    """``update_warehouse`` / ``orderLineList`` -> ``UpdateWarehouse`` / ``OrderLineList``."""
    return "".join(part[:1].upper() + part[1:] for part in snake_case(name).split("_") if part)


def component_stem(field_name: str, is_array: bool) -> str:
    """PascalCase stem of a nested component: trailing ``List`` removed, plural removed for arrays."""
    stem = pascal_case(field_name)
    if stem.endswith("List") and len(stem) > len("List"):
        stem = stem[: -len("List")]
    elif is_array:
        if stem.endswith("ies") and len(stem) > 3:
            stem = stem[:-3] + "y"
        elif stem.endswith(("ss", "us", "Goods")):
            pass
        elif stem.endswith("s") and len(stem) > 1:
            stem = stem[:-1]
    return stem


def is_id_field(name: str) -> bool:
    return name in ("id", "ids") or bool(ID_NAME_RE.search(name))


def mark_id_items(schema: JSON) -> JSON:
    """Copy of an array schema whose innermost scalar items also carry ``x-pandapon-id``."""
    if schema.get("type") == "array":
        return {**schema, "items": mark_id_items(schema["items"])}
    if "$ref" in schema or schema.get("type") == "object":
        return schema
    return {**schema, "x-pandapon-id": True}


def check_identifier(name: str, where: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or not SNAKE_RE.match(name):
        raise CatalogueError(f"{where}: {name!r} is not a valid snake_case Python identifier")


def endpoint_key(entry: JSON) -> str:
    return f"{entry['method']} {entry['path']}"


def is_full_example(value: Any) -> bool:
    return value is not None and not (isinstance(value, dict) and value.get("partial") is True)


def is_partial_example(value: Any) -> bool:
    return isinstance(value, dict) and value.get("partial") is True


# --------------------------------------------------------------------------------------
# Response evidence beyond the catalogue's field lists (tools/response_shapes.json)
#
# The catalogue lists the response members the PandaPon pages show. response_shapes.json adds, per endpoint, what
# other sources show: keys seen only in an example, and the upstream (1688) response fields transcribed from
# upstream-shapes.md with their tier and source. Every response member of an endpoint then carries its evidence:
# ``documented`` (a PandaPon page), ``example`` (only an example shows it) or ``upstream`` (only the upstream API's
# documentation does), emitted as ``x-pandapon-evidence`` (plus ``-source``, ``-tier``, ``x-pandapon-upstream-api``).

SHAPES_PATH = Path(__file__).resolve().with_name("response_shapes.json")
EVIDENCE_LEVELS = ("documented", "example", "upstream")
EVIDENCE_TIERS = ("pandapon", "upstream-official", "upstream-third-party")
SHAPE_ENTRY_KEYS = ("note", "response", "tiers", "add", "add_from")
SHAPE_EVIDENCE_KEYS = ("level", "tier", "source", "api", "where")
SHAPE_RESPONSE_KEYS = ("data_type", "same_as", "basis", "fields", *SHAPE_EVIDENCE_KEYS)
SHAPE_BLOCK_KEYS = ("at", "fields", *SHAPE_EVIDENCE_KEYS)
FIELD_KEYS = (
    "name",
    "type",
    "required",
    "description",
    "example",
    "json_in_string",
    "json_type",
    "fields",
    "money",
    "same_as",
    *SHAPE_EVIDENCE_KEYS,
)
DOCUMENTED: JSON = {"level": "documented"}


def evidence_of(spec: JSON, inherited: JSON, where: str) -> JSON:
    """The evidence a shapes entry (block, response or field) states, the rest inherited from its parent."""
    evidence = {**inherited, **{k: spec[k] for k in SHAPE_EVIDENCE_KEYS if k in spec}}
    level = evidence.get("level")
    if level not in EVIDENCE_LEVELS:
        raise CatalogueError(f"{where}: evidence level {level!r} must be one of {EVIDENCE_LEVELS}")
    if level != "documented" and not evidence.get("source"):
        raise CatalogueError(f"{where}: {level} evidence needs its source")
    if level == "upstream" and evidence.get("tier") not in EVIDENCE_TIERS[1:]:
        raise CatalogueError(f"{where}: upstream evidence needs a tier in {EVIDENCE_TIERS[1:]}")
    if "tier" in evidence and evidence["tier"] not in EVIDENCE_TIERS:
        raise CatalogueError(f"{where}: tier {evidence['tier']!r}")
    return evidence


def evidence_extensions(evidence: JSON) -> JSON:
    out: JSON = {"x-pandapon-evidence": evidence["level"]}
    if evidence.get("tier"):
        out["x-pandapon-evidence-tier"] = evidence["tier"]
    if evidence.get("source"):
        out["x-pandapon-evidence-source"] = evidence["source"]
    if evidence.get("api"):
        out["x-pandapon-upstream-api"] = evidence["api"]
    return out


def with_evidence_note(description: str, evidence: JSON | None) -> str:
    """The field's description, followed by what it is known from when that is not a PandaPon page."""
    if evidence is None or evidence["level"] == "documented":
        return description
    if evidence["level"] == "example":
        note = f"Known only from an example ({evidence.get('where') or evidence['source']})."
    else:
        api = f" {evidence['api']}" if evidence.get("api") else ""
        note = f"Known only from the upstream API{api} ({evidence['tier']}); PandaPon may differ."
    return f"{description} {note}".strip()


def tag_fields(fields: list[JSON] | None, evidence: JSON, where: str) -> list[JSON]:
    """``fields`` (a shapes list or catalogue list) as catalogue fields, each carrying its ``evidence``."""
    out: list[JSON] = []
    for spec in fields or []:
        name = spec.get("name")
        if not isinstance(name, str) or not isinstance(spec.get("type"), str):
            raise CatalogueError(f"{where}: a field needs a name and a type: {spec}")
        unknown = [k for k in spec if k not in FIELD_KEYS and k != "evidence"]
        if unknown:
            raise CatalogueError(f"{where}.{name}: unknown keys {unknown}")
        own = evidence_of(spec, evidence, f"{where}.{name}")
        field = {k: v for k, v in spec.items() if k not in SHAPE_EVIDENCE_KEYS}
        split_type(field["type"])
        field["evidence"] = own
        if "fields" in spec:
            field["fields"] = tag_fields(spec["fields"], own, f"{where}.{name}") if spec["fields"] is not None else None
        out.append(field)
    return out


def field_at(fields: list[JSON], path: list[str], where: str) -> JSON:
    found: JSON | None = None
    for step in path:
        found = next((f for f in fields if f["name"] == step), None)
        if found is None:
            raise CatalogueError(f"{where}: no field {step!r} on the path {path}")
        fields = found.get("fields") or []
    if found is None:
        raise CatalogueError(f"{where}: empty path")
    return found


def add_fields(response: JSON, block: JSON, where: str) -> None:
    unknown = [k for k in block if k not in SHAPE_BLOCK_KEYS]
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {unknown}")
    if response["fields"] is None:
        raise CatalogueError(f"{where}: fields added to an answer whose shape is unknown")
    path = list(block.get("at") or [])
    target: list[JSON] = response["fields"]
    if path:
        parent = field_at(response["fields"], path, where)
        if split_type(parent["type"])[1] != "object" or parent.get("same_as"):
            raise CatalogueError(f"{where}: {'.'.join(path)} is not an object with its own members")
        if parent.get("fields") is None:
            parent["fields"] = []
        target = parent["fields"]
    for field in tag_fields(block["fields"], evidence_of(block, {}, where), where + ":" + ".".join(path)):
        if any(f["name"] == field["name"] for f in target):
            raise CatalogueError(f"{where}: {'.'.join([*path, field['name']])} is already a field")
        target.append(field)


def apply_shapes(catalogue: list[JSON], shapes: JSON) -> list[JSON]:
    """A copy of the catalogue whose endpoint responses carry the shapes' fields and every field's evidence.

    Each endpoint also gets ``response_evidence`` (what its ``data`` shape is known from, ``None`` when unknown)
    and ``response_basis`` (how that shape was derived, for shapes not shown by PandaPon).
    """
    out = json.loads(json.dumps(catalogue))
    by_key = {endpoint_key(e): e for e in out if e["kind"] == "endpoint"}
    entries = {k: v for k, v in shapes.items() if not k.startswith("_")}
    for key, entry in entries.items():
        if key not in by_key:
            raise CatalogueError(f"response shapes: {key!r} is not a catalogue endpoint")
        unknown = [k for k in entry if k not in SHAPE_ENTRY_KEYS]
        if unknown:
            raise CatalogueError(f"response shapes {key}: unknown keys {unknown}")
    for key, e in by_key.items():
        response = e["response"]
        shown = response["fields"] is not None or response["envelope"] == "code-msg-only"
        e["response_evidence"] = "documented" if shown else None
        e["response_basis"] = None
        response["fields"] = None if response["fields"] is None else tag_fields(response["fields"], DOCUMENTED, key)
        entry = entries.get(key) or {}
        whole = entry.get("response")
        if whole is not None:
            where = f"response shapes {key} response"
            unknown = [k for k in whole if k not in SHAPE_RESPONSE_KEYS]
            if shown or unknown or not isinstance(whole.get("basis"), str):
                raise CatalogueError(f"{where}: only for an unknown answer, with a basis (unknown keys {unknown})")
            evidence = evidence_of(whole, {}, where)
            e["response_evidence"], e["response_basis"] = evidence["level"], whole["basis"]
            if "same_as" not in whole:
                response["data_type"] = whole["data_type"]
                response["fields"] = tag_fields(whole["fields"], evidence, key)
        for path, tier in (entry.get("tiers") or {}).items():
            if response["fields"] is None:
                raise CatalogueError(f"response shapes {key}: tiers for an unknown answer")
            field = field_at(response["fields"], path.split("."), f"response shapes {key} tiers")
            tagged = tag_fields([{"name": field["name"], "type": field["type"], **tier}], DOCUMENTED, key)[0]
            retag(field, tagged["evidence"])
        for block in entry.get("add") or []:
            add_fields(response, block, f"response shapes {key} add")
    for key, entry in entries.items():
        source = entry.get("add_from")
        if source is not None:
            for block in (entries.get(source) or {}).get("add") or []:
                add_fields(by_key[key]["response"], block, f"response shapes {key} add_from {source}")
    for key, entry in entries.items():
        target = (entry.get("response") or {}).get("same_as")
        if target is not None:
            if target not in by_key or by_key[target]["response"]["fields"] is None:
                raise CatalogueError(f"response shapes {key}: same_as {target!r} has no known answer")
            response = by_key[key]["response"]
            response["same_as"] = target
            response["data_type"] = by_key[target]["response"]["data_type"]
            response["fields"] = json.loads(json.dumps(by_key[target]["response"]["fields"]))
    return out


def retag(field: JSON, evidence: JSON) -> None:
    """Give a catalogue field (and its members) the evidence a ``tiers`` entry states."""
    field["evidence"] = evidence
    for member in field.get("fields") or []:
        retag(member, evidence)


def load_shapes(path: Path = SHAPES_PATH) -> JSON:
    shapes: JSON = json.loads(path.read_text(encoding="utf-8"))
    return shapes


# --------------------------------------------------------------------------------------
# Field trees


def walk_field_names(fields: list[JSON] | None) -> list[str]:
    """Every wire name in a field tree (depth first, catalogue order)."""
    out: list[str] = []
    for field in fields or []:
        out.append(field["name"])
        out.extend(walk_field_names(field.get("fields")))
    return out


def split_type(type_str: str) -> tuple[int, str]:
    """``array<array<object>>`` -> (2, "object")."""
    depth = 0
    while type_str.startswith("array<") and type_str.endswith(">"):
        depth += 1
        type_str = type_str[len("array<") : -1]
    # "any": a value whose JSON type no source states (upstream field lists name some members without a type).
    if type_str not in SCALAR_TYPES and type_str not in ("object", "any"):
        raise CatalogueError(f"unknown field type {type_str!r}")
    return depth, type_str


class SchemaBuilder:
    """Builds component schemas; names are allocated deterministically in call order."""

    def __init__(self, reserved: list[str]) -> None:
        self.components: dict[str, JSON | None] = {}
        self.reserved = list(reserved)
        # Wire names forced to be identifiers for the endpoint being built ("ids" override).
        self.extra_ids: list[str] = []
        # "METHOD path" -> name of its result component (for fields whose rows are another answer's, "same_as").
        self.result_names: dict[str, str] = {}

    def allocate(self, base: str) -> str:
        name = base
        n = 2
        while name in self.components or name in self.reserved:
            name = f"{base}{n}"
            n += 1
        self.components[name] = None  # placeholder keeps parents before children
        return name

    def claim(self, name: str) -> None:
        if name in self.components:
            raise CatalogueError(f"component {name!r} allocated twice")
        if name in self.reserved:
            self.reserved.remove(name)
        self.components[name] = None

    def set(self, name: str, schema: JSON) -> None:
        self.components[name] = schema

    # ---------------------------------------------------------------------------------

    def object_schema(
        self,
        fields: list[JSON],
        *,
        parent: str,
        response: bool,
        money: dict[str, str],
        names: dict[str, str] | None = None,
        same_schema_as: dict[str, str] | None = None,
        description: str | None = None,
    ) -> JSON:
        """Schema of an object whose members are ``fields`` (used for components)."""
        properties: JSON = {}
        required: list[str] = []
        seen_python: dict[str, str] = {}
        refs_by_field: dict[str, JSON] = {}
        for field in fields:
            wire = field["name"]
            if wire in properties:
                raise CatalogueError(f"{parent}: duplicate field {wire!r}")
            alias = (same_schema_as or {}).get(wire)
            if alias is not None:
                if alias not in refs_by_field:
                    raise CatalogueError(f"{parent}: same_schema_as target {alias!r} must precede {wire!r}")
                prop = self.property_schema(
                    field,
                    parent=parent,
                    response=response,
                    money=money,
                    names=names,
                    base_override=refs_by_field[alias],
                )
            else:
                prop = self.property_schema(field, parent=parent, response=response, money=money, names=names)
                refs_by_field[wire] = prop.pop("x-base-schema")
            prop.pop("x-base-schema", None)
            py = prop["x-pandapon-python-name"]
            if py in seen_python:
                raise CatalogueError(f"{parent}: {wire!r} and {seen_python[py]!r} share Python name {py!r}")
            seen_python[py] = wire
            properties[wire] = prop
            if not response and field.get("required") is True:
                required.append(wire)
        schema: JSON = {"type": "object"}
        if description:
            schema["description"] = description
        schema["properties"] = properties
        if not response:
            schema["required"] = required
        schema["additionalProperties"] = True
        return schema

    def component_for(
        self,
        field_name: str,
        fields: list[JSON],
        *,
        parent: str,
        is_array: bool,
        response: bool,
        money: dict[str, str],
        description: str | None = None,
    ) -> JSON:
        name = self.allocate(parent + component_stem(field_name, is_array))
        self.set(
            name,
            self.object_schema(fields, parent=name, response=response, money=money, description=description),
        )
        return {"$ref": REF_PREFIX + name}

    def type_schema(
        self,
        type_str: str,
        field: JSON,
        *,
        parent: str,
        response: bool,
        money: dict[str, str],
    ) -> JSON:
        """Schema of a value of ``type_str`` (nested members taken from ``field['fields']``)."""
        depth, base = split_type(type_str)
        if base == "object" and field.get("same_as"):
            # The rows of another operation's answer (response_shapes.json): that operation's result component.
            if field["same_as"] not in self.result_names:
                raise CatalogueError(f"{parent}.{field['name']}: same_as {field['same_as']!r} has no result component")
            inner = {"$ref": REF_PREFIX + self.result_names[field["same_as"]]}
        elif base == "object":
            nested = field.get("fields")
            if nested:
                inner = self.component_for(
                    field["name"],
                    nested,
                    parent=parent,
                    is_array=depth > 0,
                    response=response,
                    money=money,
                    description=field.get("description") or None,
                )
            else:
                inner = {"type": "object", "additionalProperties": True, "x-pandapon-unknown": True}
        elif base == "any":
            if field.get("fields"):
                raise CatalogueError(f"{parent}.{field['name']}: a value of unstated type with nested fields")
            inner = {}
        else:
            if field.get("fields"):
                raise CatalogueError(f"{parent}.{field['name']}: scalar {type_str} with nested fields")
            inner = dict(SCALAR_TYPES[base])
        for _ in range(depth):
            inner = {"type": "array", "items": inner}
        return inner

    def property_schema(
        self,
        field: JSON,
        *,
        parent: str,
        response: bool,
        money: dict[str, str],
        names: dict[str, str] | None = None,
        base_override: JSON | None = None,
    ) -> JSON:
        """Property schema of one field, with description, example and x- extensions.

        The un-nulled value schema is returned under the temporary key ``x-base-schema``
        so that ``same_schema_as`` can reuse it; the caller removes it.
        """
        wire = field["name"]
        if base_override is not None:
            base = base_override
        elif field.get("json_in_string"):
            if field["type"] != "string" or not field.get("json_type"):
                raise CatalogueError(f"{parent}.{wire}: json_in_string needs type string and a json_type")
            # The encoded content is always something the caller builds: request context.
            content = self.type_schema(field["json_type"], field, parent=parent, response=False, money=money)
            base = {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": content,
                "x-pandapon-json-in-string": True,
            }
        else:
            base = self.type_schema(field["type"], field, parent=parent, response=response, money=money)
            if base.get("type") == "array" and (is_id_field(wire) or wire in self.extra_ids):
                base = mark_id_items(base)
        # Response properties are nullable, always in the anyOf form.
        prop: JSON = {"anyOf": [base, {"type": "null"}]} if response else dict(base)
        evidence: JSON | None = field.get("evidence") if response else None
        prop["description"] = with_evidence_note(field.get("description") or "", evidence)
        if "example" in field:
            prop["example"] = field["example"]
        py = (names or {}).get(wire) or python_name(wire)
        check_identifier(py, f"{parent}.{wire}")
        prop["x-pandapon-python-name"] = py
        if is_id_field(wire) or wire in self.extra_ids:
            prop["x-pandapon-id"] = True
        unit = field.get("money") or money.get(wire)
        if unit is not None:
            if unit not in MONEY_UNITS:
                raise CatalogueError(f"{parent}.{wire}: money unit {unit!r}")
            prop["x-pandapon-money-unit"] = unit
        if evidence is not None:
            prop.update(evidence_extensions(evidence))
        prop["x-base-schema"] = base
        return prop


# --------------------------------------------------------------------------------------
# Validation of the overrides against the catalogue


def validate_overrides(endpoints: list[JSON], overrides: JSON) -> None:
    keys = [endpoint_key(e) for e in endpoints]
    if len(set(keys)) != len(keys):
        raise CatalogueError("duplicate METHOD path in the catalogue")
    missing = [k for k in keys if k not in overrides]
    extra = [k for k in overrides if k not in keys]
    if missing or extra:
        raise CatalogueError(f"overrides do not match the catalogue: missing {missing}, extra {extra}")
    methods_by_resource: dict[str, dict[str, str]] = {}
    for entry in endpoints:
        key = endpoint_key(entry)
        ov = overrides[key]
        unknown_keys = [k for k in ov if k not in OVERRIDE_KEYS]
        if unknown_keys:
            raise CatalogueError(f"{key}: unknown override keys {unknown_keys}")
        method = ov.get("method")
        if not isinstance(method, str):
            raise CatalogueError(f"{key}: method missing")
        check_identifier(method, f"{key} method")
        resource = RESOURCE_BY_GROUP[entry["group"]]
        taken = methods_by_resource.setdefault(resource, {})
        if method in taken:
            raise CatalogueError(f"{key}: method {resource}.{method} also used by {taken[method]}")
        taken[method] = key

        fields = entry["request"]["fields"]
        top_names = [f["name"] for f in fields or []]
        for wire, py in (ov.get("params") or {}).items():
            if wire not in top_names:
                raise CatalogueError(f"{key}: params override for unknown field {wire!r}")
            check_identifier(py, f"{key} params[{wire}]")
        positional = ov.get("positional") or []
        if len(set(positional)) != len(positional) or any(p not in top_names for p in positional):
            raise CatalogueError(f"{key}: bad positional list {positional}")

        pagination = ov.get("pagination")
        if pagination is not None:
            if list(pagination) not in (list(PAGINATION_KEYS), [*PAGINATION_KEYS, "basis"]):
                raise CatalogueError(f"{key}: pagination keys must be {PAGINATION_KEYS} (then 'basis') in that order")
            if fields is None:
                # Request fields unknown: the page fields cannot be checked; the override says where they come from.
                if not str(pagination.get("basis") or "").startswith("Inferred: "):
                    raise CatalogueError(f"{key}: pagination of unknown request fields needs a basis 'Inferred: ...'")
            else:
                for param in ("page_param", "size_param"):
                    if pagination[param] not in top_names:
                        raise CatalogueError(f"{key}: pagination {param} {pagination[param]!r} not a request field")
            if not isinstance(pagination["items_path"], list):
                raise CatalogueError(f"{key}: items_path must be a list")

        if entry["confidence"] == "inferred":
            source = ov.get("inferred_from")
            if source not in keys or source == key:
                raise CatalogueError(f"{key}: inferred_from must name another catalogue endpoint")
        elif "inferred_from" in ov:
            raise CatalogueError(f"{key}: inferred_from only applies to inferred endpoints")

        all_names = walk_field_names(fields) + walk_field_names(entry["response"]["fields"])
        for wire, unit in (ov.get("money") or {}).items():
            if wire not in all_names:
                raise CatalogueError(f"{key}: money field {wire!r} not in the catalogue fields")
            if unit not in MONEY_UNITS:
                raise CatalogueError(f"{key}: money unit {unit!r}")
        for wire in ov.get("ids") or []:
            if wire not in all_names:
                raise CatalogueError(f"{key}: ids override for unknown field {wire!r}")
        for wire, target in (ov.get("same_schema_as") or {}).items():
            if wire not in all_names or target not in all_names:
                raise CatalogueError(f"{key}: same_schema_as {wire!r} -> {target!r}: unknown field")

    validate_links(endpoints, overrides)


# --------------------------------------------------------------------------------------
# Links (the stateful flows: which id of one operation feeds which input of the next)

# A value's type as the catalogue gives it: (array depth, base type, nested fields of an object).
ValueType = tuple[int, str, list[JSON] | None]


def value_type(field: JSON) -> ValueType:
    depth, base = split_type(field["type"])
    return depth, base, (field.get("fields") if base == "object" else None)


def describe_type(value: ValueType) -> str:
    depth, base, _ = value
    return "array<" * depth + base + ">" * depth


def find_field(fields: list[JSON] | None, name: str, aliases: dict[str, str] | None = None) -> JSON | None:
    """The field ``name`` of ``fields``; one listed in ``aliases`` (``same_schema_as``) takes its sibling's type."""
    field = next((f for f in fields or [] if f["name"] == name), None)
    alias = (aliases or {}).get(name)
    sibling = next((f for f in fields or [] if f["name"] == alias), None) if alias else None
    if field is not None and sibling is not None:
        return {**field, "type": sibling["type"], "fields": sibling.get("fields")}
    return field


def pointer_tokens(pointer: str) -> list[str]:
    """``/a/b~1c`` -> ``["a", "b/c"]`` (RFC 6901)."""
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def pointer_type(start: ValueType, tokens: list[str], where: str, aliases: dict[str, str]) -> ValueType:
    """Type of the value a JSON pointer reaches inside a value of type ``start`` (arrays take an index)."""
    depth, base, fields = start
    for token in tokens:
        if depth > 0:
            if not token.isdigit():
                raise CatalogueError(f"{where}: pointer token {token!r} must be an array index")
            depth -= 1
            continue
        field = find_field(fields, token, aliases) if base == "object" else None
        if field is None:
            raise CatalogueError(f"{where}: the pointer names {token!r}, not a documented field there")
        depth, base, fields = value_type(field)
    return depth, base, fields


def expression_type(expression: Any, source: JSON, aliases: dict[str, str], where: str) -> ValueType:
    """Type of what a runtime expression evaluates to, from the source operation's documented fields."""
    if not isinstance(expression, str):
        raise CatalogueError(f"{where}: {expression!r} is not a runtime expression")
    request, response = source["request"], source["response"]
    found = RESPONSE_DATA_RE.match(expression)
    if found:
        if response["envelope"] != "standard" or not response["fields"]:
            raise CatalogueError(f"{where}: {expression}: the data fields of the source's response are unknown")
        depth, base = split_type(response["data_type"] or "object")
        return pointer_type((depth, base, response["fields"]), pointer_tokens(found.group(1)), where, aliases)
    found = REQUEST_BODY_RE.match(expression)
    if found:
        if request["location"] != "body" or not request["fields"]:
            raise CatalogueError(f"{where}: {expression}: the source takes no documented body")
        return pointer_type((0, "object", request["fields"]), pointer_tokens(found.group(1)), where, aliases)
    found = REQUEST_PARAM_RE.match(expression)
    if found:
        location, name = found.groups()
        field = find_field(request["fields"], name) if request["location"] == location else None
        if field is None:
            raise CatalogueError(f"{where}: {expression}: the source has no {location} parameter {name!r}")
        return value_type(field)
    raise CatalogueError(
        f"{where}: {expression!r} is not one of $response.body#/data/..., $request.body#/..., "
        "$request.query.<name>, $request.path.<name>"
    )


def base_assignable(value: str, target: str) -> bool:
    integers = ("integer", "int64")
    if value == target or (value in integers and target in integers):
        return True
    return target == "number" and value in (*integers, "number")


def check_assignable(value: ValueType, target: ValueType, where: str) -> None:
    """A value of type ``value`` must be valid where ``target`` is documented (same JSON type and nesting)."""
    if value[0] != target[0] or not base_assignable(value[1], target[1]):
        raise CatalogueError(
            f"{where}: a value of type {describe_type(value)} cannot fill a field of type {describe_type(target)}"
        )
    if value[1] == "object" and value[2] and target[2]:
        for field in value[2]:
            counterpart = find_field(target[2], field["name"])
            if counterpart is None:
                raise CatalogueError(f"{where}: the value carries {field['name']!r}, not a field of the target")
            check_assignable(value_type(field), value_type(counterpart), f"{where}.{field['name']}")


def check_template(
    template: Any, target: ValueType, source: tuple[JSON, dict[str, str]], aliases: dict[str, str], where: str
) -> None:
    """``template``: an expression, or an object / array of templates, filling a value of type ``target``.

    ``source``: the source endpoint and its ``same_schema_as`` aliases; ``aliases``: the target's."""
    depth, base, fields = target
    if isinstance(template, dict):
        if depth or base != "object" or not fields:
            raise CatalogueError(f"{where}: an object template needs an object with documented fields")
        for name, sub in template.items():
            field = find_field(fields, name, aliases)
            if field is None:
                raise CatalogueError(f"{where}: {name!r} is not a documented field of the target")
            if field.get("json_in_string"):
                raise CatalogueError(f"{where}.{name}: a JSON-in-string field cannot be filled by an expression")
            check_template(sub, value_type(field), source, aliases, f"{where}.{name}")
    elif isinstance(template, list):
        if not template or depth == 0:
            raise CatalogueError(f"{where}: an array template needs a non-empty list for an array field")
        for index, item in enumerate(template):
            check_template(item, (depth - 1, base, fields), source, aliases, f"{where}[{index}]")
    else:
        check_assignable(expression_type(template, *source, where), target, where)


def validate_links(endpoints: list[JSON], overrides: JSON) -> None:
    """Each link names a known operation; its parameters and body fields are inputs of that operation; each
    expression reaches a documented field of the source (its 200 ``data`` or its request) of a fitting type."""
    by_operation_id = {f"{RESOURCE_BY_GROUP[e['group']]}.{overrides[endpoint_key(e)]['method']}": e for e in endpoints}
    for source in endpoints:
        key = endpoint_key(source)
        aliases = overrides[key].get("same_schema_as") or {}
        links = overrides[key].get("links")
        if links is None:
            continue
        if not isinstance(links, dict) or not links:
            raise CatalogueError(f"{key}: links must be a non-empty object")
        for name, link in links.items():
            where = f"{key} link {name}"
            if not LINK_NAME_RE.match(name):
                raise CatalogueError(f"{where}: a link name must match {LINK_NAME_RE.pattern}")
            unknown = [k for k in link if k not in LINK_KEYS]
            if unknown:
                raise CatalogueError(f"{where}: unknown keys {unknown}")
            if not isinstance(link.get("description"), str) or not link["description"]:
                raise CatalogueError(f"{where}: description missing")
            target = by_operation_id.get(link.get("operationId"))
            if target is None:
                raise CatalogueError(f"{where}: unknown operationId {link.get('operationId')!r}")
            if "parameters" not in link and "requestBody" not in link:
                raise CatalogueError(f"{where}: a link must carry parameters or a requestBody")
            request = target["request"]
            target_aliases = overrides[endpoint_key(target)].get("same_schema_as") or {}
            for param, expression in (link.get("parameters") or {}).items():
                located = request["location"] in ("query", "path")
                field = find_field(request["fields"], param, target_aliases) if located else None
                if field is None:
                    raise CatalogueError(f"{where}: {param!r} is not a parameter of {link['operationId']}")
                value = expression_type(expression, source, aliases, where)
                check_assignable(value, value_type(field), f"{where} {param}")
            if "requestBody" in link:
                body = link["requestBody"]
                if request["location"] != "body" or not request["fields"]:
                    raise CatalogueError(f"{where}: {link['operationId']} takes no documented body")
                if not isinstance(body, dict) or not body:
                    raise CatalogueError(f"{where}: requestBody must be a non-empty object template")
                fields = (0, "object", request["fields"])
                check_template(body, fields, (source, aliases), target_aliases, f"{where} requestBody")


def build_links(links: JSON) -> JSON:
    return {name: {k: link[k] for k in LINK_KEYS if k in link} for name, link in links.items()}


# --------------------------------------------------------------------------------------
# Document


def markdown_description(entry: JSON) -> str:
    parts: list[str] = []
    if entry.get("title_zh"):
        parts.append(entry["title_zh"])
    if entry.get("notes"):
        parts.append("\n".join(f"- {note}" for note in entry["notes"]))
    return "\n\n".join(parts)


def param_order(fields: list[JSON], positional: list[str]) -> list[str]:
    rest = [f for f in fields if f["name"] not in positional]
    required = [f["name"] for f in rest if f.get("required") is True]
    optional = [f["name"] for f in rest if f.get("required") is not True]
    return list(positional) + required + optional


def envelope_components() -> JSON:
    def nullable(*types: str) -> JSON:
        return {"anyOf": [{"type": t} for t in types] + [{"type": "null"}]}

    envelope: JSON = {
        "type": "object",
        "description": (
            "Standard response envelope (Development manual). Success is code 200 for certain; "
            "code 0 appears in placeholder examples and in the address add/update example, so the "
            "success set should be configurable. Every field may be absent; unknown keys are kept."
        ),
        "properties": {
            "requestId": {
                **nullable("string"),
                "description": "Request id, for looking up the server log; can be null.",
                "x-pandapon-python-name": "request_id",
                "x-pandapon-id": True,
            },
            "code": {
                "type": "integer",
                "description": "Return code (200 on success in every real example).",
                "x-pandapon-python-name": "code",
            },
            "developId": {
                **nullable("string", "integer"),
                "description": "Developer id, 19 digits; typed string on some pages and integer on others.",
                "x-pandapon-python-name": "develop_id",
                "x-pandapon-id": True,
            },
            "msg": {
                **nullable("string"),
                "description": 'Text for the return code ("成功" on success).',
                "x-pandapon-python-name": "msg",
            },
            "data": {
                "description": "Content: object, array, boolean or string depending on the endpoint.",
                "x-pandapon-python-name": "data",
            },
        },
        "additionalProperties": True,
    }
    code_msg: JSON = {
        "type": "object",
        "description": (
            "Reduced envelope {code, msg} without requestId, developId or data (POST /open/address/addOrUpdate)."
        ),
        "properties": {
            "code": {
                "type": "integer",
                "description": "Return code (0 in the only example).",
                "x-pandapon-python-name": "code",
            },
            "msg": {
                **nullable("string"),
                "description": "Description of the result.",
                "x-pandapon-python-name": "msg",
            },
        },
        "additionalProperties": True,
    }
    push: JSON = {
        "type": "object",
        "description": (
            "Wrapper of every message push (Message Access Manual). Pushes are HTTPS POSTs signed in the "
            "Authorization header (HEX(HMAC-SHA256(Base, AccessSecret)); Base unknown). Answer HTTP 200 "
            "within 1000 ms; failed pushes are retried after half an hour, at most 5 times; order is not "
            "guaranteed."
        ),
        "properties": {
            "messageType": {
                "type": "string",
                "description": "Message type (消息类型); unknown values must be tolerated.",
                "x-pandapon-python-name": "message_type",
            },
            "messageBody": {
                "oneOf": [
                    {"type": "object", "additionalProperties": True},
                    {"type": "string", "contentMediaType": "application/json", "x-pandapon-json-in-string": True},
                ],
                "description": (
                    "Message body (消息体): documented as an object; the Xportcn mirror sends JSON text. Accept both."
                ),
                "x-pandapon-python-name": "message_body",
            },
            "messagePlatform": {
                "type": "integer",
                "description": "Message channel (消息渠道): 0 = Taobao, 1 = 1688.",
                "x-pandapon-python-name": "message_platform",
            },
            "timestamp": {
                "type": "string",
                "description": "Push time (消息推送时间); epoch milliseconds as a string in the mirror examples.",
                "x-pandapon-python-name": "timestamp",
            },
        },
        "additionalProperties": True,
    }
    return {"Envelope": envelope, "EnvelopeCodeMsg": code_msg, "PushMessage": push}


def security_schemes() -> JSON:
    return {
        "headerSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "signature",
            "description": (
                "Five system headers on every call: `access-key` (the developer's AccessKey), `timestamp` "
                "(UTC epoch; milliseconds in the doc samples, seconds in working third-party clients; must be "
                "within 600 s), `nonce-str` (32 random characters; send it always), `user-id` (the buyer "
                "(sub-)account the call acts for; not signed) and `signature`. Best-evidence algorithm (the "
                "official text is not published): `signature = UPPER(HEX(MD5(access_key + timestamp + "
                "nonce_str + access_secret)))`, plain concatenation of the header values; body, query, path, "
                "method and user-id are not signed. Re-sign every retry with a fresh timestamp and nonce."
            ),
        },
        "querySign": {
            "type": "apiKey",
            "in": "query",
            "name": "sign",
            "description": (
                "Warehouse-logistics endpoints (/open/pp/logistics/*): query parameters `timestamp` (string, "
                "required) and `sign` (string, required) instead of the system headers. The `sign` algorithm, "
                "the timestamp unit and whether the system headers are also required are unknown; v2 adds an "
                "optional `nonce-str` header."
            ),
        },
    }


def build_document(catalogue: list[JSON], overrides: JSON, shapes: JSON | None = None) -> JSON:
    """The OpenAPI document; ``shapes`` defaults to ``tools/response_shapes.json``."""
    catalogue = apply_shapes(catalogue, load_shapes() if shapes is None else shapes)
    endpoints = [e for e in catalogue if e["kind"] == "endpoint"]
    callbacks = [e for e in catalogue if e["kind"] == "callback"]
    other = [e for e in catalogue if e["kind"] not in ("endpoint", "callback")]
    if other:
        raise CatalogueError(f"unknown kinds: {[e['kind'] for e in other]}")
    validate_overrides(endpoints, overrides)

    # Operation ids and component prefixes, reserved before any nested component is named.
    plan: list[tuple[JSON, JSON, str, str, str]] = []
    reserved: list[str] = list(envelope_components())
    prefixes: set[str] = set()
    for entry in endpoints:
        ov = overrides[endpoint_key(entry)]
        resource = RESOURCE_BY_GROUP[entry["group"]]
        operation_id = f"{resource}.{ov['method']}"
        prefix = "".join(pascal_case(part) for part in operation_id.split("."))
        if prefix in prefixes:
            raise CatalogueError(f"component prefix {prefix} is not unique")
        prefixes.add(prefix)
        reserved += [prefix + "Request", prefix + "Result"]
        plan.append((entry, ov, resource, operation_id, prefix))
    webhook_plan: list[tuple[JSON, str, str]] = []
    for entry in callbacks:
        snake = WEBHOOK_NAMES.get(entry["path"])
        if snake is None:
            raise CatalogueError(f"no webhook name for callback {entry['path']!r}")
        prefix = pascal_case(snake)
        if prefix in prefixes:
            raise CatalogueError(f"component prefix {prefix} is not unique")
        prefixes.add(prefix)
        reserved.append(prefix + "Body")
        webhook_plan.append((entry, snake, prefix))

    builder = SchemaBuilder(reserved)
    builder.result_names = {endpoint_key(entry): prefix + "Result" for entry, _, _, _, prefix in plan}
    for name, schema in envelope_components().items():
        builder.claim(name)
        builder.set(name, schema)

    tags: list[str] = []
    for entry in catalogue:
        if entry["group"] not in tags:
            tags.append(entry["group"])

    paths: JSON = {}
    for entry, ov, resource, operation_id, prefix in plan:
        operation = build_operation(builder, entry, ov, resource, operation_id, prefix)
        path_item = paths.setdefault(entry["path"], {})
        verb = entry["method"].lower()
        if verb in path_item:
            raise CatalogueError(f"duplicate operation {entry['method']} {entry['path']}")
        path_item[verb] = operation

    webhooks: JSON = {}
    for entry, snake, prefix in webhook_plan:
        if entry["path"] in webhooks:
            raise CatalogueError(f"duplicate webhook {entry['path']}")
        webhooks[entry["path"]] = {"post": build_webhook(builder, entry, snake, prefix)}

    for name, schema in builder.components.items():
        if schema is None:
            raise CatalogueError(f"component {name} was never built")

    counts = {
        "documented": sum(1 for e in catalogue if e["confidence"] == "documented"),
        "corroborated": sum(1 for e in catalogue if e["confidence"] == "corroborated"),
        "inferred": sum(1 for e in catalogue if e["confidence"] == "inferred"),
    }
    description = (
        "A community description of the PandaPon OpenAPI (Taobao and 1688 cross-border purchasing), "
        "written by the pandapon project from the public documentation; not an official PandaPon "
        f"publication. Sources: {SOURCES_TEXT}. Where sources disagree, PandaPon v1 wins.\n\n"
        "Every operation carries `x-pandapon-confidence`: `documented` (path and fields seen on a PandaPon "
        f"v1 page; {counts['documented']} entries), `corroborated` (seen only on v2, on the Xportcn mirror "
        f"or in a public third-party client; {counts['corroborated']}) or `inferred` (only title and method "
        f"known, path proposed by analogy with `x-pandapon-inferred-from`; {counts['inferred']}). Unknown "
        "request or response members are flagged with `x-pandapon-request-fields-known`, "
        "`x-pandapon-response-fields-known` and `x-pandapon-unknown`; response models must keep unknown "
        "keys and treat every field as optional. Identifiers (`x-pandapon-id`) are strings in the SDK "
        "whatever their JSON type; money units are in `x-pandapon-money-unit`. Response properties are "
        "nullable through `anyOf: [<schema>, {type: null}]`."
    )
    doc = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "PandaPon OpenAPI (community description by pandapon)",
            "version": "1.0.0",
            "description": description,
        },
        "servers": [{"url": SERVER_URL, "description": "Production (the only environment; data is real)"}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "securitySchemes": security_schemes(),
            "schemas": builder.components,
        },
    }
    apply_enums(doc, overrides)
    return doc


def apply_enums(doc: JSON, overrides: JSON) -> None:
    """Mark the response fields an ``enums`` override names (``"baseInfo.status": "AlibabaOrderStatus"``, a path
    under ``data``, array elements crossed as they come) with ``x-pandapon-enum``: the SDK types them with that
    open enum of ``pandapon._enums`` (known values are members, unknown ones are kept)."""
    schemas = doc["components"]["schemas"]

    def resolve(schema: JSON) -> JSON:
        while True:
            if "$ref" in schema:
                schema = schemas[schema["$ref"].removeprefix(REF_PREFIX)]
            elif "anyOf" in schema:
                options = [o for o in schema["anyOf"] if o.get("type") != "null"]
                if len(options) != 1:
                    return schema
                schema = options[0]
            elif schema.get("type") == "array" and "items" in schema:
                schema = schema["items"]
            else:
                return schema

    for key, ov in overrides.items():
        for path, enum in (ov.get("enums") or {}).items():
            if enum not in ENUM_NAMES:
                raise CatalogueError(f"{key}: enums: {enum!r} is not one of {list(ENUM_NAMES)}")
            method, url = key.split(" ", 1)
            response = doc["paths"][url][method.lower()]["responses"]["200"]
            envelope = response["content"]["application/json"]["schema"]
            node: JSON = envelope["allOf"][1]["properties"]["data"]
            for name in path.split("."):
                properties = resolve(node).get("properties") or {}
                if name not in properties:
                    raise CatalogueError(f"{key}: enums: {path!r} does not resolve in the response ({name!r})")
                node = properties[name]
            node["x-pandapon-enum"] = enum


def build_operation(
    builder: SchemaBuilder, entry: JSON, ov: JSON, resource: str, operation_id: str, prefix: str
) -> JSON:
    key = endpoint_key(entry)
    request = entry["request"]
    response = entry["response"]
    fields: list[JSON] | None = request["fields"]
    location: str | None = request.get("location")
    money: dict[str, str] = ov.get("money") or {}
    names: dict[str, str] = ov.get("params") or {}
    positional: list[str] = list(ov.get("positional") or [])
    builder.extra_ids = list(ov.get("ids") or [])
    if not positional and fields:
        positional = [f["name"] for f in fields if f.get("required") is True]
    order = param_order(fields or [], positional)

    auth = entry["auth"]
    if auth not in AUTH_TO_SCHEME:
        raise CatalogueError(f"{key}: auth {auth!r} not valid for an endpoint")
    if response["envelope"] not in ("standard", "code-msg-only"):
        raise CatalogueError(f"{key}: envelope {response['envelope']!r}")
    if not isinstance(entry["idempotent"], bool):
        raise CatalogueError(f"{key}: idempotent must be a boolean")

    op: JSON = {
        "operationId": operation_id,
        "summary": entry["title"],
        "description": markdown_description(entry),
        "tags": [entry["group"]],
        "security": [{AUTH_TO_SCHEME[auth]: []}],
    }

    # ---- request
    if location in ("query", "path"):
        if fields:
            params: list[JSON] = []
            seen: set[str] = set()
            for field in fields:
                prop = builder.property_schema(field, parent=prefix, response=False, money=money, names=names)
                schema = prop.pop("x-base-schema")
                py = prop["x-pandapon-python-name"]
                if py in seen:
                    raise CatalogueError(f"{key}: duplicate Python parameter name {py}")
                seen.add(py)
                if field.get("json_in_string"):
                    raise CatalogueError(f"{key}: json_in_string query parameters are not supported")
                param: JSON = {
                    "in": location,
                    "name": field["name"],
                    "required": True if location == "path" else field.get("required") is True,
                    "schema": schema,
                    "description": prop["description"],
                }
                if "example" in prop:
                    param["example"] = prop["example"]
                for ext in ("x-pandapon-python-name", "x-pandapon-id", "x-pandapon-money-unit"):
                    if ext in prop:
                        param[ext] = prop[ext]
                params.append(param)
            op["parameters"] = params
        if location == "path":
            for field in fields or []:
                if "{" + field["name"] + "}" not in entry["path"]:
                    raise CatalogueError(f"{key}: path parameter {field['name']} not in the path")
        if entry["example_request"] is not None:
            raise CatalogueError(f"{key}: request example on a {location} endpoint")
    elif location == "body":
        media: JSON
        content_type = request.get("content_type") or "application/json"
        if fields is None:
            media = {"schema": {"type": "object", "additionalProperties": True, "x-pandapon-unknown": True}}
            body_required = False
        else:
            name = prefix + "Request"
            builder.claim(name)
            builder.set(
                name,
                builder.object_schema(
                    fields,
                    parent=prefix,
                    response=False,
                    money=money,
                    names=names,
                    same_schema_as=ov.get("same_schema_as"),
                    description=f"Request body of {key} ({entry['title']}).",
                ),
            )
            media = {"schema": {"$ref": REF_PREFIX + name}}
            body_required = any(f.get("required") is True for f in fields)
        add_examples(media, entry["example_request"], entry["example_request_source"])
        op["requestBody"] = {"required": body_required, "content": {content_type: media}}
    else:
        raise CatalogueError(f"{key}: request location {location!r}")

    # ---- response
    op["responses"] = {"200": build_response(builder, entry, ov, prefix, money), **error_responses("requestBody" in op)}

    # ---- extensions
    op["x-pandapon-resource"] = resource
    op["x-pandapon-method"] = ov["method"]
    op["x-pandapon-confidence"] = entry["confidence"]
    op["x-pandapon-path-basis"] = entry["path_basis"]
    op["x-pandapon-v2-path"] = entry["v2_path"]
    op["x-pandapon-sources"] = list(entry["sources"])
    op["x-pandapon-idempotent"] = entry["idempotent"]
    op["x-pandapon-auth"] = auth
    op["x-pandapon-envelope"] = response["envelope"]
    op["x-pandapon-title-zh"] = entry["title_zh"]
    op["x-pandapon-inferred-from"] = ov.get("inferred_from")
    op["x-pandapon-pagination"] = ov.get("pagination")
    op["x-pandapon-request-location"] = location
    op["x-pandapon-request-fields-known"] = fields is not None
    op["x-pandapon-response-fields-known"] = response["fields"] is not None
    # What the shape of `data` is known from (null: unknown), and how a shape not shown by PandaPon was derived.
    op["x-pandapon-response-evidence"] = entry["response_evidence"]
    op["x-pandapon-response-basis"] = entry["response_basis"]
    op["x-pandapon-in-menu"] = entry["in_menu"]
    op["x-pandapon-param-order"] = order
    op["x-pandapon-positional"] = positional
    op["x-pandapon-other-examples"] = list(entry["other_examples"])
    # How to look up the result of a write whose outcome is unknown, by a key the caller chose (our addition).
    op["x-pandapon-reconcile"] = ov.get("reconcile")
    return op


def add_examples(media: JSON, example: Any, source: str | None) -> None:
    if is_partial_example(example):
        media["x-pandapon-partial-example"] = example["text"]
    elif example is not None:
        media["example"] = example
    if example is not None:
        media["x-pandapon-example-source"] = source


ERROR_STATUS_NOTE = (
    " The HTTP statuses the platform uses for errors are not published (API notes §6); these are the ones the SDK"
    " treats as refusals and FakePandaPon answers, each with the envelope (`data` null)."
)


def error_responses(has_body: bool) -> JSON:
    """The refusals answered before an operation runs: bad credentials, rate limit, and (with a body) a body that is
    not JSON."""

    def refusal(text: str) -> JSON:
        return {
            "description": text + ERROR_STATUS_NOTE,
            "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "Envelope"}}},
        }

    out = {
        "401": refusal("Credentials refused: unknown access key, bad signature, stale timestamp or malformed nonce."),
        "429": refusal("Rate limit exceeded; `Retry-After` says when to try again."),
    }
    if has_body:
        out["415"] = refusal("The body was sent with a content type other than `application/json`.")
    return dict(sorted(out.items()))


def build_response(builder: SchemaBuilder, entry: JSON, ov: JSON, prefix: str, money: dict[str, str]) -> JSON:
    key = endpoint_key(entry)
    response = entry["response"]
    fields: list[JSON] | None = response["fields"]
    data_type: str | None = response["data_type"]
    media: JSON
    if response["envelope"] == "code-msg-only":
        if fields not in ([], None) or data_type is not None:
            raise CatalogueError(f"{key}: code-msg-only envelope with data")
        media = {"schema": {"$ref": REF_PREFIX + "EnvelopeCodeMsg"}}
        description = "Reduced envelope {code, msg}; no data is returned."
    else:
        data: JSON
        if response.get("same_as"):
            # The same answer as another operation's (response_shapes.json): its result component.
            depth, _ = split_type(data_type or "object")
            inner: JSON = {"$ref": REF_PREFIX + builder.result_names[response["same_as"]]}
            for _ in range(depth):
                inner = {"type": "array", "items": inner}
            data = {"anyOf": [inner, {"type": "null"}]}
            description = f"Standard envelope; `data` as for {response['same_as']}."
        elif fields:
            depth, base = split_type(data_type or "object")
            if base != "object":
                raise CatalogueError(f"{key}: fields listed for scalar data {data_type}")
            name = prefix + "Result"
            builder.claim(name)
            builder.set(
                name,
                builder.object_schema(
                    fields,
                    parent=prefix,
                    response=True,
                    money=money,
                    same_schema_as=ov.get("same_schema_as"),
                    description=f"Content of `data` for {key} ({entry['title']})"
                    + (", one element of the array." if depth else "."),
                ),
            )
            inner = {"$ref": REF_PREFIX + name}
            for _ in range(depth):
                inner = {"type": "array", "items": inner}
            data = {"anyOf": [inner, {"type": "null"}]}
            description = "Standard envelope; `data` as described."
        elif fields == []:
            if data_type not in ("boolean", "string", "integer", "number"):
                raise CatalogueError(f"{key}: empty fields with data_type {data_type!r}")
            data = {"anyOf": [dict(SCALAR_TYPES[data_type]), {"type": "null"}]}
            description = f"Standard envelope; `data` is a {data_type}."
        else:
            data = {"x-pandapon-unknown": True}
            if data_type is not None:
                data["x-pandapon-data-type"] = data_type
            description = "Standard envelope; the content of `data` is unknown."
        media = {
            "schema": {
                "allOf": [
                    {"$ref": REF_PREFIX + "Envelope"},
                    {"properties": {"data": data}},
                ]
            }
        }
    add_examples(media, entry["example_response"], entry["example_response_source"])
    result: JSON = {"description": description, "content": {"application/json": media}}
    if ov.get("links"):
        result["links"] = build_links(ov["links"])
    return result


def build_webhook(builder: SchemaBuilder, entry: JSON, snake: str, prefix: str) -> JSON:
    key = endpoint_key(entry)
    if entry["method"] != "POST" or entry["auth"] != "callback-hmac":
        raise CatalogueError(f"{key}: callbacks must be POST with callback-hmac auth")
    group_prefix = entry["group"].split(" / ", 1)[0]
    if group_prefix not in PLATFORM_BY_GROUP_PREFIX:
        raise CatalogueError(f"{key}: cannot tell the platform of group {entry['group']!r}")
    fields = entry["request"]["fields"] or []
    by_name = {f["name"]: f for f in fields}
    unknown = [n for n in by_name if n not in ("messageType", "messageBody", "messagePlatform", "timestamp")]
    if unknown:
        raise CatalogueError(f"{key}: unexpected push wrapper fields {unknown}")
    body_fields = (by_name.get("messageBody") or {}).get("fields")
    builder.extra_ids = []
    schema: JSON
    if body_fields:
        name = prefix + "Body"
        builder.claim(name)
        builder.set(
            name,
            builder.object_schema(
                body_fields,
                parent=prefix,
                response=True,
                money={},
                description=f"messageBody of the push {entry['path']} ({entry['title']}).",
            ),
        )
        ref = {"$ref": REF_PREFIX + name}
        schema = {
            "allOf": [
                {"$ref": REF_PREFIX + "PushMessage"},
                {
                    "properties": {
                        "messageBody": {
                            "oneOf": [
                                ref,
                                {
                                    "type": "string",
                                    "contentMediaType": "application/json",
                                    "contentSchema": ref,
                                    "x-pandapon-json-in-string": True,
                                },
                            ]
                        }
                    }
                },
            ]
        }
    else:
        schema = {"$ref": REF_PREFIX + "PushMessage"}
    media: JSON = {"schema": schema}
    add_examples(media, entry["example_request"], entry["example_request_source"])
    return {
        "operationId": f"webhooks.{snake}",
        "summary": entry["title"],
        "description": markdown_description(entry),
        "tags": [entry["group"]],
        "requestBody": {"required": True, "content": {"application/json": media}},
        "responses": {"200": {"description": "Acknowledge within 1000 ms"}},
        "x-pandapon-confidence": entry["confidence"],
        "x-pandapon-message-type": entry["message_type"],
        "x-pandapon-platform": PLATFORM_BY_GROUP_PREFIX[group_prefix],
        "x-pandapon-sources": list(entry["sources"]),
        "x-pandapon-webhook-name": snake,
        "x-pandapon-path-basis": entry["path_basis"],
        "x-pandapon-title-zh": entry["title_zh"],
        "x-pandapon-in-menu": entry["in_menu"],
        "x-pandapon-auth": entry["auth"],
        "x-pandapon-body-fields-known": bool(body_fields),
        "x-pandapon-other-examples": list(entry["other_examples"]),
    }


# --------------------------------------------------------------------------------------


def render(doc: JSON) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--catalogue", required=True, type=Path, help="endpoints.json")
    parser.add_argument("--overrides", required=True, type=Path, help="spec_overrides.json")
    parser.add_argument("--out", required=True, type=Path, help="output OpenAPI JSON document")
    parser.add_argument(
        "--shapes", type=Path, default=SHAPES_PATH, help="response_shapes.json (response evidence beyond the catalogue)"
    )
    args = parser.parse_args(argv)
    catalogue = json.loads(args.catalogue.read_text(encoding="utf-8"))
    overrides = json.loads(args.overrides.read_text(encoding="utf-8"))
    try:
        doc = build_document(catalogue, overrides, load_shapes(args.shapes))
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as f:
        f.write(render(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
