"""Registration, verification, login and profile rules, through the real app and database.

One migrated database serves the module; every test makes its own users, emails and client
addresses, so the tests stay independent and run in any order.
"""

import random
import threading
import uuid

import falcon.testing
import pytest
from argon2 import PasswordHasher

from api_server.config import Config
from tests.conftest import migrated_database
from tests.factories import PASSWORD, app_config, bearer, make_app, make_user, sql

MAX_FAILURES = 3
MAX_FAILURES_PER_IP = 4


@pytest.fixture(scope="module")
def client(postgres):
    dsn = migrated_database(postgres)
    config = app_config(
        dsn,
        login_max_failures=MAX_FAILURES,
        login_max_failures_per_ip=MAX_FAILURES_PER_IP,
    )
    app = make_app(config)
    yield falcon.testing.TestClient(app)
    app.services.close()


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def new_ip() -> str:
    # Rate limits count per client address, so each test gets its own.
    return "10." + ".".join(str(random.randint(1, 254)) for _ in range(3))


def query(client, statement, *params):
    return sql(client.app, statement, *params)


def register(client, email, role="buyer", **fields):
    body = {"email": email, "password": PASSWORD, "full_name": "Test User", "role": role}
    return client.simulate_post("/api/users/register", json={**body, **fields})


def verification_token(client, email) -> str:
    """The token of the newest verification email queued for `email`."""
    rows = query(
        client, "SELECT payload FROM outbox WHERE payload->>'to' = %s ORDER BY id DESC", email
    )
    assert rows, f"no verification email queued for {email}"
    return rows[0]["payload"]["text"].split("token=")[1].split()[0]


def login(client, email, password, ip):
    body = {"email": email, "password": password}
    return client.simulate_post("/api/users/login", json=body, remote_addr=ip)


def verified_user(client, ip, role="buyer"):
    """An active user logged in once from `ip`: its email, tokens and user document."""
    email = make_user(client.app, role)["email"]
    result = login(client, email, PASSWORD, ip)
    assert result.status_code == 200
    return {"email": email, **result.json}


def auth(tokens) -> dict[str, str]:
    return bearer(tokens["access_token"])


# Registration


def test_registration_stores_a_normalised_email_and_an_argon2_hash(client):
    email = new_email()
    result = register(client, email.replace("user", "USER").replace("example", "Example"))
    assert result.status_code == 201
    assert result.json["email"] == email
    assert result.json["status"] == "pending_verification"
    assert "password_hash" not in result.json
    (row,) = query(
        client, "SELECT email, password_hash FROM users WHERE id = %s", result.json["id"]
    )
    assert row["email"] == email
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert PasswordHasher().verify(row["password_hash"], PASSWORD)


def test_duplicate_email_is_409_in_any_letter_case(client):
    email = new_email()
    assert register(client, email).status_code == 201
    for case in (str, str.upper, str.title):
        again = register(client, case(email), role="seller")
        assert again.status_code == 409
        assert again.json["code"] == "email_taken"
        assert [e["field"] for e in again.json["errors"]] == ["email"]
    rows = query(client, "SELECT role FROM users WHERE lower(email) = %s", email)
    assert rows == [{"role": "buyer"}]


def test_concurrent_registrations_of_one_email_make_one_account(client):
    email = new_email()
    variants = [email, email.upper(), email.title(), email]
    start = threading.Barrier(len(variants))
    statuses = []

    def attempt(address: str) -> None:
        start.wait()
        statuses.append(register(client, address).status_code)

    threads = [threading.Thread(target=attempt, args=(v,)) for v in variants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201] + [409] * (len(variants) - 1)
    assert len(query(client, "SELECT id FROM users WHERE lower(email) = %s", email)) == 1
    # The losers' transactions rolled back their verification emails with their rows.
    assert len(query(client, "SELECT id FROM outbox WHERE payload->>'to' = %s", email)) == 1


def test_weak_password_is_refused_and_stores_nothing(client):
    email = new_email()
    result = client.simulate_post(
        "/api/users/register",
        json={"email": email, "password": "short1", "full_name": "X", "role": "buyer"},
    )
    assert result.status_code == 422
    assert result.json["code"] == "weak_password"
    assert query(client, "SELECT id FROM users WHERE email = %s", email) == []
    assert query(client, "SELECT id FROM outbox WHERE payload->>'to' = %s", email) == []


