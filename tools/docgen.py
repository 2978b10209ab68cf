"""Generate the endpoint reference (``docs/reference/*.md``) from the OpenAPI description.

Uses the code generator's reading of the spec, so the pages show exactly the Python names and types the SDK
has. ``python tools/docgen.py --check`` exits 1 when the committed pages are stale.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from codegen import SPEC, Generator, Operation

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reference"
BADGE = {"documented": "🟢 documented", "corroborated": "🟡 corroborated", "inferred": "🔴 inferred"}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _code_cell(text: str) -> str:
    """Code in a table cell: ``<code>`` with ``|`` as an entity. (A backslash-escaped ``|`` inside backticks, GFM's
    way, shows its backslash on the site: Python-Markdown does not unescape inside code spans.)"""
    return "<code>" + html.escape(" ".join(str(text).split()), quote=False).replace("|", "&#124;") + "</code>"


def operation_page(gen: Generator, o: Operation) -> list[str]:
    op = o.op
    conf = op.get("x-pandapon-confidence", "inferred")
    params, _, _ = gen.signature(o)
    sig = (params + ", **options").lstrip(", ")  # the per-call options: see the index page
    lines = [
        f"### `{o.method_name}`",
        "",
        f"**{_cell(op.get('summary', ''))}**"
        + (f" — {op['x-pandapon-title-zh']}" if op.get("x-pandapon-title-zh") else ""),
        "",
        "```python",
        f"client.{o.resource}.{o.method_name}({sig}) -> {o.result_type}",
        "```",
        "",
        "| | |",
        "|---|---|",
        f"| HTTP | `{o.http_method} {o.path}` |",
        f"| confidence | {BADGE[conf]} |",
        f"| idempotent | {'yes: retried after timeouts and 5xx' if op.get('x-pandapon-idempotent') else 'no: never retried once it may have arrived'} |",
        f"| auth | {'query `timestamp` + `sign`' if op.get('x-pandapon-auth') == 'query-sign' else 'system headers'} |",
        f"| result | `{o.result_type}` |",
    ]
    if o.result_type == "UnknownShape":
        lines.append(
            "| result shape | unknown: no source shows it; the decoded JSON, to index as a dict (please report it) |"
        )
    elif op.get("x-pandapon-response-evidence") == "upstream":
        lines.append(
            f"| result shape | after the upstream 1688 API: {_cell(op.get('x-pandapon-response-basis') or '')} |"
        )
    if o.item_type:
        pag = op.get("x-pandapon-pagination") or {}
        stop = f"; stops at `{pag['total_pages_field']}`" if pag.get("total_pages_field") else ""
        lines.append(
            f"| pagination | `iter_{o.method_name}(...)` yields `{o.item_type}` across pages "
            f"(`{pag.get('page_param')}` / `{pag.get('size_param')}`{stop}) |"
        )
        if pag.get("basis"):
            lines.append(f"| page fields | {_cell(pag['basis'])} |")
    if op.get("x-pandapon-inferred-from"):
        lines.append(f"| inferred from | `{op['x-pandapon-inferred-from']}` |")
    sources = op.get("x-pandapon-sources") or []
    if sources:
        links = ", ".join(f"<{s}>" if str(s).startswith("http") else _cell(s) for s in sources)
        lines.append(f"| sources | {links} |")
    lines.append("")
    if o.params:
        lines += ["| parameter | wire name | type | required | description |", "|---|---|---|---|---|"]
        for p in o.params:
            ann = gen.request_kind(p.schema, o.resource, o.op_id)[0]
            unit = gen.unnull(p.schema).get("x-pandapon-money-unit")
            desc = _cell(p.description) + (f" Unit: {unit}." if unit else "")
            lines.append(f"| `{p.py}` | `{p.wire}` | {_code_cell(ann)} | {'yes' if p.required else ''} | {desc} |")
        lines.append("")
    elif not op.get("x-pandapon-request-fields-known", True):
        lines += ["The request fields are not documented: pass them as a mapping with their wire names.", ""]
    example = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
    if isinstance(example, dict):
        lines += [
            "Documented request example:",
            "",
            "```json",
            json.dumps(example, ensure_ascii=False, indent=2),
            "```",
            "",
        ]
    description = op.get("description")
    if description:
        lines += ['??? note "Notes from the API catalogue"', ""]
        lines += ["    " + line if line else "" for line in description.splitlines()]
        lines.append("")
    return lines


def render(spec_path: Path = SPEC) -> dict[str, str]:
    gen = Generator(json.loads(spec_path.read_text(encoding="utf-8")))
    gen.collect()
    pages: dict[str, list[str]] = {}
    for o in gen.operations:
        pages.setdefault(o.resource, []).append(o)  # type: ignore[arg-type]
    files: dict[str, str] = {}
    index = [
        "<!-- DO NOT EDIT: generated by `python tools/docgen.py` from pandapon/spec/pandapon.openapi.json. -->",
        "",
        "# Endpoint reference",
        "",
        "Every operation of the API description, on both `AsyncPandaPon` (awaited) and `PandaPon` (sync) under the "
        "same names. Confidence: 🟢 documented (seen on a PandaPon v1 page), 🟡 corroborated (v2 docs, a mirror or a "
        "third-party client), 🔴 inferred (path proposed by analogy; fix it with `path_overrides` if it is wrong).",
        "",
        "Every method (and every `iter_*` twin, and `client.request`) also takes the per-call options, keyword-only "
        "(`**options: Unpack[pandapon.CallOptions]`): `extra_headers`, `extra_query`, `extra_body` (merged over the "
        "typed fields, a same-named key winning; the signature headers cannot be set), `timeout`, `deadline` and "
        "`max_retries` (this call only). See [Configuration](../configuration.md#per-call-options).",
        "",
        "| resource | operations |",
        "|---|---|",
    ]
    for resource in sorted(pages):
        ops: list[Any] = pages[resource]
        slug = resource.replace(".", "-")
        names = ", ".join(f"[`{o.method_name}`]({slug}.md#{o.method_name.replace('_', '_')})" for o in ops)
        index.append(f"| [`client.{resource}`]({slug}.md) | {names} |")
        body = [
            "<!-- DO NOT EDIT: generated by `python tools/docgen.py` from pandapon/spec/pandapon.openapi.json. -->",
            "",
            f"# `client.{resource}`",
            "",
        ]
        for o in ops:
            body += operation_page(gen, o)
        files[f"{slug}.md"] = "\n".join(body).rstrip() + "\n"
    files["index.md"] = "\n".join(index) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    files = render()
    existing = {p.name: p for p in OUT.glob("*.md")} if OUT.exists() else {}
    stale = sorted(
        [n for n, t in files.items() if n not in existing or existing[n].read_text(encoding="utf-8") != t]
        + [n for n in existing if n not in files]
    )
    if args.check:
        if stale:
            print("the endpoint reference is stale; run `python tools/docgen.py`:", *stale, sep="\n  ")
            return 1
        print(f"the endpoint reference is fresh ({len(files)} pages)")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in existing:
        if name not in files:
            existing[name].unlink()
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} pages to docs/reference ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
