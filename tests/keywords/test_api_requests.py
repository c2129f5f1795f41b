"""The call plumbing in Python: Authorization headers (ApiRequests.py) and the requests
`Call Api Together` builds (Concurrency.py)."""

from __future__ import annotations

import pytest

from keywords.libraries.ApiRequests import ApiRequests, auth_headers
from keywords.libraries.Concurrency import Concurrency, request_spec

ACTOR = {"id": "u1", "access_token": "token-1"}


def test_auth_headers_from_an_actor_a_bare_token_or_nobody() -> None:
    given = {"X-Trace": "1"}
    assert auth_headers(ACTOR, headers=given) == {"X-Trace": "1", "Authorization": "Bearer token-1"}
    assert given == {"X-Trace": "1"}
    assert auth_headers("sk_test_key", "Token") == {"Authorization": "Token sk_test_key"}
    assert auth_headers(None, headers=given) == given


def test_an_unknown_method_fails_naming_the_methods() -> None:
    with pytest.raises(ValueError, match="Unknown HTTP method 'FETCH'; one of GET, POST"):
        ApiRequests().send_api_request("FETCH", "/api/health")


def test_copies_of_a_call_become_requests_with_url_and_headers() -> None:
    calls = Concurrency().copies_of_call(2, "PATCH", "/api/x", ACTOR, json={"a": 1})
    assert len(calls) == 2 and calls[0] is not calls[1]
    calls[0]["expected_status"] = "409"
    assert request_spec("http://api", calls[0]) == {
        "method": "PATCH",
        "url": "http://api/api/x",
        "headers": {"Authorization": "Bearer token-1"},
        "json": {"a": 1},
    }
    anonymous = request_spec("http://api", {"method": "GET", "path": "/api/y"})
    assert anonymous == {"method": "GET", "url": "http://api/api/y", "headers": {}}