# Verification


def test_verification_link_activates_once(client):
    email = new_email()
    register(client, email)
    token = verification_token(client, email)
    first = client.simulate_get("/api/users/verify", params={"token": token})
    assert first.status_code == 200
    assert first.json["status"] == "active"
    (link,) = query(
        client,
        "SELECT used_at FROM email_verifications WHERE user_id = %s",
        first.json["id"],
    )
    assert link["used_at"] is not None
    again = client.simulate_post("/api/users/verify", json={"token": token})
    assert again.status_code == 400
    assert again.json["code"] == "invalid_token"
    (row,) = query(client, "SELECT status, verified_at FROM users WHERE email = %s", email)
    assert row["status"] == "active"
    assert row["verified_at"] is not None


def test_expired_verification_link_is_refused(client):
    email = new_email()
    register(client, email)
    token = verification_token(client, email)
    query(
        client,
        """UPDATE email_verifications SET expires_at = now() - interval '1 second'
           WHERE user_id = (SELECT id FROM users WHERE email = %s)""",
        email,
    )
    result = client.simulate_get("/api/users/verify", params={"token": token})
    assert result.status_code == 400
    assert result.json["code"] == "invalid_token"
    (row,) = query(client, "SELECT status, verified_at FROM users WHERE email = %s", email)
    assert row == {"status": "pending_verification", "verified_at": None}


# Login


def test_login_failures_look_the_same_for_unknown_email_wrong_password_and_pending(client):
    ip = new_ip()
    user = verified_user(client, ip)
    pending = make_user(client.app, status="pending_verification")["email"]
    answers = [
        login(client, user["email"], "Wrong-Password-99", ip),
        login(client, new_email(), "Wrong-Password-99", ip),
        login(client, pending, "Wrong-Password-99", ip),
    ]
    bodies = []
    for answer in answers:
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json
        assert body.pop("request_id") == answer.headers["x-request-id"]
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "invalid_credentials"


def test_unknown_email_still_runs_an_argon2_verification(client, monkeypatch):
    ip = new_ip()
    user = verified_user(client, ip)
    verified: list[str] = []
    original = PasswordHasher.verify

    def counting_verify(self, hash, password):
        verified.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    assert login(client, new_email(), "Wrong-Password-99", ip).status_code == 401
    assert login(client, user["email"], "Wrong-Password-99", ip).status_code == 401
    assert len(verified) == 2
    unknown_hash, real_hash = verified
    assert unknown_hash.startswith("$argon2id$")
    # Same argon2 parameters (memory, time, lanes): the unknown path costs the same work.
    assert unknown_hash.split("$")[3] == real_hash.split("$")[3]


def test_the_dummy_hash_password_does_not_log_in_an_unknown_email(client):
    result = login(client, new_email(), "not-a-real-password-0", new_ip())
    assert result.status_code == 401


def test_login_succeeds_in_any_letter_case_and_is_recorded(client):
    ip = new_ip()
    user = verified_user(client, ip)
    result = login(client, user["email"].upper(), PASSWORD, ip)
    assert result.status_code == 200
    assert result.headers["cache-control"] == "no-store"
    assert result.json["token_type"] == "Bearer"
    rows = query(
        client, "SELECT client_ip, succeeded FROM login_attempts WHERE email = %s", user["email"]
    )
    assert rows == [{"client_ip": ip, "succeeded": True}] * 2


def test_failures_per_email_are_limited_with_retry_after(client):
    user = verified_user(client, new_ip())
    for _ in range(MAX_FAILURES):
        assert login(client, user["email"], "Wrong-Password-99", new_ip()).status_code == 401
    # Even the right password, from another address, waits: the limit is per account.
    limited = login(client, user["email"], PASSWORD, new_ip())
    assert limited.status_code == 429
    assert limited.json["code"] == "too_many_attempts"
    assert 1 <= int(limited.headers["retry-after"]) <= Config.login_window_seconds
    failures = query(
        client,
        "SELECT count(*) AS n FROM login_attempts WHERE email = %s AND NOT succeeded",
        user["email"],
    )
    assert failures == [{"n": MAX_FAILURES}]
    # Another account is not locked out by this one's failures.
    other = verified_user(client, new_ip())
    assert login(client, other["email"], PASSWORD, new_ip()).status_code == 200


