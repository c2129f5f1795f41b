"""Accounts and listings for the load and webhook benchmarks, made through SQL in one go.

Registering through the API would spend the whole budget on argon2 and email links; these
rows are what a verified registration leaves behind. Logging in still goes through the API.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import psycopg2
import requests

from api_server.users.passwords import Passwords


@dataclass(frozen=True)
class Account:
    """A verified, active user the benchmark can log in as."""

    id: str
    email: str
    password: str
    role: str


def create_accounts(dsn: str, role: str, count: int, tag: str) -> list[Account]:
    """`count` active, verified users of `role`, sharing one random password."""
    password = f"Bench-{secrets.token_hex(8)}-1"
    digest = Passwords().hash(password)
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                """
                INSERT INTO users (email, password_hash, full_name, role, status, verified_at)
                SELECT %(prefix)s || i || '@example.com', %(hash)s,
                       'Bench ' || %(role)s || ' ' || i, %(role)s, 'active', now()
                FROM generate_series(1, %(n)s) i
                RETURNING id::text, email
                """,
                {"prefix": f"bench-{tag}-{role}-", "hash": digest, "role": role, "n": count},
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    return [Account(uid, email, password, role) for uid, email in rows]


def create_listings(
    dsn: str, seller_id: str, count: int, quantity: int, price: int = 1_000, tag: str = "b"
) -> list[str]:
    """`count` active USD listings of `quantity` units at `price` minor units; their ids."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                """
                INSERT INTO listings (seller_id, title, commodity, description, quantity,
                                      available_quantity, unit, price_per_unit, currency,
                                      country, status)
                SELECT %(seller)s, 'Bench lot ' || %(tag)s || ' ' || i, 'copper', 'bench lot',
                       %(q)s, %(q)s, 't', %(price)s, 'USD', 'ZM', 'active'
                FROM generate_series(1, %(n)s) i
                ORDER BY i
                RETURNING id::text
                """,
                {"seller": seller_id, "tag": tag, "q": quantity, "price": price, "n": count},
            )
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def log_in(api_url: str, account: Account, session: requests.Session | None = None) -> str:
    """An access token for `account`, through POST /api/users/login."""
    http = session or requests
    response = http.post(
        f"{api_url}/api/users/login",
        json={"email": account.email, "password": account.password},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
