"""The admin console's reports: transactions, the audit log, system status and the summary."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import falcon.testing
import pytest

from api_server.admin.console import Period
from api_server.payments.gateways import Health
from tests.api_server.admin.support import FakeGateway, console, patch_user
from tests.factories import make_app, make_payment, make_user, sql

WHO_DID_WHAT = {"id", "actor_id", "action", "target_type", "target_id"}
AUDIT_FIELDS = WHO_DID_WHAT | {"details", "request_id", "created_at"}

# Transactions


def test_transaction_totals_cover_every_filtered_payment_per_currency(client, app):
    admin = make_user(app, "admin")
    first = make_payment(app, "USD", 10_000, created_at="2024-05-01T10:00:00Z")
    make_payment(app, "USD", 2_500, status="partially_refunded", refunded=500)
    make_payment(app, "NGN", 150_050, provider="flutterwave")
    last = make_payment(app, "NGN", 1_000, status="pending", created_at="2024-06-01T00:00:00Z")

    body = console(client, admin, "transactions", per_page=1).json
    assert body["total"] == 4
    assert [p["id"] for p in body["items"]] == [last]
    assert body["totals"] == {
        "NGN": {"count": 2, "amount": 151_050, "refunded": 0},
        "USD": {"count": 2, "amount": 12_500, "refunded": 500},
    }
    page_four = console(client, admin, "transactions", page=4, per_page=1).json
    assert [p["id"] for p in page_four["items"]] == [first]
    # The admin sees payments as a non-buyer: no client secret or payment link.
    assert all(p["stripe"] is None or p["stripe"]["client_secret"] is None for p in body["items"])


def test_transactions_filter_by_status_provider_and_period(client, app):
    admin = make_user(app, "admin")
    may = make_payment(app, "USD", 100, created_at="2024-05-31T23:59:59Z")
    june = make_payment(app, "USD", 200, created_at="2024-06-01T00:00:00Z")
    flw = make_payment(app, "KES", 300, provider="flutterwave", status="failed")

    def ids(**params: Any) -> set[str]:
        result = console(client, admin, "transactions", **params)
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
    totals = console(client, admin, "transactions", provider="stripe").json["totals"]
    assert totals == {"USD": {"count": 2, "amount": 300, "refunded": 0}}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("transactions", {"from": "yesterday"}),
        ("transactions", {"from": "2024-13-01"}),
        ("transactions", {"to": "2024-02-30"}),
        ("transactions", {"to": "2024-05-01T25:00:00Z"}),
        ("transactions", {"from": "2024-06-02", "to": "2024-06-01"}),
        ("transactions", {"from": "2024-06-01T12:00:00Z", "to": "2024-06-01T11:59:59Z"}),
        ("transactions", {"status": "paid"}),
        ("transactions", {"provider": "paypal"}),
        ("transactions", {"per_page": "500"}),
        ("audit-log", {"actor": "not-a-uuid"}),
        ("audit-log", {"from": "soon"}),
        # Found by make fuzz: in UTC these fall outside the years a datetime holds.
        ("reports/summary", {"to": "9999-12-31T23:00:00-20:00"}),
        ("transactions", {"from": "0001-01-01T00:00:00+05:00"}),
        ("audit-log", {"page": "0"}),
        ("audit-log", {"target": ""}),
    ],
)
def test_bad_report_queries_are_422(client, app, path, params):
    result = console(client, make_user(app, "admin"), path, **params)
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
        result = console(client, admin, "audit-log", **params)
        assert result.status_code == 200, result.text
        return result.json["items"]

    everything = entries()
    assert [e["target_id"] for e in everything] == [seller["id"], seller["id"], buyer["id"], "l-1"]
    assert set(everything[0]) == AUDIT_FIELDS
    assert [e["details"] for e in entries(target=seller["id"])] == [
        {"status": {"old": "disabled", "new": "active"}},
        {"status": {"old": "active", "new": "disabled"}, "revoked_refresh_tokens": 0},
    ]
    assert [e["target_id"] for e in entries(actor=other_admin["id"])] == [seller["id"]]
    assert [e["target_id"] for e in entries(action="listing.approve")] == ["l-1"]
    assert len(entries(action="user.update", actor=admin["id"])) == 2
    assert [e["target_id"] for e in entries(to="2020-12-31")] == ["l-1"]
    assert len(entries(**{"from": "2021-01-01"})) == 3
    paged = console(client, admin, "audit-log", per_page=1, page=9).json
    assert (paged["items"], paged["total"]) == ([], 4)


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

    result = console(client, admin, "system")
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


def test_system_status_shows_the_answering_workers_search_cache(client, app):
    admin = make_user(app, "admin")
    for _ in range(3):
        client.simulate_get("/api/marketplace", params={"commodity": "gold"})
    cache = console(client, admin, "system").json["search_cache"]
    assert cache["worker"] == os.getpid()
    assert (cache["hits"], cache["misses"], cache["stores"], cache["entries"]) == (2, 1, 1, 1)
    assert cache["max_entries"] == app.services.config.search_cache_entries
    assert cache["bytes"] > 0 and cache["generation"] >= 1


def test_system_status_survives_a_failing_gateway_check(config):
    class Broken:
        def probe(self) -> Health:
            raise RuntimeError("boom")

    app = make_app(config, stripe=Broken(), flutterwave=FakeGateway("ok"))
    client = falcon.testing.TestClient(app)
    body = console(client, make_user(app, "admin"), "system").json
    assert body["gateways"]["stripe"]["status"] == "error"
    assert body["gateways"]["stripe"]["ok"] is False
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None}
    app.services.close()


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
    sql(
        app,
        "UPDATE listings SET status = 'suspended' "
        "WHERE id = (SELECT listing_id FROM payments WHERE id = %s)",
        paid,
    )

    result = console(client, admin, "reports/summary", **{"from": "2024-01-01", "to": "2024-12-31"})
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

    everything = console(client, admin, "reports/summary").json
    assert everything["sales"]["USD"] == {"count": 3, "amount": 15_111}
    assert everything["refunds"]["USD"] == {"count": 2, "amount": 2070}
    assert everything["period"] == {"from": None, "to": None}


def test_offsets_past_postgresqls_range_are_the_same_instant_in_utc(client, app):
    # Found by make fuzz: +18:13 is a valid ISO 8601 offset that PostgreSQL's timestamptz
    # refuses (it stops at 15:59), and the summary answered 500.
    bounds = {"from": "2024-01-01T00:00:00+18:13", "to": "2024-01-02T00:00:00-23:59"}
    assert Period.of(bounds).start == datetime(2023, 12, 31, 5, 47, tzinfo=UTC)
    for path in ("reports/summary", "transactions", "audit-log"):
        assert console(client, make_user(app, "admin"), path, **bounds).status_code == 200


def test_summary_refuses_a_reversed_period(client, app):
    admin = make_user(app, "admin")
    result = console(client, admin, "reports/summary", **{"from": "2024-02-01", "to": "2024-01-01"})
    assert result.status_code == 422
    assert result.json["errors"] == [{"field": "from", "message": "must not be after to"}]


def test_admin_routes_are_documented_in_openapi(client):
    paths = client.simulate_get("/api/openapi.json").json["paths"]
    assert set(paths["/api/admin/users/{user_id}"]) == {"patch"}
    assert set(paths["/api/admin/audit-log"]) == {"get"}
    params = {p["name"] for p in paths["/api/admin/transactions"]["get"]["parameters"]}
    assert params == {"status", "provider", "from", "to", "page", "per_page"}
