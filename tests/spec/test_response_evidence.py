"""Issue 15 acceptance (a, c): every operation whose answer some source shows returns a model, and every key of every
published example of an answer is a declared field of that model.

Built from the evidence files (``tests/evidence/endpoints.json`` and ``tests/evidence/upstream-shapes.md``, copies of
``../shared/pandapon-api/``), never from the spec, so that the two are checked against each other. Operations are
found through the generated ``Endpoint`` descriptions (method and path), and their models through the generated
classes' wire names.

- Shape known: the catalogue lists the members of ``data`` (or says it is a scalar, or that there is no ``data``); an
  example of the answer shows ``data``; or upstream-shapes.md has a section for the endpoint that gives a field list
  (a ``**pandapon** (…)``, ``**upstream-official** —`` or ``**upstream-third-party**`` source line, not "nothing found").
- Example keys: every key of ``data`` (or of its first row when ``data`` or ``data.data`` is a list), recursively
  through nested objects and first rows, in every catalogue example of an answer (partial ones read up to their cut,
  a key cut mid-name left out) and in upstream-shapes.md's inline JSON examples (an upstream body's ``result`` wrapper
  taken off, the mapping tools/response_shapes.json states).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from pandapon import AsyncPandaPon, Endpoint, Model
from pandapon._generated.operations import OPERATIONS
from pandapon.types import UnknownShape

EVIDENCE = Path(__file__).resolve().parents[1] / "evidence"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "pandapon-api"
CATALOGUE: list[dict[str, Any]] = json.loads((EVIDENCE / "endpoints.json").read_text(encoding="utf-8"))
UPSTREAM = (EVIDENCE / "upstream-shapes.md").read_text(encoding="utf-8")

#: Examples whose ``data`` is not the operation's own: the label names the part of the answer they show.
FRAGMENT_LABEL = re.compile(r"^Continuation of (\w+)\[0\]")
#: The Xportcn mirror's KA preview (``POST /alibaba/ka/order/create/preview``) answers a list of flattened previews;
#: its rows are matched with the single preview's ``orderPreviewResuslt`` elements, where the SDK declares their keys.
VARIANTS = {("POST /alibaba/order/create/preview", "Xportcn KA variant response"): ("orderPreviewResuslt",)}
SHAPE_SOURCE = re.compile(r"\*\*(?:pandapon|upstream-official|upstream-third-party)\*\*\s*(?:\(|—)")


# --------------------------------------------------------------------------- the evidence


def complete(text: str) -> Any:
    """A cut-off JSON text closed where it stops: values cut short are kept as far as they go (a key cut mid-name is
    left out, a complete key whose value is missing gets ``null``), so that every key the text shows is there."""
    stack: list[str] = []
    in_string = escaped = False
    string_start = 0
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string, string_start = True, index
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}":
            stack.pop()
    out = text
    if in_string:
        before = text[:string_start].rstrip()
        if stack and stack[-1] == "{" and before.endswith(("{", ",")):
            out = before  # a key cut mid-name
        else:
            out = text[:-1] if escaped else text
            out += '"'
    out = re.sub(r"(?<=[\[{,:])\s*[-\w.]*$", "", out.rstrip())  # a number or literal cut short
    out = out.rstrip().removesuffix(",")
    if out.endswith(":") or (stack and stack[-1] == "{" and re.search(r'[{,]\s*"(?:[^"\\]|\\.)*"$', out)):
        out = out.removesuffix(":") + ": null"
    return json.loads(out + "".join("}" if c == "{" else "]" for c in reversed(stack)))


def response_examples(entry: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, decoded example) of every published example of the answer."""
    found: list[tuple[str, Any]] = []
    if entry["example_response"] is not None:
        found.append(("example_response", entry["example_response"]))
    found += [
        (o["label"], o["example"])
        for o in entry["other_examples"]
        if o["format"] == "json" and "request" not in o["label"].lower()
    ]
    for label, example in found:
        yield label, complete(example["text"]) if isinstance(example, dict) and example.get("partial") else example


