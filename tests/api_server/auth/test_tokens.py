"""Access and refresh tokens: forgeries, expiry, revocation and rotation, through the real app.

One migrated database serves the module; tests that change a session make their own user.
"""

import base64
import json
import time
import uuid

import falcon.testing
import jwt
import pytest

from api_server.config import Config
from tests.conftest import migrated_database
from tests.factories import JWT_SECRET, PASSWORD, app_config, bearer, make_app, make_user, sql

REALM = 'Bearer realm="mining-marketplace"'


@pytest.fixture(scope="module")
def client(postgres):
    dsn = migrated_database(postgres)
    app = make_app(app_config(dsn))
    yield falcon.testing.TestClient(app)
    app.services.close()


def query(client, statement, *params):
    return sql(client.app, statement, *params)


def login(client, email, password=PASSWORD):
    body = {"email": email, "password": password}
    # Its own address per login keeps the per-address limit out of these tests.
    ip = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    return client.simulate_post("/api/users/login", json=body, remote_addr=ip)


def new_user(client, role="buyer"):
    """A logged-in user: its email, password, tokens and user document."""
    user = make_user(client.app, role)
    result = login(client, user["email"])
    assert result.status_code == 200
    return {"email": user["email"], "password": PASSWORD, **result.json}


@pytest.fixture(scope="module")
def buyer(client):
    """A user whose identity the forged tokens borrow; no test changes its state."""
    return new_user(client)


def me(client, token, scheme="Bearer"):
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.simulate_get("/api/users/me", headers=headers)


def refresh(client, refresh_token):
    return client.simulate_post("/api/users/token/refresh", json={"refresh_token": refresh_token})


