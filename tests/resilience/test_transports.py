"""Both transports behind the core: aiohttp (asyncio, when installed) and httpcore (trio, or forced)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest

from pandapon import APIConnectionError, AsyncPandaPon, ConfigurationError, OutcomeUnknownError
from pandapon._transport import default_transport
from pandapon._transport._aiohttp import AiohttpTransport
from pandapon._transport._httpx import HttpxTransport
from pandapon.testing import FakePandaPon, Fault
from tests.helpers import CREDS, fixed_server, free_port, serve_asgi

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with fixed_server() as url:
        yield url


@pytest.mark.parametrize("choice", ["auto", "aiohttp", "httpcore"])
async def test_choice_and_calls(
    choice: str, anyio_backend: str, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)
    if choice == "aiohttp" and anyio_backend == "trio":
        with pytest.raises(ConfigurationError, match="needs asyncio"):
            default_transport()
        return
    transport = default_transport()
    if anyio_backend == "asyncio" and choice != "httpcore":
        assert type(transport) is AiohttpTransport
    else:
        assert type(transport) is HttpxTransport
        assert type(transport.inner) is httpx.AsyncHTTPTransport
    await transport.aclose()
    async with AsyncPandaPon(**CREDS, base_url=base_url) as client:
        for _ in range(20):
            assert await client.taobao.orders.update_warehouse("1", "w", "a") is True


async def test_the_default_transport_does_not_need_sniffio(
    anyio_backend: str, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """anyio >= 4.11 does not install sniffio; a plain ``pip install pandapon`` on asyncio must still work."""
    if anyio_backend == "trio":
        pytest.skip("trio itself depends on sniffio")
    monkeypatch.setitem(sys.modules, "sniffio", None)  # `import sniffio` now raises ModuleNotFoundError
    transport = default_transport()
    assert type(transport) is AiohttpTransport
    await transport.aclose()
    async with AsyncPandaPon(**CREDS, base_url=base_url) as client:
        assert await client.taobao.orders.update_warehouse("1", "w", "a") is True


def test_bad_choice_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANDAPON_TRANSPORT", "curl")
    with pytest.raises(ConfigurationError, match="PANDAPON_TRANSPORT"):
        default_transport()


@pytest.mark.parametrize("choice", ["aiohttp", "httpcore"])
async def test_connection_refused_is_never_sent(
    choice: str, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if choice == "aiohttp" and anyio_backend == "trio":
        pytest.skip("aiohttp runs on asyncio only")
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)
    async with AsyncPandaPon(**CREDS, base_url=f"http://127.0.0.1:{free_port()}", max_retries=1) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.taobao.orders.update_warehouse("1", "w", "a")
    assert info.value.request_sent is False


@pytest.mark.parametrize("choice", ["aiohttp", "httpcore"])
async def test_dropped_answer_on_a_write_is_outcome_unknown(
    choice: str, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if choice == "aiohttp" and anyio_backend == "trio":
        pytest.skip("aiohttp runs on asyncio only")
    monkeypatch.setenv("PANDAPON_TRANSPORT", choice)
    fake = FakePandaPon(seed=2)
    c = fake.credentials
    with serve_asgi(fake) as url:
        async with AsyncPandaPon(c.access_key, c.access_secret, c.user_id, base_url=url) as client:
            order_id = next(iter(fake.orders), None)
            fake.inject(Fault("drop_after", path="/open/order/cancel"))
            with pytest.raises(OutcomeUnknownError):
                await client.taobao.orders.cancel({"orderId": order_id or "1"})
    assert [r.path for r in fake.request_log].count("/open/order/cancel") == 1
