"""The client address: X-Forwarded-For counts only when a trusted proxy sent the request."""

import uuid

import falcon.testing
import pytest

from api_server.common.client import client_ip
from tests.conftest import migrated_database
from tests.factories import app_config, make_app

PROXY = "127.0.0.1"
CLIENT = "203.0.113.7"


def _ip(peer, forwarded=None, trusted=(PROXY,)):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client_ip(falcon.testing.create_req(remote_addr=peer, headers=headers), trusted)


def test_without_trusted_proxies_the_header_is_ignored():
    assert _ip(PROXY, CLIENT, trusted=()) == PROXY


def test_a_direct_client_cannot_choose_its_address():
    assert _ip("198.51.100.9", "1.2.3.4") == "198.51.100.9"


def test_behind_a_trusted_proxy_the_forwarded_client_counts():
    assert _ip(PROXY, CLIENT) == CLIENT


def test_trusted_proxy_without_the_header_is_the_client():
    assert _ip(PROXY) == PROXY
    assert _ip(PROXY, "") == PROXY


def test_hops_the_client_added_itself_are_ignored():
    # The proxy appends the address it saw; anything to its left is the client's own claim.
    assert _ip(PROXY, f"1.2.3.4, 5.6.7.8, {CLIENT}") == CLIENT


def test_a_chain_of_trusted_proxies_is_skipped():
    trusted = (PROXY, "10.0.0.2", "10.0.0.3")
    assert _ip(PROXY, f"1.2.3.4, {CLIENT}, 10.0.0.2, 10.0.0.3", trusted) == CLIENT


def test_only_trusted_hops_leave_the_peer():
    assert _ip(PROXY, f"{PROXY}, {PROXY}") == PROXY


@pytest.mark.parametrize("hop", ["not-an-ip", "1.2.3.4:5678", "unknown", "1.2.3.4; DROP"])
def test_an_unparsable_last_hop_is_never_returned(hop):
    assert _ip(PROXY, f"{CLIENT}, {hop}") == PROXY


def test_addresses_are_normalised():
    assert _ip(PROXY, "2001:DB8:0:0::1") == "2001:db8::1"
    assert _ip(PROXY, f" {CLIENT} ,, ") == CLIENT


@pytest.fixture(scope="module")
def dsn(postgres):
    url = migrated_database(postgres)
    return url


@pytest.mark.parametrize(
    "trusted, expected", [((PROXY,), CLIENT), ((), PROXY)], ids=["trusted", "untrusted"]
)
def test_login_attempts_record_the_client_address(dsn, trusted, expected):
    app = make_app(app_config(dsn, trusted_proxies=trusted))
    email = f"nobody-{uuid.uuid4().hex[:12]}@example.com"
    try:
        result = falcon.testing.TestClient(app).simulate_post(
            "/api/users/login",
            json={"email": email, "password": "Wrong-Password-99"},
            headers={"X-Forwarded-For": CLIENT},
            remote_addr=PROXY,
        )
        assert result.status_code == 401
        with app.services.db.transaction() as cur:
            cur.execute("SELECT client_ip FROM login_attempts WHERE email = %s", (email,))
            assert cur.fetchall() == [{"client_ip": expected}]
    finally:
        app.services.close()
