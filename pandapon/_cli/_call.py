"""``call``, ``describe`` and ``operations``."""

from __future__ import annotations

import argparse
import json
import sys
import typing
from typing import Any, cast

from .._converter import RequestModel
from .._exceptions import PandaPonError
from .._signing import mask_key
from .._types import JSON, as_object
from .._wire import Answer, Prepared
from ._common import Operation, UsageError, catalogue, client_settings, find, json_out
from ._progress import Progress

__all__ = ["build", "call", "describe", "operations", "target"]

_UnionType = type(int | str)


def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The call's arguments: ``--body`` (inline, ``@file``, ``-`` for stdin) or the 0.1 ``--json '{...}'``."""
    text: str = "{}"
    source = "--body"
    if isinstance(args.json, str):
        if args.body is not None:
            raise UsageError("give the arguments once: --body, not also --json ARGS")
        text, source = args.json, "--json"
    elif args.body is not None:
        text = args.body
        if text == "-":
            text, source = sys.stdin.read(), "standard input"
        elif text.startswith("@"):
            path = text[1:]
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as exc:
                raise UsageError(f"--body {text}: cannot read the file: {exc.strerror}") from None
            source = path
    try:
        decoded: JSON = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{source} is not valid JSON: {exc}") from None
    arguments = as_object(decoded)
    if arguments is None:
        raise UsageError(f"{source} must be a JSON object of arguments, got {type(decoded).__name__}")
    return arguments