def test_failures_per_client_address_are_limited(client):
    attacker = new_ip()
    user = verified_user(client, new_ip())
    for _ in range(MAX_FAILURES_PER_IP):
        assert login(client, new_email(), "Wrong-Password-99", attacker).status_code == 401
    limited = login(client, user["email"], PASSWORD, attacker)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    failures = query(
        client,
        "SELECT count(*) AS n FROM login_attempts WHERE client_ip = %s AND NOT succeeded",
        attacker,
    )
    assert failures == [{"n": MAX_FAILURES_PER_IP}]
    assert login(client, user["email"], PASSWORD, new_ip()).status_code == 200


def test_parallel_guesses_cannot_exceed_the_limit(client):
    """The check and the record must be atomic, or a burst of guesses slips past the limit."""
    user = verified_user(client, new_ip())
    guesses = MAX_FAILURES + 4
    start = threading.Barrier(guesses)
    statuses = []

    def guess() -> None:
        start.wait()
        statuses.append(login(client, user["email"], "Wrong-Password-99", new_ip()).status_code)

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [401] * MAX_FAILURES + [429] * (guesses - MAX_FAILURES)
    failures = query(
        client,
        "SELECT count(*) AS n FROM login_attempts WHERE email = %s AND NOT succeeded",
        user["email"],
    )
    assert failures == [{"n": MAX_FAILURES}]


# Profile


@pytest.fixture(scope="module")
def unchanged_user(client):
    """A user that the refused updates below must leave exactly as it is."""
    return verified_user(client, new_ip())


def _user_row(client, user_id):
    (row,) = query(client, "SELECT * FROM users WHERE id = %s", user_id)
    return row


@pytest.mark.parametrize(
    "field, value",
    [
        ("role", "admin"),
        ("email", "someone-else@example.com"),
        ("status", "disabled"),
        ("id", "1d1d1d1d-0000-4000-8000-000000000001"),
        ("token_version", 99),
        ("password_hash", "x"),
    ],
)
def test_profile_update_refuses_protected_fields_and_changes_nothing(
    client, unchanged_user, field, value
):
    user = unchanged_user
    before = _user_row(client, user["user"]["id"])
    result = client.simulate_patch(
        "/api/users/me", json={"full_name": "Renamed", field: value}, headers=auth(user)
    )
    assert result.status_code == 422
    assert result.json["code"] == "validation_error"
    assert [e["field"] for e in result.json["errors"]] == [field]
    assert _user_row(client, user["user"]["id"]) == before


def test_profile_update_changes_only_profile_fields(client):
    user = verified_user(client, new_ip())
    changes = {"full_name": "Thandi M", "phone": "+27 11 555 0100", "country": "ZA", "company": "X"}
    result = client.simulate_patch("/api/users/me", json=changes, headers=auth(user))
    assert result.status_code == 200
    row = _user_row(client, user["user"]["id"])
    assert {k: row[k] for k in changes} == changes
    assert (row["role"], row["status"], row["email"]) == ("buyer", "active", user["email"])
    assert row["updated_at"] > row["created_at"]
    assert client.simulate_get("/api/users/me", headers=auth(user)).json == result.json


def test_empty_profile_update_is_422(client, unchanged_user):
    before = _user_row(client, unchanged_user["user"]["id"])
    result = client.simulate_patch("/api/users/me", json={}, headers=auth(unchanged_user))
    assert result.status_code == 422
    assert _user_row(client, unchanged_user["user"]["id"]) == before


def test_a_company_can_be_cleared_with_an_empty_string(client):
    """The company is optional: a user who leaves one clears it, unlike a name, which stays."""
    user = verified_user(client, new_ip())
    client.simulate_patch("/api/users/me", json={"company": "Acme Mining"}, headers=auth(user))
    result = client.simulate_patch("/api/users/me", json={"company": ""}, headers=auth(user))
    assert result.status_code == 200, result.json
    stored = _user_row(client, user["user"]["id"])["company"]
    assert (stored, result.json["company"]) == ("", "")
