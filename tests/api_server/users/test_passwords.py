"""Password rules, argon2 hashing, and changing a password through the API."""

import falcon.testing
import pytest
from argon2 import PasswordHasher

from api_server.config import Config, ConfigError
from api_server.users.passwords import MIN_LENGTH, Passwords, password_problems
from tests.conftest import migrated_database
from tests.factories import JWT_SECRET, bearer, make_app, make_user, sql
from tests.factories import PASSWORD as FACTORY_PASSWORD

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


PASSWORDS = Passwords()


def test_hashes_are_salted_argon2id_and_verify_only_the_right_password():
    first, second = PASSWORDS.hash(PASSWORD), PASSWORDS.hash(PASSWORD)
    # The default is argon2-cffi's RFC 9106 low-memory profile: 64 MiB, 3 passes, 4 lanes.
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert first != second
    assert PASSWORD not in first
    assert PasswordHasher().verify(first, PASSWORD)
    assert PASSWORDS.verify(second, PASSWORD)
    assert not PASSWORDS.verify(second, PASSWORD.lower())


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$broken"])
def test_missing_or_broken_hashes_never_verify(stored):
    assert not PASSWORDS.verify(stored, PASSWORD)


def test_the_dummy_hash_password_opens_no_account_without_a_hash():
    assert not PASSWORDS.verify(None, "not-a-real-password-0")


def test_an_unknown_profile_is_a_configuration_error():
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE"):
        Passwords("md5")


def test_a_hash_of_another_profile_verifies_and_asks_for_a_rehash():
    cheap = Passwords("cheapest").hash(PASSWORD)
    assert PASSWORDS.verify(cheap, PASSWORD)
    assert PASSWORDS.needs_rehash(cheap)
    assert not PASSWORDS.needs_rehash(PASSWORDS.hash(PASSWORD))


# Changing a password through the API


@pytest.fixture(scope="module")
def app(postgres):
    """One migrated database for the module; each test makes its own user."""
    dsn = migrated_database(postgres)
    application = make_app(Config(database_url=dsn, jwt_secret=JWT_SECRET))
    yield application
    application.services.close()


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


def test_a_login_upgrades_a_hash_of_an_older_profile_without_revoking_tokens(app):
    client = falcon.testing.TestClient(app)
    email = make_user(app)["email"]
    before = _stored(app, email)
    assert before["password_hash"].startswith("$argon2id$v=19$m=8,t=1,p=1$")
    login = {"email": email, "password": FACTORY_PASSWORD}
    assert client.simulate_post("/api/users/login", json=login).status_code == 200
    after = _stored(app, email)
    assert after["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert after["token_version"] == before["token_version"]
    assert client.simulate_post("/api/users/login", json=login).status_code == 200
    assert _stored(app, email)["password_hash"] == after["password_hash"]


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