def build(annotation: Any, value: JSON, where: str) -> Any:
    """Turn decoded JSON into what a parameter annotation wants (request models from objects)."""
    options = (
        typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, _UnionType) else (annotation,)
    )
    mapping = as_object(value)
    if mapping is not None:
        for option in options:
            if isinstance(option, type) and issubclass(option, RequestModel):
                import attrs

                hints = typing.get_type_hints(option)
                names = {a.name for a in attrs.fields(option)}
                unknown = sorted(set(mapping) - names)
                if unknown:
                    raise UsageError(
                        f"{where}: unknown field(s) {unknown}; expected some of {sorted(names - {'extra'})}"
                    )
                return option(**{k: build(hints[k], cast(JSON, v), f"{where}.{k}") for k, v in mapping.items()})
    if isinstance(value, list):
        for option in options:
            if typing.get_origin(option) is list:
                (inner,) = typing.get_args(option)
                return [build(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


class _DryRun:
    """A transport that keeps the signed request instead of sending it, and answers an empty success."""

    def __init__(self) -> None:
        self.requests: list[Prepared] = []

    @property
    def engine(self) -> str:
        """The engine the client would use (read on its loop), so the User-Agent is the one it would send."""
        from importlib.metadata import version

        from .._transport import default_engine

        name = default_engine()
        return f"{name}/{version(name)}"

    async def send(self, request: Prepared) -> Answer:
        self.requests.append(request)
        return Answer(200, [(b"content-type", b"application/json")], b'{"code":200,"msg":"dry run","data":null}')

    async def aclose(self) -> None:
        pass


def _masked(name: str, value: str) -> str:
    lowered = name.lower()
    if "sign" in lowered:
        return "<masked>"
    if lowered in ("access-key", "accesskey", "access_key"):
        return mask_key(value)
    return value


def _show_request(request: Prepared, compact: bool) -> None:
    url = request.url
    query = [(k, _masked(k, v)) for k, v in url.params.multi_items()]
    shown_url = str(url.copy_with(query=None)) + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    headers = {k: _masked(k, v) for k, v in request.headers.items()}
    body = request.content.decode("utf-8") if request.content else None
    if compact:
        out = {"method": request.method, "url": shown_url, "headers": headers, "body": body}
        print(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
        return
    print(f"{request.method} {shown_url}")
    for k, v in headers.items():
        print(f"{k}: {v}")
    if body is not None:
        print()
        print(body)


def call(args: argparse.Namespace) -> int:
    """``pandapon call OP``."""
    arguments = _arguments(args)
    operation = find(args.operation)
    compact = args.json is True
    from .._sync import PandaPon

    settings, credentials = client_settings(args)
    dry = _DryRun() if args.dry_run else None
    if args.fake:
        from ..testing import FakePandaPon

        fake = FakePandaPon()
        if dry is None:
            client = fake.client(**settings)
        else:
            c = fake.credentials
            client = PandaPon(c.access_key, c.access_secret, c.user_id, transport=dry, max_retries=0)
    elif dry is not None:
        client = PandaPon(**credentials, transport=dry, max_retries=0)
    else:
        client = PandaPon(**credentials, **settings)
    with client:
        method = getattr(target(client, operation.resource), operation.name)
        hints = typing.get_type_hints(operation.function)
        params = [p.name for p in operation.parameters()]
        unknown = sorted(set(arguments) - set(params))
        if unknown:
            raise UsageError(f"{operation.id}: unknown argument(s) {unknown}; it takes {params}")
        kwargs = {k: build(hints[k], cast(JSON, v), k) for k, v in arguments.items()}
        with Progress(operation.id) as progress:
            try:
                result = method(**kwargs)
            except TypeError as exc:  # InvalidInputError included: nothing was sent
                raise UsageError(f"{operation.id}: {exc}") from None
            except PandaPonError as exc:
                if progress.attempts > 1 or type(exc).__name__ in ("APITimeoutError", "APIConnectionError"):
                    print(f"pandapon: {type(exc).__name__}: {exc} ({progress.summary()})", file=sys.stderr)
                    return 1
                raise
    if dry is not None:
        for request in dry.requests:
            _show_request(request, compact)
        return 0
    print(json_out(result, compact=compact))
    return 0


def target(client: object, resource: str) -> Any:
    """The resource object ``resource`` (``"taobao.orders"``) of ``client``."""
    found: Any = client
    for part in resource.split("."):
        found = getattr(found, part)
    return found


def describe(args: argparse.Namespace) -> int:
    """``pandapon describe OP``."""
    operation = find(args.operation)
    e = operation.endpoint
    parameters = operation.parameters()
    if args.json:
        out = {
            **operation.as_dict(),
            "parameters": [
                {"name": p.name, "type": str(p.annotation), "required": p.default is p.empty} for p in parameters
            ],
            "returns": str(typing.get_type_hints(operation.function).get("return")),
            "doc": operation.doc,
        }
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{operation.id}: {operation.title}")
    print(f"  {e.method} {e.path}    confidence: {e.confidence}    idempotent: {'yes' if e.idempotent else 'no'}")
    print()
    print(f"  client.{operation.resource}.{operation.name}({', '.join(_param(p) for p in parameters)})")
    print()
    for line in operation.doc.splitlines()[1:]:
        print(f"  {line}" if line else "")
    print()
    example = {p.name: "..." for p in parameters if p.default is p.empty and p.kind is not p.VAR_KEYWORD}
    print(f"  pandapon call {operation.id} --body '{json.dumps(example, ensure_ascii=False)}'")
    return 0


def _param(p: Any) -> str:
    text = f"{p.name}: {p.annotation}" if p.annotation is not p.empty else p.name
    return text if p.default is p.empty else f"{text} = {p.default!r}"


def operations(args: argparse.Namespace) -> int:
    """``pandapon operations [FILTER]``."""
    needle = args.filter.lower()
    rows: list[Operation] = []
    for operation in catalogue():
        e = operation.endpoint
        if args.confidence and e.confidence != args.confidence:
            continue
        if needle and not any(needle in text.lower() for text in (operation.id, e.path, operation.title)):
            continue
        rows.append(operation)
    if args.json:
        print(json.dumps([o.as_dict() for o in rows], ensure_ascii=False, indent=2))
        return 0
    print(f"{'OPERATION':44} {'METHOD':6} {'PATH':44} {'CONFIDENCE':12} TITLE")
    for o in rows:
        e = o.endpoint
        print(f"{o.id:44} {e.method:6} {e.path:44} {e.confidence:12} {o.title}")
    return 0
