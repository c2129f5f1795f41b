"""The admin console's accounts: finding people, changing roles and statuses, the last admin."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from api_server.common.errors import DomainError
from api_server.users.accounts import AccountsService, like_pattern
from tests.api_server.admin.support import audit_rows, console, patch_user, user_row
from tests.factories import PASSWORD, bearer, make_user, principal, sql

# Listing accounts


def test_users_are_listed_newest_first_and_filtered(client, app):
    admin = make_user(app, "admin")
    buyer = make_user(app, "buyer", email="ada.lovelace@example.com", full_name="Ada Byron")
    seller = make_user(app, "seller", full_name="Grace Hopper")
    disabled = make_user(app, "seller", "disabled")

    def ids(**params: Any) -> list[str]:
        result = console(client, admin, "users", **params)
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
    page = console(client, admin, "users", per_page=2, page=2).json
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 2, 5, 2)
    beyond = console(client, admin, "users", per_page=2, page=9).json
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
    result = console(client, make_user(app, "admin"), "users", **params)
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
    access = bearer(session["access_token"])
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
    assert console(client, admin, "system").status_code == 200


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
        barrier.wait()
        try:
            service.update(target["id"], {"status": "disabled"}, principal(actor))
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
