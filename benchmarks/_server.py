"""A minimal keep-alive HTTP/1.1 server answering every request with one fixed PandaPon envelope.

Run as a separate process (``python -m benchmarks._server PORT [DELAY_MS]``) so that the client under test has the
event loop and the core to itself. It reads the request head and body and always answers the same bytes, after
``DELAY_MS`` milliseconds when given (a platform that takes that long to answer; connections wait independently).
"""

from __future__ import annotations

import asyncio
import sys

BODY = (
    b'{"requestId":"cab21c3a02a54387af675dd5735bb0fd","code":200,'
    b'"developId":"1022622888387149826","msg":"\xe6\x88\x90\xe5\x8a\x9f","data":true}'
)
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


DELAY = 0.0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            if DELAY:
                await asyncio.sleep(DELAY)
            writer.write(RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 2:
        DELAY = float(sys.argv[2]) / 1000
    asyncio.run(main(int(sys.argv[1])))
