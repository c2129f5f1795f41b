"""Text that cannot be stored is bad input: NUL in any field is a 422, never a 500.

Found by `make fuzz` (Schemathesis): PostgreSQL text cannot hold NUL, and psycopg2 raised
ValueError on the parameter, which the API answered 500. The schemas now refuse NUL (and lone
surrogates) with the same pattern every listing field already had.
"""

from __future__ import annotations

import falcon.testing
import pytest

from tests.factories import make_user

NUL = "a\x00b"
SOMEONE = "50e0e000-0000-4000-8000-000000000001"
RETURN = "/api/payments/flutterwave/return"
CASES = [
    # (role or None, method, path, json body or None, query or None, field)
    (None, "POST", "/api/users/login", {"email": f"{NUL}@x.io", "password": "pw"}, None, "email"),
    (None, "POST", "/api/users/verify", {"token": NUL}, None, "token"),
    (None, "POST", "/api/users/token/refresh", {"refresh_token": NUL}, None, "refresh_token"),
    (None, "POST", "/api/users/verification/resend", {"email": f"{NUL}@x.io"}, None, "email"),
    (None, "GET", RETURN, None, {"tx_ref": NUL}, "tx_ref"),
    (None, "GET", RETURN, None, {"tx_ref": "t", "status": NUL}, "status"),
    ("buyer", "PATCH", "/api/users/me", {"full_name": NUL}, None, "full_name"),
    ("seller", "PATCH", "/api/users/me", {"company": NUL}, None, "company"),
    ("seller", "POST", f"/api/payments/{SOMEONE}/refunds", {"reason": NUL}, None, "reason"),
    (
        "buyer",
        "POST",
        f"/api/payments/{SOMEONE}/disputes",
        {"reason": "other", "details": NUL},
        None,
        "details",
    ),
    (
        "admin",
        "POST",
        f"/api/admin/disputes/{SOMEONE}/resolve",
        {"outcome": "reject", "note": NUL},
        None,
        "note",
    ),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "query", "field"),
    CASES,
    ids=[f"{c[1]} {c[2].replace(SOMEONE, '{id}')} {c[5]}" for c in CASES],
)
def test_nul_in_a_text_field_is_a_422_naming_it(app, role, method, path, body, query, field):
    headers = make_user(app, role)["headers"] if role else {}
    result = falcon.testing.TestClient(app).simulate_request(
        method, path, json=body, params=query, headers=headers
    )
    assert result.status_code == 422, result.text
    assert result.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in result.json["errors"]] == [field]
