"""Creating, reading and searching listings through the real app and a real PostgreSQL."""

from __future__ import annotations

import json

import pytest

from api_server.common.errors import DomainError, status_of
from api_server.common.quantities import parse_quantity
from tests.api_server.marketplace.support import history_actions, moderate, scalar, search
from tests.factories import make_listing, sql

# Creation


def test_a_new_listing_is_pending_with_defaults_history_and_audit(client, seller):
    result = client.simulate_post(
        "/api/marketplace",
        json={
            "title": "  Gold dore  ",
            "commodity": "gold",
            "description": "Dore bars, 85% Au.",
            "quantity": 12.5,
            "unit": "kg",
            "price_per_unit": 5_800_000,
            "currency": "USD",
            "country": "GH",
        },
        headers=seller["headers"],
    )
    assert result.status_code == 201
    listing = result.json
    assert result.headers["etag"] == '"1"'
    assert result.headers["location"] == f"/api/marketplace/{listing['id']}"
    assert listing["status"] == "pending_review"
    assert listing["seller_id"] == seller["id"]
    assert listing["title"] == "Gold dore"
    assert (listing["quantity"], listing["available_quantity"]) == ("12.500", "12.500")
    assert (listing["location"], listing["grade"], listing["photos"]) == (None, None, [])
    [stored] = sql(
        client.app,
        "SELECT status, version, quantity::text, available_quantity::text, seller_id::text"
        " FROM listings WHERE id = %s",
        listing["id"],
    )
    assert stored == {
        "status": "pending_review",
        "version": 1,
        "quantity": "12.500",
        "available_quantity": "12.500",
        "seller_id": seller["id"],
    }
    assert history_actions(client, listing) == ["create"]
    assert scalar(
        client,
        "SELECT count(*) FROM audit_log WHERE action = 'listing.create' AND target_id = %s",
        listing["id"],
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [(12.5, "12.500"), ("0.001", "0.001"), (7, "7.000"), ("12", "12.000"), (0.1, "0.100")],
)
def test_quantities_are_kept_exactly(given, stored):
    assert str(parse_quantity(given)) == stored


@pytest.mark.parametrize(
    "given",
    [0, "0.000", 0.0001, "1.2345", 0.30000000000000004, 1e12, "999999999999.9999", "ten", ""],
)
def test_quantities_that_would_be_rounded_or_are_not_positive_are_refused(given):
    with pytest.raises(DomainError) as raised:
        parse_quantity(given)
    assert status_of(raised.value) == 422
    assert raised.value.errors[0]["field"] == "quantity"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", -1),
        ("quantity", "1e3"),
        ("quantity", " 1"),
        ("quantity", True),
        ("quantity", 0.0001),
        ("price_per_unit", 0),
        ("price_per_unit", 1.5),
        ("price_per_unit", "100"),
        ("price_per_unit", 10**13),
        ("commodity", "unobtanium"),
        ("unit", "lb"),
        ("currency", "usd"),
        ("currency", "XYZ"),
        ("country", "ZAF"),
        ("title", "   "),
        ("title", "  ab  "),
        ("title", "nul\u0000byte"),
        ("description", "lone \ud800 surrogate"),
        ("seller_id", "5e11e700-0000-4000-8000-000000000001"),
        ("status", "active"),
        ("available_quantity", "99"),
    ],
)
def test_each_bad_field_is_a_422_naming_it_and_nothing_is_stored(client, seller, field, value):
    body = {
        "title": "Lot",
        "commodity": "tin",
        "description": "Cassiterite",
        "quantity": "1",
        "unit": "t",
        "price_per_unit": 100,
        "currency": "USD",
        "country": "RW",
        field: value,
    }
    # json.dumps escapes the lone surrogate, as a client's JSON encoder would.
    result = client.simulate_post(
        "/api/marketplace",
        body=json.dumps(body),
        content_type="application/json",
        headers=seller["headers"],
    )
    assert result.status_code == 422
    assert [e["field"] for e in result.json["errors"]] == [field]
    assert scalar(client, "SELECT count(*) FROM listings WHERE seller_id = %s", seller["id"]) == 0


# Reading


@pytest.mark.parametrize(
    "path", ["not-a-uuid", "1", "' OR 1=1 --", "0badc0de-0000-4000-8000-000000000404"]
)
def test_unknown_and_malformed_ids_are_404(client, path):
    assert client.simulate_get(f"/api/marketplace/{path}").status_code == 404
    assert client.simulate_get(f"/api/marketplace/{path}/photos/x").status_code == 404


# Search


def test_search_shows_active_listings_only_and_counts_past_the_end(client, app, seller, admin):
    for price in (300, 100, 200):
        make_listing(app, seller, status="active", price_per_unit=price)
    make_listing(app, seller)
    rejected = make_listing(app, seller)
    moderate(client, admin, rejected, "reject", reason="Duplicate")
    first = search(client, seller_id=seller["id"], per_page=2, sort="price_asc").json
    assert first["total"] == 3
    assert [i["price_per_unit"] for i in first["items"]] == [100, 200]
    second = search(client, seller_id=seller["id"], per_page=2, page=2, sort="price_asc").json
    assert [i["price_per_unit"] for i in second["items"]] == [300]
    beyond = search(client, seller_id=seller["id"], per_page=2, page=9).json
    assert beyond == {
        "items": [],
        "page": 9,
        "per_page": 2,
        "total": 3,
        "total_exact": True,
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "101"},
        {"per_page": "0"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "1.5"},
        {"sort": "cheapest"},
        {"colour": "red"},
        {"min_price": "-1"},
        {"min_price": "10", "max_price": "9"},
        {"seller_id": "abc"},
        {"q": ""},
        {"q": "nul\u0000"},
        {"commodity": "unobtanium"},
        {"currency": "usd"},
        {"country": "zz"},
    ],
)
def test_bad_search_parameters_are_422(client, params):
    result = search(client, **params)
    assert result.status_code == 422
    assert result.json["errors"]
