"""Smoke test of a bare ``pip install pandapon`` (no extras): real calls over loopback with the default transport.

CI and ``nox -s release`` run this with the clean virtualenv's Python, where only pandapon's own dependencies are
installed (aiohttp among them; no trio or sniffio). The demo runs against the in-process fake and never builds the
default transport, so this is the check that a plain install can reach a server, async and sync, on the aiohttp
engine and with the SDK's User-Agent. Exits non-zero on failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandapon

BODY = json.dumps({"requestId": "smoke", "code": 200, "msg": "ok", "data": True}).encode()
SIGNED = ("access-key", "timestamp", "nonce-str", "user-id", "signature")


AGENTS: list[str] = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        AGENTS.append(self.headers.get("user-agent", ""))
        missing = [h for h in SIGNED if h.lower() not in (k.lower() for k in self.headers)]
        status, body = (200, BODY) if not missing else (400, json.dumps({"missing": missing}).encode())
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    absent = [m for m in ("trio", "sniffio") if importlib.util.find_spec(m) is None]
    assert importlib.util.find_spec("aiohttp") is not None, "aiohttp is a dependency of a plain install"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    creds = {"access_key": "smoke-key", "access_secret": "smoke-secret", "user_id": "1", "base_url": url}

    async def async_calls() -> None:
        async with pandapon.AsyncPandaPon(**creds) as client:
            for _ in range(3):
                assert await client.taobao.orders.update_warehouse("1", "w", "a") is True

    asyncio.run(async_calls())
    statuses: list[int | None] = []
    with pandapon.PandaPon(**creds, on_response=lambda event: statuses.append(event.status)) as client:
        for _ in range(3):
            assert client.taobao.orders.update_warehouse("1", "w", "a") is True
    server.shutdown()
    assert statuses == [200, 200, 200], statuses  # hooks need no extra
    if importlib.util.find_spec("opentelemetry") is None:
        absent.append("opentelemetry")
        try:
            importlib.import_module("pandapon.otel")
        except ImportError as exc:
            assert "pip install 'pandapon[otel]'" in str(exc), exc
        else:
            raise AssertionError("pandapon.otel imported without opentelemetry")
    expected = f"pandapon/{pandapon.__version__} (python {sys.version_info.major}.{sys.version_info.minor}; aiohttp/"
    assert len(AGENTS) == 6 and all(a.startswith(expected) for a in AGENTS), AGENTS
    print(
        f"bare install smoke: async and sync calls over loopback on aiohttp ok, User-Agent {AGENTS[0]!r} "
        f"(not installed: {', '.join(absent) or 'none'})"
    )


if __name__ == "__main__":
    main()
