from __future__ import annotations

import httpx
import pytest

from pandapon import HeaderSigner, QuerySigner
from pandapon._signing import random_nonce
from tests.helpers import ACCESS_KEY, ACCESS_SECRET, USER_ID, expected_signature


def test_formula_matches_the_api_notes_self_computed_vectors() -> None:
    signer = HeaderSigner(ACCESS_KEY, "test-secret", USER_ID)
    assert signer.signature("1715669977082", "nonce-str") == "47CB965C3AB252BDF9ED348A90C6B66D"
    empty = HeaderSigner(ACCESS_KEY, "", USER_ID)
    assert empty.signature("1715669977082", "nonce-str") == "7CDA9467E9BFBC80F99800CDC736CBF8"


def test_auth_flow_sets_the_five_headers() -> None:
    signer = HeaderSigner(ACCESS_KEY, ACCESS_SECRET, USER_ID, clock=lambda: 1715669977.082, nonce=lambda: "N" * 32)
    request = httpx.Request("POST", "https://api.pandapon.com/open/order/updateWarehouse", json={"a": 1})
    flow = signer.auth_flow(request)
    signed = next(flow)
    assert signed.headers["access-key"] == ACCESS_KEY
    assert signed.headers["timestamp"] == "1715669977"
    assert signed.headers["nonce-str"] == "N" * 32
    assert signed.headers["user-id"] == USER_ID
    assert signed.headers["signature"] == expected_signature(ACCESS_KEY, "1715669977", "N" * 32, ACCESS_SECRET)
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200))


def test_milliseconds_unit() -> None:
    signer = HeaderSigner(ACCESS_KEY, ACCESS_SECRET, USER_ID, timestamp_unit="ms", clock=lambda: 1715669977.082)
    assert signer.timestamp() == "1715669977082"


def test_fresh_timestamp_and_nonce_on_every_signing() -> None:
    times = iter([100.0, 101.0])
    signer = HeaderSigner(ACCESS_KEY, ACCESS_SECRET, USER_ID, clock=lambda: next(times))
    first = httpx.Request("GET", "https://x/")
    second = httpx.Request("GET", "https://x/")
    signer.sign(first)
    signer.sign(second)
    assert first.headers["timestamp"] != second.headers["timestamp"]
    assert first.headers["nonce-str"] != second.headers["nonce-str"]
    assert first.headers["signature"] != second.headers["signature"]


def test_nonce_is_32_alphanumerics() -> None:
    nonces = {random_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) == 32 and n.isalnum() and n.isascii() for n in nonces)


def test_bad_unit_is_rejected() -> None:
    with pytest.raises(ValueError, match="timestamp_unit"):
        HeaderSigner(ACCESS_KEY, ACCESS_SECRET, USER_ID, timestamp_unit="us")  # type: ignore[arg-type]


def test_query_signer_replaces_the_query_pair() -> None:
    signer = QuerySigner(ACCESS_KEY, ACCESS_SECRET, USER_ID, clock=lambda: 200.0, nonce=lambda: "Q" * 32)
    request = httpx.Request("POST", "https://api.pandapon.com/open/pp/logistics/x?timestamp=1&sign=old&keep=1")
    signer.sign(request)
    params = request.url.params
    assert params["timestamp"] == "200"
    assert params["sign"] == expected_signature(ACCESS_KEY, "200", "Q" * 32, ACCESS_SECRET)
    assert params["keep"] == "1"
    assert params.get_list("sign") == [params["sign"]]
    assert request.headers["nonce-str"] == "Q" * 32


def test_repr_hides_the_secret_and_most_of_the_key() -> None:
    text = repr(HeaderSigner(ACCESS_KEY, ACCESS_SECRET, USER_ID))
    assert ACCESS_SECRET not in text
    assert ACCESS_KEY not in text
    assert ACCESS_KEY[:4] in text