def claims_for(user, **overrides):
    """Claims as the API issues them for `user`; an override of None removes the claim."""
    now = int(time.time())
    claims = {
        "sub": user["user"]["id"],
        "role": user["user"]["role"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "iss": Config.jwt_issuer,
        "aud": Config.jwt_audience,
        "ver": 1,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def mint(claims, key=JWT_SECRET, algorithm="HS256"):
    return jwt.encode(claims, key, algorithm=algorithm)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_refused(result, code=None):
    assert result.status_code == 401
    assert result.headers["content-type"] == "application/problem+json"
    assert result.headers["www-authenticate"].startswith(REALM)
    if code is not None:
        assert result.json["code"] == code
        if code != "missing_token":
            assert f'error="{code}"' in result.headers["www-authenticate"]
    return result.json


# Forged and malformed access tokens


def test_a_correctly_minted_token_works(client, buyer):
    """Guards the forgery tests below: only the defect each one adds makes it fail."""
    result = me(client, mint(claims_for(buyer)))
    assert result.status_code == 200
    assert result.json["id"] == buyer["user"]["id"]


def test_alg_none_is_refused(client, buyer):
    header = _b64({"alg": "none", "typ": "JWT"})
    assert_refused(me(client, f"{header}.{_b64(claims_for(buyer))}."), "invalid_token")


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_another_hmac_algorithm_with_the_right_secret_is_refused(client, buyer):
    assert_refused(me(client, mint(claims_for(buyer), algorithm="HS512")), "invalid_token")


def test_wrong_signature_is_refused(client, buyer):
    token = mint(claims_for(buyer), key="another-secret-" + "y" * 32)
    assert_refused(me(client, token), "invalid_token")


@pytest.mark.parametrize(
    "overrides",
    [{"aud": "another-api"}, {"iss": "someone-else"}, {"aud": ["another-api", "more"]}],
    ids=["audience", "issuer", "audience-list"],
)
def test_wrong_audience_or_issuer_is_refused(client, buyer, overrides):
    assert_refused(me(client, mint(claims_for(buyer, **overrides))), "invalid_token")


def test_expired_token_is_refused(client, buyer):
    past = int(time.time()) - 3600
    token = mint(claims_for(buyer, iat=past - 600, nbf=past - 600, exp=past))
    assert_refused(me(client, token), "token_expired")


def test_not_yet_valid_token_is_refused(client, buyer):
    later = int(time.time()) + 3600
    assert_refused(me(client, mint(claims_for(buyer, nbf=later))), "invalid_token")


def test_tampered_payload_is_refused(client, buyer):
    header, payload, signature = buyer["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}"
    assert_refused(me(client, forged), "invalid_token")


@pytest.mark.parametrize("claim", ["sub", "role", "iat", "exp", "jti", "iss", "aud"])
def test_token_missing_a_required_claim_is_refused(client, buyer, claim):
    assert_refused(me(client, mint(claims_for(buyer, **{claim: None}))), "invalid_token")


def test_token_without_version_is_refused(client, buyer):
    assert_refused(me(client, mint(claims_for(buyer, ver=None))), "token_revoked")


def test_token_for_an_unknown_user_is_refused(client, buyer):
    assert_refused(me(client, mint(claims_for(buyer, sub=str(uuid.uuid4())))), "token_revoked")


@pytest.mark.parametrize("token", ["not.a.jwt", "garbage", "a.b"])
def test_garbage_is_refused(client, token):
    assert_refused(me(client, token), "invalid_token")


def test_missing_token_gets_a_plain_challenge(client):
    assert_refused(me(client, None), "missing_token")
    assert me(client, None).headers["www-authenticate"] == REALM


def test_other_schemes_are_refused(client, buyer):
    assert_refused(me(client, buyer["access_token"], scheme="Token"), "invalid_token")
    assert_refused(me(client, "", scheme="Bearer"), "invalid_token")


# Revocation


def test_logout_revokes_the_access_token_and_its_refresh_token(client):
    user = new_user(client)
    headers = bearer(user["access_token"])
    assert client.simulate_post("/api/users/logout", headers=headers).status_code == 204
    assert_refused(me(client, user["access_token"]), "token_revoked")
    jti = jwt.decode(user["access_token"], options={"verify_signature": False})["jti"]
    (row,) = query(
        client, "SELECT reason, user_id::text AS user_id FROM revoked_tokens WHERE jti = %s", jti
    )
    assert row == {"reason": "logout", "user_id": user["user"]["id"]}
    result = refresh(client, user["refresh_token"])
    assert (result.status_code, result.json["code"]) == (401, "invalid_grant")
    # The logged-out session only: a new login works at once.
    assert me(client, login(client, user["email"]).json["access_token"]).status_code == 200


def test_password_change_revokes_every_older_token(client):
    user = new_user(client)
    second = login(client, user["email"]).json
    new_password = "Another-Horse-77"
    result = client.simulate_post(
        "/api/users/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=bearer(user["access_token"]),
    )
    assert result.status_code == 204
    for session in (user, second):
        assert_refused(me(client, session["access_token"]), "token_revoked")
        assert refresh(client, session["refresh_token"]).status_code == 401
    (row,) = query(client, "SELECT token_version FROM users WHERE id = %s", user["user"]["id"])
    assert row["token_version"] == 2
    fresh = login(client, user["email"], new_password).json
    assert me(client, fresh["access_token"]).status_code == 200
    assert jwt.decode(fresh["access_token"], options={"verify_signature": False})["ver"] == 2


def test_disabling_a_user_refuses_its_live_tokens(client):
    user = new_user(client)
    assert me(client, user["access_token"]).status_code == 200
    query(client, "UPDATE users SET status = 'disabled' WHERE id = %s", user["user"]["id"])
    assert_refused(me(client, user["access_token"]), "account_inactive")
    assert refresh(client, user["refresh_token"]).status_code == 401


def test_role_comes_from_the_database_not_the_token(client):
    user = new_user(client, role="seller")
    query(client, "UPDATE users SET role = 'buyer' WHERE id = %s", user["user"]["id"])
    assert me(client, user["access_token"]).json["role"] == "buyer"


# Refresh rotation


def test_refresh_rotates_the_pair_and_spends_the_old_token(client):
    user = new_user(client)
    result = refresh(client, user["refresh_token"])
    assert result.status_code == 200
    assert result.headers["cache-control"] == "no-store"
    renewed = result.json
    assert renewed["refresh_token"] != user["refresh_token"]
    assert renewed["access_token"] != user["access_token"]
    assert me(client, renewed["access_token"]).status_code == 200
    rows = query(
        client,
        """SELECT family_id::text AS family_id, used_at IS NOT NULL AS spent
           FROM refresh_tokens WHERE user_id = %s ORDER BY created_at""",
        user["user"]["id"],
    )
    assert [r["spent"] for r in rows] == [True, False]
    assert rows[0]["family_id"] == rows[1]["family_id"]
    again = refresh(client, renewed["refresh_token"])
    assert again.status_code == 200


def test_reusing_a_spent_refresh_token_revokes_its_whole_family(client):
    user = new_user(client)
    other_session = login(client, user["email"]).json
    renewed = refresh(client, user["refresh_token"]).json
    reuse = refresh(client, user["refresh_token"])
    assert (reuse.status_code, reuse.json["code"]) == (401, "invalid_grant")
    # The thief's copy and the legitimate newer tokens die together.
    assert refresh(client, renewed["refresh_token"]).status_code == 401
    assert_refused(me(client, renewed["access_token"]), "token_revoked")
    assert_refused(me(client, user["access_token"]), "token_revoked")
    family = query(
        client,
        """SELECT revoked_at IS NOT NULL AS revoked FROM refresh_tokens
           WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE access_jti = %s)""",
        jwt.decode(user["access_token"], options={"verify_signature": False})["jti"],
    )
    assert family == [{"revoked": True}] * 2
    reasons = query(
        client, "SELECT DISTINCT reason FROM revoked_tokens WHERE user_id = %s", user["user"]["id"]
    )
    assert reasons == [{"reason": "refresh_reuse"}]
    # Another session of the same user is another family, untouched.
    assert me(client, other_session["access_token"]).status_code == 200
    assert refresh(client, other_session["refresh_token"]).status_code == 200


def test_expired_refresh_token_is_refused(client):
    user = new_user(client)
    query(
        client,
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = %s",
        user["user"]["id"],
    )
    result = refresh(client, user["refresh_token"])
    assert (result.status_code, result.json["code"]) == (401, "invalid_grant")


@pytest.mark.parametrize("token", ["unknown-token", "x" * 200])
def test_unknown_refresh_token_is_refused(client, token):
    assert refresh(client, token).status_code == 401


@pytest.mark.parametrize("sub", ["not-a-uuid", "1", 123, "{5e11e700-0000-4000-8000-00000000000b}"])
def test_signed_token_with_a_malformed_subject_is_refused(client, buyer, sub):
    assert_refused(me(client, mint(claims_for(buyer, sub=sub))), "invalid_token")
