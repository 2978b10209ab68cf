"""Client construction: credentials from arguments or the environment, validation, no I/O, safe reprs."""

from __future__ import annotations

import httpx
import pytest

import pandapon
from pandapon import AsyncPandaPon, ConfigurationError, PandaPon
from pandapon._options import ClientOptions
from tests.helpers import ACCESS_KEY, ACCESS_SECRET, CREDS, USER_ID


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ("access_key", "PANDAPON_ACCESS_KEY"),
        ("access_secret", "PANDAPON_ACCESS_SECRET"),
        ("user_id", "PANDAPON_USER_ID"),
    ],
)
@pytest.mark.parametrize("cls", [AsyncPandaPon, PandaPon])
def test_missing_credential_names_the_variable(cls: type, missing: str, variable: str) -> None:
    kwargs = {k: v for k, v in CREDS.items() if k != missing}
    with pytest.raises(ConfigurationError, match=variable):
        cls(**kwargs)


def test_credentials_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANDAPON_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("PANDAPON_ACCESS_SECRET", ACCESS_SECRET)
    monkeypatch.setenv("PANDAPON_USER_ID", USER_ID)
    monkeypatch.setenv("PANDAPON_BASE_URL", "http://127.0.0.1:8080")
    settings = ClientOptions.create()
    assert (settings.access_key, settings.user_id, settings.base_url) == (
        ACCESS_KEY,
        USER_ID,
        "http://127.0.0.1:8080",
    )
    # arguments win over the environment
    assert ClientOptions.create("k", "s", "u", base_url="https://x.test").base_url == "https://x.test"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"deadline": 0}, "deadline"),
        ({"timestamp_unit": "us"}, "timestamp_unit"),
        ({"path_overrides": {"taobao.orders.list": "open/x"}}, "path_overrides"),
        ({"success_codes": ["200"]}, "success_codes"),
        ({"http_client": object()}, "http_client"),
        ({"rate_limiter": object()}, "rate_limiter"),
    ],
)
def test_bad_settings_are_refused_at_construction(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        AsyncPandaPon(**CREDS, **kwargs)  # type: ignore[arg-type]


def test_reprs_never_show_secrets() -> None:
    objects = [
        AsyncPandaPon(**CREDS),
        PandaPon(**CREDS),
        ClientOptions.create(**CREDS),
        pandapon.HeaderSigner(ACCESS_KEY, ACCESS_SECRET, USER_ID),
        pandapon.QuerySigner(ACCESS_KEY, ACCESS_SECRET, USER_ID),
    ]
    for obj in objects:
        text = repr(obj)
        assert ACCESS_SECRET not in text, text
        assert ACCESS_KEY not in text, text
    objects[1].close()  # type: ignore[attr-defined]


def test_construction_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("constructing a client must not open sockets")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    AsyncPandaPon(**CREDS)
    PandaPon(**CREDS).close()


def test_reprs_name_their_fields_and_leave_out_the_response() -> None:
    from pandapon import Endpoint, RawResponse, RetryPolicy

    assert repr(RetryPolicy(base=0.5)) == "RetryPolicy(base=0.5, cap=8.0, max_retry_after=60.0)"
    assert RetryPolicy(base=0.5) == RetryPolicy(base=0.5) and RetryPolicy() != RetryPolicy(cap=1.0)
    assert repr(RawResponse(parsed=[1], http_response=httpx.Response(200))) == "RawResponse(parsed=[1])"
    endpoint = Endpoint("a.b", "GET", "/x", "query", None, True)
    assert repr(endpoint).startswith("Endpoint(operation_id='a.b', method='GET', path='/x', location='query'")
