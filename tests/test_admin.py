"""The admin console: accounts, transactions, audit log, system status and reports."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import falcon.testing
import pytest

from api_server.admin.console import Period
from api_server.app import MarketplaceApp
from api_server.auth.principal import Principal, Role
from api_server.common.errors import DomainError
from api_server.config import Config
from api_server.payments.gateways import Health, HealthStatus
from api_server.users.accounts import AccountsService, like_pattern
from api_server.users.passwords import hash_password
from tests.factories import make_app

PASSWORD = "Admin-Console-Pw-42"
ADMIN_GETS = [
    "/api/admin/users",
    "/api/admin/transactions",
    "/api/admin/audit-log",
    "/api/admin/system",
    "/api/admin/reports/summary",
]


class FakeGateway:
    def __init__(self, status: HealthStatus) -> None:
        self.health = Health(status, f"fake: {status}")

    def probe(self) -> Health:
        return self.health


@pytest.fixture
def app(config: Config) -> Iterator[MarketplaceApp]:
    # Status checks must never reach the real Stripe or Flutterwave from a unit test.
    application = make_app(
        config, stripe=FakeGateway("ok"), flutterwave=FakeGateway("unauthorized")
    )
    yield application
    application.services.db.close()


@pytest.fixture
def client(app: MarketplaceApp) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(app)


def sql(app: MarketplaceApp, query: str, *params: Any) -> list[dict[str, Any]]:
    with app.services.db.transaction() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


_HASH = hash_password(PASSWORD)


def make_user(
    app: MarketplaceApp,
    role: str = "buyer",
    status: str = "active",
    *,
    email: str | None = None,
    full_name: str | None = None,
) -> dict[str, Any]:
    """A user row inserted directly, with a valid access token in `headers`."""
    email = email or f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    row = sql(
        app,
        "INSERT INTO users (email, password_hash, full_name, role, status) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id::text AS id, role, status, token_version",
        email,
        _HASH,
        full_name or f"{role.title()} Person",
        role,
        status,
    )[0]
    token, _ = app.services.tokens.issue_access(row)
    return {**row, "email": email, "headers": {"Authorization": f"Bearer {token}"}}


def patch_user(
    client: falcon.testing.TestClient, admin: dict[str, Any], user_id: str, **body: Any
) -> falcon.testing.Result:
    return client.simulate_patch(f"/api/admin/users/{user_id}", headers=admin["headers"], json=body)


def audit_rows(app: MarketplaceApp, target_id: str) -> list[dict[str, Any]]:
    return sql(
        app,
        "SELECT actor_id::text AS actor_id, action, details, request_id FROM audit_log "
        "WHERE target_id = %s ORDER BY id",
        target_id,
    )


def user_row(app: MarketplaceApp, user_id: str) -> dict[str, Any]:
    return sql(app, "SELECT role, status, token_version FROM users WHERE id = %s", user_id)[0]


# Access


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_every_admin_read_refuses_anonymous_and_non_admins(client, app, path):
    assert client.simulate_get(path).status_code == 401
    for role in ("buyer", "seller"):
        assert client.simulate_get(path, headers=make_user(app, role)["headers"]).status_code == 403
    assert client.simulate_get(path, headers=make_user(app, "admin")["headers"]).status_code == 200


def test_patch_refuses_anonymous_and_non_admins(client, app):
    target = make_user(app)
    path = f"/api/admin/users/{target['id']}"
    assert client.simulate_patch(path, json={"role": "seller"}).status_code == 401
    seller = make_user(app, "seller")
    assert patch_user(client, seller, target["id"], role="admin").status_code == 403
    assert user_row(app, target["id"])["role"] == "buyer"
    assert audit_rows(app, target["id"]) == []


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT", "POST"])
def test_the_audit_log_can_only_be_read(client, app, method):
    admin = make_user(app, "admin")
    result = client.simulate_request(method, "/api/admin/audit-log", headers=admin["headers"])
    assert result.status_code == 405
    assert result.json["code"] == "method_not_allowed"


# Listing accounts


def test_users_are_listed_newest_first_and_filtered(client, app):
    admin = make_user(app, "admin")
    buyer = make_user(app, "buyer", email="ada.lovelace@example.com", full_name="Ada Byron")
    seller = make_user(app, "seller", full_name="Grace Hopper")
    disabled = make_user(app, "seller", "disabled")

    def ids(**params: Any) -> list[str]:
        result = client.simulate_get("/api/admin/users", headers=admin["headers"], params=params)
        assert result.status_code == 200, result.text
        return [u["id"] for u in result.json["items"]]

    assert ids() == [disabled["id"], seller["id"], buyer["id"], admin["id"]]
    assert ids(role="seller") == [disabled["id"], seller["id"]]
    assert ids(status="disabled") == [disabled["id"]]
    assert ids(role="seller", status="active") == [seller["id"]]
    assert ids(q="LOVELACE") == [buyer["id"]]
    assert ids(q="hopp") == [seller["id"]]
    assert ids(q="byron") == [buyer["id"]]
    # The caller's wildcards are literal text, not patterns.
    assert ids(q="%") == []
    assert ids(q="_") == []


def test_users_are_paginated_with_the_total(client, app):
    admin = make_user(app, "admin")
    for _ in range(4):
        make_user(app)
    page = client.simulate_get(
        "/api/admin/users", headers=admin["headers"], params={"per_page": 2, "page": 2}
    ).json
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 2, 5, 2)
    beyond = client.simulate_get(
        "/api/admin/users", headers=admin["headers"], params={"per_page": 2, "page": 9}
    ).json
    assert (beyond["items"], beyond["total"]) == ([], 5)
    assert "password_hash" not in str(page)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"role": "owner"}, "role"),
        ({"status": "banned"}, "status"),
        ({"q": ""}, "q"),
        ({"sort": "email"}, "sort"),
    ],
)
def test_bad_user_queries_are_422(client, app, params, field):
    admin = make_user(app, "admin")
    result = client.simulate_get("/api/admin/users", headers=admin["headers"], params=params)
    assert result.status_code == 422
    assert field in [e["field"] for e in result.json["errors"]]


def test_like_pattern_escapes_wildcards():
    assert like_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%"


# Changing accounts


def test_promoting_a_buyer_is_persisted_and_audited(client, app):
    admin, buyer = make_user(app, "admin"), make_user(app)
    result = patch_user(client, admin, buyer["id"], role="seller")
    assert result.status_code == 200, result.text
    assert (result.json["id"], result.json["role"], result.json["status"]) == (
        buyer["id"],
        "seller",
        "active",
    )
    assert user_row(app, buyer["id"]) == {"role": "seller", "status": "active", "token_version": 1}
    [row] = audit_rows(app, buyer["id"])
    assert row["actor_id"] == admin["id"]
    assert row["action"] == "user.update"
    assert row["details"] == {"role": {"old": "buyer", "new": "seller"}}
    assert row["request_id"] == result.headers["X-Request-ID"]
    # The new role applies to the token the buyer already holds.
    assert client.simulate_get("/api/users/me", headers=buyer["headers"]).json["role"] == "seller"


def test_disabling_revokes_every_token_at_once(client, app):
    admin, seller = make_user(app, "admin"), make_user(app, "seller")
    session = app.services.users.login(seller["email"], PASSWORD, "10.1.1.1")
    access = {"Authorization": f"Bearer {session['access_token']}"}
    assert client.simulate_get("/api/users/me", headers=access).status_code == 200

    result = patch_user(client, admin, seller["id"], status="disabled")
    assert result.status_code == 200
    assert result.json["status"] == "disabled"
    refused = client.simulate_get("/api/users/me", headers=access)
    assert (refused.status_code, refused.json["code"]) == (401, "account_inactive")
    assert sql(
        app,
        "SELECT count(*) AS live FROM refresh_tokens WHERE user_id = %s AND revoked_at IS NULL",
        seller["id"],
    ) == [{"live": 0}]
    [row] = audit_rows(app, seller["id"])
    assert row["details"] == {
        "status": {"old": "active", "new": "disabled"},
        "revoked_refresh_tokens": 1,
    }
    refresh = client.simulate_post(
        "/api/users/token/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refresh.status_code == 401

    # Re-enabling lets the person log in again, but the old tokens stay dead.
    assert patch_user(client, admin, seller["id"], status="active").json["status"] == "active"
    stale = client.simulate_get("/api/users/me", headers=access)
    assert (stale.status_code, stale.json["code"]) == (401, "token_revoked")
    assert app.services.users.login(seller["email"], PASSWORD, "10.1.1.1")["access_token"]
    assert [r["details"] for r in audit_rows(app, seller["id"])][1] == {
        "status": {"old": "disabled", "new": "active"}
    }


def test_both_fields_change_in_one_audit_row(client, app):
    admin, buyer = make_user(app, "admin"), make_user(app)
    result = patch_user(client, admin, buyer["id"], role="admin", status="disabled")
    assert (result.json["role"], result.json["status"]) == ("admin", "disabled")
    [row] = audit_rows(app, buyer["id"])
    assert row["details"] == {
        "role": {"old": "buyer", "new": "admin"},
        "status": {"old": "active", "new": "disabled"},
        "revoked_refresh_tokens": 0,
    }


def test_a_change_to_the_same_values_is_still_audited(client, app):
    admin, buyer = make_user(app, "admin"), make_user(app)
    result = patch_user(client, admin, buyer["id"], role="buyer")
    assert result.status_code == 200
    assert user_row(app, buyer["id"])["token_version"] == 1
    assert [r["details"] for r in audit_rows(app, buyer["id"])] == [{}]


def test_admin_activation_of_an_unverified_account_marks_it_verified(client, app):
    admin, pending = make_user(app, "admin"), make_user(app, status="pending_verification")
    result = patch_user(client, admin, pending["id"], status="active")
    assert result.json["status"] == "active"
    assert result.json["verified_at"] is not None


def test_the_last_active_admin_can_neither_be_disabled_nor_demoted(client, app):
    admin = make_user(app, "admin")
    make_user(app, "admin", "disabled")  # a disabled admin does not count
    for body in ({"status": "disabled"}, {"role": "seller"}, {"role": "buyer", "status": "active"}):
        result = patch_user(client, admin, admin["id"], **body)
        assert (result.status_code, result.json["code"]) == (409, "last_admin")
    assert user_row(app, admin["id"]) == {"role": "admin", "status": "active", "token_version": 1}
    assert audit_rows(app, admin["id"]) == []
    assert client.simulate_get("/api/admin/system", headers=admin["headers"]).status_code == 200


def test_an_admin_may_step_down_while_another_remains(client, app):
    admin, other = make_user(app, "admin"), make_user(app, "admin")
    assert patch_user(client, admin, admin["id"], role="seller").status_code == 200
    assert patch_user(client, other, other["id"], status="disabled").json["code"] == "last_admin"


def test_two_admins_disabling_each_other_at_once_leave_one_admin(app):
    # Straight to the service, so both requests are past authentication when they race.
    first, second = make_user(app, "admin"), make_user(app, "admin")
    service = AccountsService(app.services.db)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def disable(actor: dict[str, Any], target: dict[str, Any]) -> None:
        principal = Principal(actor["id"], Role.ADMIN, uuid.uuid4().hex, 0)
        barrier.wait()
        try:
            service.update(target["id"], {"status": "disabled"}, principal)
            outcomes.append("disabled")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [
        threading.Thread(target=disable, args=(first, second)),
        threading.Thread(target=disable, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["disabled", "last_admin"]
    assert sql(
        app, "SELECT count(*) AS n FROM users WHERE role = 'admin' AND status = 'active'"
    ) == [{"n": 1}]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "x@example.com"},
        {"role": "owner"},
        {"status": "pending_verification"},
        {"status": None},
        {"role": "seller", "token_version": 9},
    ],
)
def test_bad_changes_are_422_and_change_nothing(client, app, body):
    admin, buyer = make_user(app, "admin"), make_user(app)
    result = patch_user(client, admin, buyer["id"], **body)
    assert (result.status_code, result.json["code"]) == (422, "validation_error")
    assert user_row(app, buyer["id"]) == {"role": "buyer", "status": "active", "token_version": 1}
    assert audit_rows(app, buyer["id"]) == []


@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_unknown_accounts_are_404(client, app, user_id):
    admin = make_user(app, "admin")
    result = patch_user(client, admin, user_id, status="disabled")
    assert result.status_code == 404
    assert result.json["code"] in ("user_not_found", "not_found")


# Transactions


def make_payment(
    app: MarketplaceApp,
    currency: str,
    amount: int,
    *,
    status: str = "succeeded",
    provider: str = "stripe",
    refunded: int = 0,
    created_at: str = "2024-05-10T12:00:00Z",
    parties: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> str:
    seller, buyer = parties or (make_user(app, "seller"), make_user(app))
    listing = sql(
        app,
        "INSERT INTO listings (seller_id, title, commodity, description, quantity, "
        "available_quantity, unit, price_per_unit, currency, country, status) "
        "VALUES (%s, 'Cobalt', 'cobalt', 'Battery grade', 10, 10, 't', %s, %s, 'CD', 'active') "
        "RETURNING id::text AS id",
        seller["id"],
        amount,
        currency,
    )[0]["id"]
    return sql(
        app,
        "INSERT INTO payments (listing_id, buyer_id, seller_id, quantity, amount, currency, "
        "listing_amount, listing_currency, provider, provider_ref, status, amount_refunded, "
        "expires_at, created_at, paid_at) "
        "VALUES (%s, %s, %s, 1, %s, %s, %s, %s, %s, %s, %s, %s, now(), %s, "
        "CASE WHEN %s IN ('succeeded', 'partially_refunded', 'refunded', 'disputed') "
        "THEN %s::timestamptz END) RETURNING id::text AS id",
        listing,
        buyer["id"],
        seller["id"],
        amount,
        currency,
        amount,
        currency,
        provider,
        f"ref_{uuid.uuid4().hex}",
        status,
        refunded,
        created_at,
        status,
        created_at,
    )[0]["id"]


def transactions(client, admin, **params: Any) -> falcon.testing.Result:
    return client.simulate_get("/api/admin/transactions", headers=admin["headers"], params=params)


def test_transaction_totals_cover_every_filtered_payment_per_currency(client, app):
    admin = make_user(app, "admin")
    first = make_payment(app, "USD", 10_000, created_at="2024-05-01T10:00:00Z")
    make_payment(app, "USD", 2_500, status="partially_refunded", refunded=500)
    make_payment(app, "NGN", 150_050, provider="flutterwave")
    last = make_payment(app, "NGN", 1_000, status="pending", created_at="2024-06-01T00:00:00Z")

    body = transactions(client, admin, per_page=1).json
    assert body["total"] == 4
    assert [p["id"] for p in body["items"]] == [last]
    assert body["totals"] == {
        "NGN": {"count": 2, "amount": 151_050, "refunded": 0},
        "USD": {"count": 2, "amount": 12_500, "refunded": 500},
    }
    assert [p["id"] for p in transactions(client, admin, page=4, per_page=1).json["items"]] == [
        first
    ]
    # The admin sees payments as a non-buyer: no client secret or payment link.
    assert all(p["stripe"] is None or p["stripe"]["client_secret"] is None for p in body["items"])


def test_transactions_filter_by_status_provider_and_period(client, app):
    admin = make_user(app, "admin")
    may = make_payment(app, "USD", 100, created_at="2024-05-31T23:59:59Z")
    june = make_payment(app, "USD", 200, created_at="2024-06-01T00:00:00Z")
    flw = make_payment(app, "KES", 300, provider="flutterwave", status="failed")

    def ids(**params: Any) -> set[str]:
        result = transactions(client, admin, **params)
        assert result.status_code == 200, result.text
        return {p["id"] for p in result.json["items"]}

    assert ids(provider="flutterwave") == {flw}
    assert ids(status="failed") == {flw}
    assert ids(status="succeeded", provider="stripe") == {may, june}
    # A date is a whole UTC day, at either end.
    assert ids(**{"from": "2024-05-01", "to": "2024-05-31"}) == {may, flw}
    assert ids(**{"from": "2024-06-01"}) == {june}
    assert ids(**{"to": "2024-05-31T23:59:59Z"}) == {may, flw}
    assert ids(**{"from": "2024-06-01T02:00:00+02:00", "to": "2024-06-01T02:00:00+02:00"}) == {june}
    totals = transactions(client, admin, provider="stripe").json["totals"]
    assert totals == {"USD": {"count": 2, "amount": 300, "refunded": 0}}


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2024-13-01"},
        {"to": "2024-02-30"},
        {"to": "2024-05-01T25:00:00Z"},
        {"from": "2024-06-02", "to": "2024-06-01"},
        {"from": "2024-06-01T12:00:00Z", "to": "2024-06-01T11:59:59Z"},
        {"status": "paid"},
        {"provider": "paypal"},
        {"per_page": "500"},
    ],
)
def test_bad_transaction_queries_are_422(client, app, params):
    admin = make_user(app, "admin")
    result = transactions(client, admin, **params)
    assert (result.status_code, result.json["code"]) == (422, "validation_error")


def test_period_bounds():
    period = Period.of({"from": "2024-05-01", "to": "2024-05-01"})
    assert (period.until - period.start).days == 1
    naive = Period.of({"from": "2024-05-01T10:00:00"})
    assert naive.start.utcoffset().total_seconds() == 0


# Audit log


def test_audit_log_is_newest_first_and_filtered(client, app):
    admin, other_admin = make_user(app, "admin"), make_user(app, "admin")
    buyer, seller = make_user(app), make_user(app, "seller")
    patch_user(client, admin, buyer["id"], role="seller")
    patch_user(client, other_admin, seller["id"], status="disabled")
    patch_user(client, admin, seller["id"], status="active")
    sql(
        app,
        "INSERT INTO audit_log (actor_id, action, target_type, target_id, created_at) "
        "VALUES (%s, 'listing.approve', 'listing', 'l-1', '2020-01-01T00:00:00Z')",
        admin["id"],
    )

    def entries(**params: Any) -> list[dict[str, Any]]:
        result = client.simulate_get(
            "/api/admin/audit-log", headers=admin["headers"], params=params
        )
        assert result.status_code == 200, result.text
        return result.json["items"]

    everything = entries()
    assert [e["target_id"] for e in everything] == [seller["id"], seller["id"], buyer["id"], "l-1"]
    assert set(everything[0]) == set(
        [
            "id",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "details",
            "request_id",
            "created_at",
        ]
    )
    assert [e["details"] for e in entries(target=seller["id"])] == [
        {"status": {"old": "disabled", "new": "active"}},
        {"status": {"old": "active", "new": "disabled"}, "revoked_refresh_tokens": 0},
    ]
    assert [e["target_id"] for e in entries(actor=other_admin["id"])] == [seller["id"]]
    assert [e["target_id"] for e in entries(action="listing.approve")] == ["l-1"]
    assert len(entries(action="user.update", actor=admin["id"])) == 2
    assert [e["target_id"] for e in entries(to="2020-12-31")] == ["l-1"]
    assert len(entries(**{"from": "2021-01-01"})) == 3
    paged = client.simulate_get(
        "/api/admin/audit-log", headers=admin["headers"], params={"per_page": 1, "page": 9}
    ).json
    assert (paged["items"], paged["total"]) == ([], 4)


@pytest.mark.parametrize(
    "params", [{"actor": "not-a-uuid"}, {"from": "soon"}, {"page": "0"}, {"target": ""}]
)
def test_bad_audit_queries_are_422(client, app, params):
    admin = make_user(app, "admin")
    result = client.simulate_get("/api/admin/audit-log", headers=admin["headers"], params=params)
    assert result.status_code == 422


# System status


def test_system_status_reports_database_backlogs_and_gateways(client, app):
    admin = make_user(app, "admin")
    sql(
        app,
        "INSERT INTO outbox (kind, payload, created_at) VALUES "
        "('email', '{}', now() - interval '90 seconds'), ('email', '{}', now())",
    )
    sql(app, "INSERT INTO outbox (kind, payload, status) VALUES ('email', '{}', 'sent')")
    make_payment(app, "USD", 100, status="pending", created_at="2024-01-01T00:00:00Z")
    make_payment(app, "USD", 100, status="processing", created_at="2099-01-01T00:00:00Z")
    for outcome in ("amount_mismatch", "unknown_reference", "applied:succeeded"):
        sql(
            app,
            "INSERT INTO payment_events (provider, event_id, event_type, outcome, payload) "
            "VALUES ('stripe', %s, 'payment_intent.succeeded', %s, '{}')",
            uuid.uuid4().hex,
            outcome,
        )

    result = client.simulate_get("/api/admin/system", headers=admin["headers"])
    assert result.status_code == 200, result.text
    body = result.json
    assert body["database"]["latency_ms"] >= 0
    assert body["database"]["pool"]["size"] == app.services.db.size
    assert 1 <= body["database"]["pool"]["in_use"] <= app.services.db.size
    assert body["migrations"]["version"] == body["migrations"]["files"] >= 5
    assert body["outbox"]["pending"] == 2
    assert body["outbox"]["oldest_pending_age_seconds"] >= 90
    assert body["webhooks"] == {"stale_payments": 1, "unmatched_events": 2}
    assert body["gateways"] == {
        "stripe": {"status": "ok", "ok": True, "detail": "fake: ok"},
        "flutterwave": {"status": "unauthorized", "ok": False, "detail": "fake: unauthorized"},
    }
    assert result.headers["Cache-Control"] == "no-store"


def test_system_status_survives_a_failing_gateway_check(config):
    class Broken:
        def probe(self) -> Health:
            raise RuntimeError("boom")

    app = make_app(config, stripe=Broken(), flutterwave=FakeGateway("ok"))
    client = falcon.testing.TestClient(app)
    admin = make_user(app, "admin")
    body = client.simulate_get("/api/admin/system", headers=admin["headers"]).json
    assert body["gateways"]["stripe"]["status"] == "error"
    assert body["gateways"]["stripe"]["ok"] is False
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None}


# Summary report


def test_summary_counts_accounts_listings_sales_and_refunds(client, app):
    admin = make_user(app, "admin")
    seller, buyer = make_user(app, "seller"), make_user(app)
    make_user(app, "buyer", "disabled")
    make_user(app, "buyer", "pending_verification")
    parties = (seller, buyer)
    paid = make_payment(app, "USD", 10_000, created_at="2024-05-10T00:00:00Z", parties=parties)
    make_payment(app, "USD", 5_000, status="refunded", refunded=5_000, parties=parties)
    make_payment(app, "NGN", 700, status="disputed", parties=parties)
    make_payment(app, "USD", 999, status="failed", parties=parties)
    make_payment(app, "USD", 111, created_at="2023-01-01T00:00:00Z", parties=parties)
    sql(
        app,
        "INSERT INTO refunds (payment_id, amount, currency, status, updated_at) VALUES "
        "(%s, 2000, 'USD', 'succeeded', '2024-05-11'), (%s, 50, 'USD', 'failed', '2024-05-11'),"
        " (%s, 70, 'USD', 'succeeded', '2023-01-02')",
        paid,
        paid,
        paid,
    )
    sql(app, "UPDATE listings SET status = 'suspended' WHERE id = %s", paid_listing(app, paid))

    result = client.simulate_get(
        "/api/admin/reports/summary",
        headers=admin["headers"],
        params={"from": "2024-01-01", "to": "2024-12-31"},
    )
    assert result.status_code == 200, result.text
    body = result.json
    assert body["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert body["users"]["by_role"] == {"buyer": 3, "seller": 1, "admin": 1}
    assert body["users"]["by_status"] == {
        "pending_verification": 1,
        "active": 3,
        "disabled": 1,
    }
    assert body["listings"]["by_status"] == {
        "pending_review": 0,
        "active": 4,
        "rejected": 0,
        "suspended": 1,
        "archived": 0,
    }
    assert body["sales"] == {
        "NGN": {"count": 1, "amount": 700},
        "USD": {"count": 2, "amount": 15_000},
    }
    assert body["refunds"] == {"USD": {"count": 1, "amount": 2000}}

    everything = client.simulate_get("/api/admin/reports/summary", headers=admin["headers"]).json
    assert everything["sales"]["USD"] == {"count": 3, "amount": 15_111}
    assert everything["refunds"]["USD"] == {"count": 2, "amount": 2070}
    assert everything["period"] == {"from": None, "to": None}


def paid_listing(app: MarketplaceApp, payment_id: str) -> str:
    return sql(app, "SELECT listing_id::text AS id FROM payments WHERE id = %s", payment_id)[0][
        "id"
    ]


def test_summary_refuses_a_reversed_period(client, app):
    admin = make_user(app, "admin")
    result = client.simulate_get(
        "/api/admin/reports/summary",
        headers=admin["headers"],
        params={"from": "2024-02-01", "to": "2024-01-01"},
    )
    assert result.status_code == 422
    assert result.json["errors"] == [{"field": "from", "message": "must not be after to"}]


def test_admin_routes_are_documented_in_openapi(client):
    paths = client.simulate_get("/api/openapi.json").json["paths"]
    assert set(paths["/api/admin/users/{user_id}"]) == {"patch"}
    assert set(paths["/api/admin/audit-log"]) == {"get"}
    params = {p["name"] for p in paths["/api/admin/transactions"]["get"]["parameters"]}
    assert params == {"status", "provider", "from", "to", "page", "per_page"}
