"""`python -m api_server users create-admin`, run as an operator would, in a subprocess."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import falcon.testing
import pytest

from api_server.users.passwords import Passwords
from tests.conftest import migrated_database
from tests.factories import app_config, make_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Operator-Horse-31"


def create_admin(dsn, email, *, env_password=None, stdin=None, extra_env=None):
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_PASSWORD", "DATABASE_URL")}
    if dsn is not None:
        env["DATABASE_URL"] = dsn
    if env_password is not None:
        env["ADMIN_PASSWORD"] = env_password
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "api_server", "users", "create-admin", email],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def dsn(postgres):
    """One migrated database for the module; each test uses its own emails."""
    url = migrated_database(postgres)
    return url


def new_email(name):
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def create_app_for(dsn):
    return make_app(app_config(dsn))


def users(dsn, email):
    app = create_app_for(dsn)
    try:
        with app.services.db.transaction() as cur:
            cur.execute(
                """SELECT email, role, status, password_hash, verified_at FROM users
                   WHERE lower(email) = lower(%s)""",
                (email,),
            )
            return cur.fetchall()
    finally:
        app.services.close()


def test_creates_an_active_admin_from_the_environment(dsn):
    email = new_email("root")
    result = create_admin(dsn, email.replace("root", "Root"), env_password=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    printed = json.loads(result.stdout)
    assert (printed["email"], printed["role"], printed["status"]) == (email, "admin", "active")
    (row,) = users(dsn, email)
    assert (row["email"], row["role"], row["status"]) == (email, "admin", "active")
    assert row["verified_at"] is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert Passwords().verify(row["password_hash"], PASSWORD)
    # The admin can log in at once.
    app = create_app_for(dsn)
    try:
        login = falcon.testing.TestClient(app).simulate_post(
            "/api/users/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200
        assert login.json["user"]["role"] == "admin"
    finally:
        app.services.close()


def test_reads_the_password_from_standard_input(dsn):
    email = new_email("stdin")
    result = create_admin(dsn, email, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    (row,) = users(dsn, email)
    assert Passwords().verify(row["password_hash"], PASSWORD)


def test_refuses_a_duplicate_in_any_letter_case(dsn):
    email = new_email("dup")
    assert create_admin(dsn, email, env_password=PASSWORD).returncode == 0
    other = "Different-Horse-55"
    result = create_admin(dsn, email.upper(), env_password=other)
    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert other not in result.stdout + result.stderr
    (row,) = users(dsn, email)
    assert Passwords().verify(row["password_hash"], PASSWORD)


def test_refuses_a_weak_password(dsn):
    weak = "onlyletters"
    email = new_email("weak")
    result = create_admin(dsn, email, env_password=weak)
    assert result.returncode == 2
    assert result.stderr.startswith("refused: ")
    assert weak not in result.stdout + result.stderr
    assert users(dsn, email) == []


def test_without_a_database_url_it_explains_and_exits_2():
    result = create_admin(None, new_email("nodb"), env_password=PASSWORD)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "words", [[], ["users"], ["payments"]], ids=["no-group", "users", "payments"]
)
def test_without_a_command_it_shows_the_usage_and_exits_2(words):
    result = subprocess.run(
        [sys.executable, "-m", "api_server", *words],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "usage: python -m api_server" in result.stderr
    assert "Traceback" not in result.stderr


def test_create_admin_loads_no_gateway_sdk():
    """The suite runs create-admin once per suite: importing the whole API (the Stripe SDK
    and its HTTP clients above all) made each run cost 0.65 s of CPU instead of 0.25 s."""
    heavy = "('stripe', 'requests', 'api_server.services')"
    probe = (
        "import sys, api_server.__main__, api_server.core; "
        f"print(sorted(m for m in {heavy} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"
