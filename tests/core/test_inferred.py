"""Inferred endpoints are visible at call time, and a typo in path_overrides is refused (issue 15, item 8)."""

from __future__ import annotations

import warnings

import pytest

import pandapon
from pandapon import ConfigurationError, PandaPonInferredEndpointWarning
from pandapon.testing import FakePandaPon

ORDER = "1024285237573584051"


def inferred_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, PandaPonInferredEndpointWarning)]


@pytest.mark.anyio
async def test_the_first_call_of_an_inferred_operation_warns_once_per_client() -> None:
    fake = FakePandaPon(doc_examples=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with fake.async_client() as client:
            await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")  # documented: no warning
            await client.addresses.get()  # inferred
            await client.addresses.get()  # the same client: once is enough
        async with fake.async_client() as other:
            await other.addresses.get()  # another client: warned again
    messages = inferred_warnings(caught)
    assert len(messages) == 2
    assert messages[0].startswith("addresses.get calls POST /open/address/get, a path PandaPon's docs do not")
    assert "path_overrides={'addresses.get': '/the/right/path'}" in messages[0]
    assert issubclass(PandaPonInferredEndpointWarning, UserWarning)


def test_the_sync_client_warns_too_and_an_override_silences_it() -> None:
    fake = FakePandaPon(doc_examples=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fake.client() as client:
            client.addresses.get()
        with fake.client() as client:
            fixed = client.with_options(path_overrides={"addresses.get": "/open/address/get"})
            fixed.addresses.get()
    assert len(inferred_warnings(caught)) == 1


@pytest.mark.parametrize(
    "build",
    [
        lambda o: pandapon.AsyncPandaPon("k", "s", "u", path_overrides=o),
        lambda o: pandapon.PandaPon("k", "s", "u", path_overrides=o),
        lambda o: pandapon.AsyncPandaPon("k", "s", "u").with_options(path_overrides=o),
        lambda o: pandapon.PandaPon("k", "s", "u").with_options(path_overrides=o),
    ],
    ids=["async", "sync", "async with_options", "sync with_options"],
)
def test_an_unknown_operation_in_path_overrides_is_refused_with_the_closest_names(build: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build({"taobao.order.pay": "/open/order/pay"})  # type: ignore[operator]
    message = str(caught.value)
    assert message.startswith("path_overrides: unknown operation 'taobao.order.pay'; did you mean 'taobao.orders.pay'")
    assert "`pandapon operations` lists the ids" in message


def test_a_known_operation_in_path_overrides_is_accepted() -> None:
    client = pandapon.AsyncPandaPon("k", "s", "u", path_overrides={"taobao.orders.pay": "/open/order/pay/v2"})
    assert client.options.path_overrides == {"taobao.orders.pay": "/open/order/pay/v2"}
