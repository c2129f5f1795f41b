"""Password rules, argon2 hashing, and changing a password through the API."""

import falcon.testing
import pytest
from argon2 import PasswordHasher

from api_server.config import Config
from api_server.users.passwords import (
    MIN_LENGTH,
    hash_password,
    password_problems,
    verify_password,
)
from tests.conftest import JWT_SECRET, migrated_database
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import bearer, make_app, make_user, sql

EMAIL = "miner@example.com"
PASSWORD = "Correct-Horse-42"


@pytest.mark.parametrize(
    "password, problem",
    [
        ("Short1", f"must be at least {MIN_LENGTH} characters"),
        ("onlyletterslongenough", "must contain letters and digits"),
        ("123456789012345", "must contain letters and digits"),
        ("miner@example.com", "must not be the email address"),
        (" MINER@example.com ", "must not be the email address"),
    ],
)
def test_weak_passwords_are_explained(password, problem):
    assert problem in password_problems(password, EMAIL)


@pytest.mark.parametrize("password", [PASSWORD, "a" * 11 + "1", "pässwörd-ünïcode-9"])
def test_acceptable_passwords_have_no_problems(password):
    assert password_problems(password, EMAIL) == []


def test_problems_never_echo_the_password():
    password = "secretword"
    assert all(password not in p for p in password_problems(password, EMAIL))


def test_hashes_are_salted_argon2id_and_verify_only_the_right_password():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert first != second
    assert PASSWORD not in first
    assert PasswordHasher().verify(first, PASSWORD)
    assert verify_password(second, PASSWORD)
    assert not verify_password(second, PASSWORD.lower())


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$broken"])
def test_missing_or_broken_hashes_never_verify(stored):
    assert not verify_password(stored, PASSWORD)


def test_the_dummy_hash_password_opens_no_account_without_a_hash():
    assert not verify_password(None, "not-a-real-password-0")


# Changing a password through the API


@pytest.fixture(scope="module")
def app(postgres):
    """One migrated database for the module; each test makes its own user."""
    dsn = migrated_database(postgres)
    application = make_app(Config(database_url=dsn, jwt_secret=JWT_SECRET))
    yield application
    application.services.db.close()


def _session(app):
    """A logged-in buyer on `app`: the client, its email and the login answer."""
    client = falcon.testing.TestClient(app)
    email = make_user(app)["email"]
    login = {"email": email, "password": FACTORY_PASSWORD}
    result = client.simulate_post("/api/users/login", json=login)
    assert result.status_code == 200
    return client, email, result.json


def _change(client, session, current, new):
    return client.simulate_post(
        "/api/users/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(session["access_token"]),
    )


def _stored(app, email):
    query = "SELECT password_hash, token_version, updated_at FROM users WHERE email = %s"
    return sql(app, query, email)[0]


def test_password_change_stores_a_new_hash_and_bumps_the_token_version(app):
    client, email, session = _session(app)
    new_password = "Brand-New-Horse-7"
    assert _change(client, session, FACTORY_PASSWORD, new_password).status_code == 204
    row = _stored(app, email)
    assert row["token_version"] == 2
    assert row["password_hash"].startswith("$argon2id$")
    login = {"email": email, "password": FACTORY_PASSWORD}
    assert client.simulate_post("/api/users/login", json=login).status_code == 401
    login["password"] = new_password
    assert client.simulate_post("/api/users/login", json=login).status_code == 200


def test_refused_password_changes_change_nothing(app):
    client, email, session = _session(app)
    before = _stored(app, email)
    result = _change(client, session, "Not-The-Password-1", "Brand-New-Horse-7")
    assert result.status_code == 403
    assert result.json["code"] == "wrong_password"
    assert [e["field"] for e in result.json["errors"]] == ["current_password"]
    assert _stored(app, email) == before
    for new in ("short1", "onlyletterslongenough", email.upper()):
        result = _change(client, session, FACTORY_PASSWORD, new)
        assert result.status_code == 422
        assert result.json["code"] == "weak_password"
        assert {e["field"] for e in result.json["errors"]} == {"new_password"}
        assert new not in result.text
        assert _stored(app, email) == before