def upstream_sections() -> dict[str, str]:
    """``METHOD path`` -> the text of its upstream-shapes.md section (a section may name several endpoints)."""
    sections: dict[str, str] = {}
    for block in re.split(r"^## ", UPSTREAM, flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        for method, path in re.findall(r"\b(GET|POST) (/[\w/{}.-]+)", heading.split(" — ")[0]):
            sections[f"{method} {path}"] = sections.get(f"{method} {path}", "") + body
    return sections


def upstream_examples(section: str) -> Iterator[Any]:
    """The inline JSON examples of a section, as ``data`` (an upstream ``result`` wrapper taken off)."""
    for text in re.findall(r"`(\{.*?\})`", section):
        try:
            example = json.loads(text)
        except ValueError:
            continue
        yield example["result"] if set(example) == {"result"} and isinstance(example["result"], dict) else example


def shape_known(entry: dict[str, Any], sections: dict[str, str]) -> str | None:
    """What the shape of an endpoint's answer is known from (None: nothing shows it)."""
    response = entry["response"]
    if response["fields"] is not None or response["envelope"] == "code-msg-only":
        return "catalogue"
    if any(isinstance(example, dict) and "data" in example for _, example in response_examples(entry)):
        return "example"
    if SHAPE_SOURCE.search(sections.get(f"{entry['method']} {entry['path']}", "")):
        return "upstream-shapes.md"
    return None


# --------------------------------------------------------------------------- the SDK


def endpoints() -> dict[str, tuple[str, Endpoint[Any], str]]:
    """``METHOD path`` -> (operation id, generated Endpoint, return annotation of the generated method)."""
    client = AsyncPandaPon("k" * 32, "s" * 32, "2100000000000")
    out: dict[str, tuple[str, Endpoint[Any], str]] = {}
    for operation_id, (resource, name, _) in OPERATIONS.items():
        module = importlib.import_module(f"pandapon._generated.resources.{resource.replace('.', '_')}")
        endpoint = getattr(module, "_" + name.upper())
        target: Any = client
        for part in (*resource.split("."), name):
            target = getattr(target, part)
        annotation = inspect.signature(target).return_annotation
        out[f"{endpoint.method} {endpoint.path}"] = (operation_id, endpoint, str(annotation))
    return out


def model_of(annotation: Any) -> type[Model] | None:
    """The model class an annotation holds (through ``X | None`` and ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    for argument in typing.get_args(annotation):
        found = model_of(argument)
        if found is not None:
            return found
    return None


def missing_keys(value: Any, model: type[Model] | None, path: str) -> Iterator[tuple[str, bool]]:
    """(path, declared?) of every key of ``value`` against ``model``, recursively through objects and first rows."""
    if isinstance(value, list):
        if value:
            yield from missing_keys(value[0], model, path + "[0]")
        return
    if not isinstance(value, dict) or model is None:
        return
    fields = {f.metadata.get("wire", f.name): f for f in attrs.fields(model) if f.name != "extra"}
    hints = typing.get_type_hints(model)
    for key, sub in value.items():
        field = fields.get(key)
        yield f"{path}.{key}", field is not None
        if field is not None:
            yield from missing_keys(sub, model_of(hints[field.name]), f"{path}.{key}")


SDK = endpoints()
SECTIONS = upstream_sections()
ENTRIES = [e for e in CATALOGUE if e["kind"] == "endpoint"]


def example_keys() -> list[tuple[str, str, bool]]:
    """(endpoint, key path, declared?) for every example key."""
    out: list[tuple[str, str, bool]] = []
    for entry in ENTRIES:
        key = f"{entry['method']} {entry['path']}"
        _, endpoint, _ = SDK[key]
        model = model_of(endpoint.result)
        samples: list[tuple[str, Any, type[Model] | None]] = []
        for label, example in response_examples(entry):
            fragment = FRAGMENT_LABEL.match(label)
            variant = next((p for (k, prefix), p in VARIANTS.items() if k == key and label.startswith(prefix)), None)
            if fragment and model is not None:
                samples.append((label, example, step(model, (fragment.group(1),))))
            elif isinstance(example, dict) and "data" in example:
                samples.append((label, example["data"], step(model, variant) if variant and model else model))
        for section_example in upstream_examples(SECTIONS.get(key, "")):
            samples.append(("upstream-shapes.md", section_example, model))
        for label, data, target in samples:
            for path, declared in dict(missing_keys(data, target, "data")).items():
                out.append((key, f"{label}: {path}", declared))
    return out


def step(model: type[Model], path: tuple[str, ...]) -> type[Model] | None:
    """The model of the member at ``path`` (wire names) below ``model``."""
    current: type[Model] | None = model
    for wire in path:
        if current is None:
            return None
        field = next(f for f in attrs.fields(current) if f.metadata.get("wire", f.name) == wire)
        current = model_of(typing.get_type_hints(current)[field.name])
    return current


KEYS = example_keys()


# --------------------------------------------------------------------------- the checks


@pytest.mark.parametrize("name", ["endpoints.json", "upstream-shapes.md"])
def test_the_vendored_evidence_is_the_shared_one(name: str) -> None:
    shared = SHARED / name
    if not shared.is_file():
        pytest.skip(f"{shared} is not present (a fresh clone): the vendored copy is what the tests read")
    assert (EVIDENCE / name).read_bytes() == shared.read_bytes(), f"tests/evidence/{name} differs from {shared}"


def test_every_endpoint_of_the_evidence_is_an_operation() -> None:
    assert {f"{e['method']} {e['path']}" for e in ENTRIES} == set(SDK)
    assert set(SECTIONS) <= set(SDK)
    assert sum(1 for key in SECTIONS if SHAPE_SOURCE.search(SECTIONS[key])) >= 8  # the parsing finds the sections


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e['method']} {e['path']}" for e in ENTRIES])
def test_an_answer_some_source_shows_is_typed(entry: dict[str, Any]) -> None:
    key = f"{entry['method']} {entry['path']}"
    operation_id, endpoint, annotation = SDK[key]
    known = shape_known(entry, SECTIONS)
    if known is None:
        assert annotation == "UnknownShape", f"{operation_id}: nothing shows its answer, yet it returns {annotation}"
        return
    assert annotation != "UnknownShape", f"{operation_id}: its answer is known from the {known}"
    response = entry["response"]
    scalar = response["fields"] == [] or response["envelope"] == "code-msg-only"
    if not scalar:
        assert model_of(endpoint.result) is not None, f"{operation_id} returns {annotation}, not a model"


def test_unknown_shapes_say_how_to_read_them() -> None:
    client = AsyncPandaPon("k" * 32, "s" * 32, "2100000000000")
    unknown = [(op, endpoint) for op, endpoint, annotation in SDK.values() if annotation == "UnknownShape"]
    assert unknown
    for operation_id, endpoint in unknown:
        assert endpoint.result is UnknownShape, operation_id  # the decoded JSON, as the pipeline hands it out
        target: Any = client
        for part in operation_id.split("."):
            target = getattr(target, part)
        doc = inspect.getdoc(target) or ""
        assert "UnknownShape" in doc and "client.request(" in doc and "report the shape" in doc, operation_id
        # The annotation resolves (the alias's forward references name JSON, which the module must hold).
        assert len(typing.get_args(typing.get_type_hints(target)["return"])) == 7, operation_id


@pytest.mark.parametrize(("endpoint", "path", "declared"), [pytest.param(*k, id=f"{k[0]} {k[1]}") for k in KEYS])
def test_every_example_key_is_a_declared_field(endpoint: str, path: str, declared: bool) -> None:
    assert declared, f"{endpoint}: {path} is not a field of {SDK[endpoint][0]}'s model"


def test_counts(capsys: pytest.CaptureFixture[str]) -> None:
    known = [e for e in ENTRIES if shape_known(e, SECTIONS) is not None]
    typed = [e for e in known if SDK[f"{e['method']} {e['path']}"][2] != "UnknownShape"]
    covered = [k for k in KEYS if k[2]]
    with capsys.disabled():
        print(
            f"\nresponse evidence: {len(typed)}/{len(known)} shape-known operations typed "
            f"({len(ENTRIES) - len(known)} UnknownShape); example keys declared: {len(covered)}/{len(KEYS)}"
        )
    assert len(typed) == len(known) >= 30
    assert len(covered) == len(KEYS) >= 150
