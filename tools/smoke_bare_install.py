"""Smoke test of a bare ``pip install pandapon`` (no extras): real calls over loopback with the default transport.

CI and ``nox -s release`` run this with the clean virtualenv's Python, where only pandapon's own dependencies are
installed (no aiohttp, trio or sniffio). The demo runs against the in-process fake and never builds the default
transport, so this is the check that a plain install can reach a server, async and sync. Exits non-zero on failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandapon

BODY = json.dumps({"requestId": "smoke", "code": 200, "msg": "ok", "data": True}).encode()
SIGNED = ("access-key", "timestamp", "nonce-str", "user-id", "signature")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
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
    absent = [m for m in ("aiohttp", "trio", "sniffio") if importlib.util.find_spec(m) is None]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    creds = {"access_key": "smoke-key", "access_secret": "smoke-secret", "user_id": "1", "base_url": url}

    async def async_calls() -> None:
        async with pandapon.AsyncPandaPon(**creds) as client:
            for _ in range(3):
                assert await client.taobao.orders.update_warehouse("1", "w", "a") is True

    asyncio.run(async_calls())
    with pandapon.PandaPon(**creds) as client:
        for _ in range(3):
            assert client.taobao.orders.update_warehouse("1", "w", "a") is True
    server.shutdown()
    print(f"bare install smoke: async and sync calls over loopback ok (not installed: {', '.join(absent) or 'none'})")


if __name__ == "__main__":
    main()
