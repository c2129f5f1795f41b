"""Search at scale: keyset cursors, capped totals, and HTTP caching of public reads."""

from __future__ import annotations

from typing import Any

import pytest

from api_server.marketplace.search import COUNT_CAP, cursor_key_of, decode_cursor, encode_cursor
from tests.api_server.marketplace.support import get, search
from tests.factories import JWT_SECRET, make_listing, sql


def _seed_active(app: Any, seller: dict[str, Any], count: int, price: int = 1000) -> None:
    """`count` active listings of `seller` in one statement (fixtures, not the API under test);
    prices repeat, so ties on the sort key are common."""
    sql(
        app,
        "INSERT INTO listings (seller_id, title, commodity, description, quantity, "
        "available_quantity, unit, price_per_unit, currency, country, status, created_at) "
        "SELECT %s, 'Lot ' || i, 'tin', 'Cassiterite', 5, 5, 't', %s + (i %% 3), 'USD', 'RW', "
        "'active', now() - (i %% 7) * interval '1 second' FROM generate_series(1, %s) i",
        seller["id"],
        price,
        count,
    )


def _walk(client: Any, **params: Any) -> list[str]:
    ids: list[str] = []
    page = search(client, **params).json
    while True:
        ids += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return ids
        page = search(client, **params, cursor=page["next_cursor"]).json
        assert page["page"] is None


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc"])
def test_following_cursors_reaches_every_match_once_in_order(client, app, seller, sort):
    _seed_active(app, seller, 23)
    by_cursor = _walk(client, seller_id=seller["id"], per_page=5, sort=sort)
    every = search(client, seller_id=seller["id"], per_page=100, sort=sort).json["items"]
    assert by_cursor == [item["id"] for item in every]
    assert len(set(by_cursor)) == 23


def test_a_broad_search_counts_up_to_the_cap_and_cursors_go_past_it(client, app, seller):
    _seed_active(app, seller, COUNT_CAP + 5)
    first = search(client, seller_id=seller["id"], per_page=100).json
    assert (first["total"], first["total_exact"]) == (COUNT_CAP, False)
    numbered = search(client, seller_id=seller["id"], per_page=100, page=11)
    assert (numbered.status_code, numbered.json["code"]) == (422, "page_too_deep")
    assert len(_walk(client, seller_id=seller["id"], per_page=100)) == COUNT_CAP + 5


@pytest.mark.parametrize(("matches", "total", "exact"), [(500, 500, True), (501, 500, False)])
def test_totals_are_exact_up_to_the_documented_500(client, app, seller, matches, total, exact):
    """docs/performance.md promises clients an exact total up to 500 matches."""
    _seed_active(app, seller, matches)
    page = search(client, seller_id=seller["id"], per_page=1).json
    assert (page["total"], page["total_exact"]) == (total, exact)


def test_an_exact_total_past_the_end_is_an_empty_page(client, app, seller):
    _seed_active(app, seller, 3)
    beyond = search(client, seller_id=seller["id"], page=100000, per_page=100).json
    assert (beyond["items"], beyond["total"], beyond["total_exact"]) == ([], 3, True)


# The key the test app signs cursors with (make_app's JWT secret).
KEY = cursor_key_of(JWT_SECRET)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"cursor": encode_cursor("newest", "2026-01-01T00:00:00.000000+00:00", "z", KEY)},
            "is not a",
        ),
        ({"cursor": encode_cursor("newest", "yesterday", "8" * 32, KEY)}, "is not a cursor"),
        ({"cursor": encode_cursor("price_asc", "1000", "8" * 32, KEY)}, "belongs to another sort"),
        ({"cursor": encode_cursor("newest", "x", "y", KEY), "page": 2}, "cannot be combined"),
        ({"cursor": "a" * 401}, "has an invalid format"),
    ],
    ids=["bad id", "bad key", "other sort", "with page", "too long"],
)
def test_a_cursor_the_api_did_not_give_is_refused(client, params, message):
    result = search(client, **params)
    assert result.status_code == 422
    assert result.json["errors"][0]["field"] == "cursor"
    assert result.json["errors"][0]["message"].startswith(message)


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor("newest", "2026-01-01T00:00:00.000000+00:00", "8" * 32, b"another key"),
    ],
    ids=["garbage", "signed elsewhere"],
)
def test_a_cursor_this_api_did_not_write_is_malformed(client, cursor):
    result = search(client, cursor=cursor)
    assert result.status_code == 400
    assert result.json["code"] == "invalid_cursor"
    assert result.json["errors"][0]["field"] == "cursor"


def test_a_cursor_round_trips_its_sort_key_and_id():
    listing_id = "0b8e8d4e-8a8e-4f7e-9d3e-1a2b3c4d5e6f"
    key = "2026-11-27T16:25:10.000001+00:00"
    assert decode_cursor(encode_cursor("newest", key, listing_id, KEY), "newest", KEY) == (
        key,
        listing_id,
    )


def test_a_public_listing_is_cached_and_revalidated(client, app, seller):
    listing = make_listing(app, seller, status="active")
    first = get(client, listing)
    assert first.headers["ETag"] == f'"{listing["version"]}"'
    assert first.headers["Cache-Control"] == "public, max-age=5"
    again = client.simulate_get(
        f"/api/marketplace/{listing['id']}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert (again.status_code, again.text) == (304, "")
    assert again.headers["ETag"] == first.headers["ETag"]
    sql(app, "UPDATE listings SET title = 'Changed title' WHERE id = %s", listing["id"])
    changed = client.simulate_get(
        f"/api/marketplace/{listing['id']}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200
    assert changed.json["title"] == "Changed title"


def test_what_only_the_owner_sees_is_private(client, app, seller):
    pending = make_listing(app, seller)
    result = get(client, pending, seller)
    assert result.status_code == 200
    assert result.headers["Cache-Control"] == "private, no-cache"


def test_a_search_page_is_revalidated_by_its_digest(client, app, seller):
    _seed_active(app, seller, 2)
    first = search(client, seller_id=seller["id"])
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = client.simulate_get(
        "/api/marketplace", params={"seller_id": seller["id"]}, headers={"If-None-Match": tag}
    )
    assert again.status_code == 304
    _seed_active(app, seller, 1)
    changed = search(client, seller_id=seller["id"])
    assert changed.headers["ETag"] != tag
