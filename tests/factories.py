"""Test factories: apps over real services with fakes at the edges, and the data tests need.

Every test makes its own users, listings and payments with unique values, so tests run in
any order and share a database safely. Users and payments are rows written directly (the
rules that make them are tested on their own); listings are made by the marketplace
service, so their history and audit rows are the ones the API would write.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from api_server.app import MarketplaceApp, create_app
from api_server.auth.principal import Principal, Role
from api_server.config import Config
from api_server.services import build_services
from api_server.users.passwords import Passwords

PASSWORD = "Factory-Horse-42"
LISTING = {
    "title": "Cobalt hydroxide lot",
    "commodity": "cobalt",
    "description": "Hydroxide concentrate, 30% Co, bagged.",
    "quantity": "10",
    "unit": "t",
    "price_per_unit": 250_000,
    "currency": "USD",
    "country": "CD",
}
PAID = ("succeeded", "partially_refunded", "refunded", "disputed")


JWT_SECRET = "test-secret-" + "x" * 40


def app_config(database_url: str, **overrides: Any) -> Config:
    """A Config for an in-process app: a test secret and argon2's cheapest profile, since
    every app and user would otherwise cost production-strength hashes."""
    settings: dict[str, Any] = {"jwt_secret": JWT_SECRET, "password_hash_profile": "cheapest"}
    return Config(database_url=database_url, **{**settings, **overrides})


def make_app(config: Config, **edges: Any) -> MarketplaceApp:
    """The real app on `config`; `edges` (db, mailer, stripe, flutterwave, clock) replace
    the real collaborators, as `build_services` allows."""
    return create_app(build_services(config, **edges))


def sql(app: MarketplaceApp, query: str, *params: Any) -> list[dict[str, Any]]:
    """Runs `query` in its own transaction; the rows, if it returns any."""
    with app.services.db.transaction() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


@cache
def _password_hash() -> str:
    return Passwords("cheapest").hash(PASSWORD)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an access token."""
    return {"Authorization": f"Bearer {token}"}


def make_user(
    app: MarketplaceApp,
    role: str = "buyer",
    status: str = "active",
    *,
    email: str | None = None,
    full_name: str | None = None,
) -> dict[str, Any]:
    """A user row (password `PASSWORD`; verified unless pending) with a valid access token:
    id, role, status, token_version, email, password and `headers` to act as the user."""
    email = email or f"{role}-{uuid.uuid4().hex[:12]}@example.com"
    row = sql(
        app,
        "INSERT INTO users (email, password_hash, full_name, role, status, verified_at) "
        "VALUES (%s, %s, %s, %s, %s, CASE WHEN %s <> 'pending_verification' THEN now() END) "
        "RETURNING id::text AS id, role, status, token_version",
        email,
        _password_hash(),
        full_name or f"{role.title()} Person",
        role,
        status,
        status,
    )[0]
    token, _ = app.services.tokens.issue_access(row)
    return {**row, "email": email, "password": PASSWORD, "headers": bearer(token)}


def principal(user: dict[str, Any]) -> Principal:
    """`user` as the authenticated caller of a service call."""
    return Principal(user["id"], Role(user["role"]), uuid.uuid4().hex, 0)


def make_listing(
    app: MarketplaceApp, seller: dict[str, Any], *, status: str = "pending_review", **fields: Any
) -> dict[str, Any]:
    """A listing of `seller` made by the marketplace service from `LISTING` and `fields`.

    Another `status` is then set directly (the version moves on, as for a moderation, but
    without a moderation history entry); the listing is returned as the API shows it."""
    listing = app.services.marketplace.create(principal(seller), {**LISTING, **fields})
    if status != "pending_review":
        sql(app, "UPDATE listings SET status = %s WHERE id = %s", status, listing["id"])
        listing = app.services.marketplace.get(listing["id"], principal(seller))
    return listing


def make_payment(
    app: MarketplaceApp,
    currency: str = "USD",
    amount: int = 10_000,
    *,
    status: str = "succeeded",
    provider: str = "stripe",
    refunded: int = 0,
    created_at: str = "2024-05-10T12:00:00Z",
    parties: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> str:
    """A payment row for one unit of a new active listing priced `amount` in `currency`;
    `parties` (seller, buyer) are made when not given. Returns the payment id."""
    seller, buyer = parties or (make_user(app, "seller"), make_user(app))
    listing = make_listing(app, seller, status="active", price_per_unit=amount, currency=currency)
    return sql(
        app,
        "INSERT INTO payments (listing_id, buyer_id, seller_id, quantity, amount, currency, "
        "listing_amount, listing_currency, provider, provider_ref, status, amount_refunded, "
        "expires_at, created_at, paid_at) "
        "VALUES (%s, %s, %s, 1, %s, %s, %s, %s, %s, %s, %s, %s, now(), %s, "
        "CASE WHEN %s IN %s THEN %s::timestamptz END) RETURNING id::text AS id",
        listing["id"],
        buyer["id"],
        seller["id"],
        amount,
        currency,
        amount,
        currency,
        provider,
        f"ref_{uuid.uuid4().hex}",
        status,
        refunded,
        created_at,
        status,
        PAID,
        created_at,
    )[0]["id"]
