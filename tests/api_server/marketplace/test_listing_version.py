"""The one owner of "every change bumps a listing's version": the listings_version trigger."""

from __future__ import annotations

import uuid

import psycopg2
import psycopg2.extras
import pytest


@pytest.fixture
def cur(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
        yield cursor
    conn.close()


@pytest.fixture
def listing(cur) -> str:
    cur.execute(
        "INSERT INTO users (email, password_hash, full_name, role, status) "
        "VALUES (%s, 'x', 'Seller', 'seller', 'active') RETURNING id",
        (f"seller-{uuid.uuid4().hex}@example.com",),
    )
    seller = cur.fetchone()["id"]
    cur.execute(
        "INSERT INTO listings (seller_id, title, commodity, description, quantity, "
        "available_quantity, unit, price_per_unit, currency, country, status) "
        "VALUES (%s, 'Copper', 'copper', 'Cathodes', 10, 10, 't', 900000, 'USD', 'ZM', "
        "'active') RETURNING id::text AS id, version",
        (seller,),
    )
    row = cur.fetchone()
    assert row["version"] == 1
    return row["id"]


def _version(cur, listing: str) -> int:
    cur.execute("SELECT version FROM listings WHERE id = %s", (listing,))
    return cur.fetchone()["version"]


@pytest.mark.parametrize(
    "change",
    [
        "title = 'Copper cathodes'",
        "available_quantity = available_quantity - 1",
        "status = 'suspended'",
        "updated_at = now()",
    ],
)
def test_every_update_bumps_the_version_once(cur, listing, change):
    cur.execute(f"UPDATE listings SET {change} WHERE id = %s", (listing,))
    assert _version(cur, listing) == 2


def test_a_statement_cannot_set_the_version_itself(cur, listing):
    cur.execute("UPDATE listings SET version = 99 WHERE id = %s", (listing,))
    assert _version(cur, listing) == 2


def test_an_update_that_matches_no_row_bumps_nothing(cur, listing):
    cur.execute("UPDATE listings SET title = 'x' WHERE id = %s AND version = 7", (listing,))
    assert cur.rowcount == 0
    assert _version(cur, listing) == 1
