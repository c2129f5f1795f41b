"""A price window, newest first, pages by walking the newest listings when that fills the page,
and like any other search when it does not: both give exactly the same pages."""

from __future__ import annotations

from typing import Any

import pytest

from api_server.marketplace import queries
from api_server.marketplace.search import plan
from tests.api_server.marketplace.support import search
from tests.factories import sql

COMMODITIES = ("gold", "tin")
CURRENCIES = ("USD", "EUR")


def _seed(app: Any, seller: dict[str, Any], count: int = 60) -> None:
    """Listings with spread prices, two currencies and commodities, and tied creation times."""
    sql(
        app,
        "INSERT INTO listings (seller_id, title, commodity, description, quantity, "
        "available_quantity, unit, price_per_unit, currency, country, status, created_at) "
        "SELECT %s, 'Lot ' || i, (%s::text[])[1 + i %% 2], 'Ore', 5, 5, 't', "
        "1000 + (i * 37) %% 500, (%s::text[])[1 + (i / 2) %% 2], 'RW', "
        "CASE WHEN i %% 9 = 0 THEN 'pending_review' ELSE 'active' END, "
        "now() - (i %% 17) * interval '1 second' FROM generate_series(1, %s) i",
        seller["id"],
        list(COMMODITIES),
        list(CURRENCIES),
        count,
    )


def _expected(app: Any, **query: Any) -> list[str]:
    """Every match, newest first, worked out without the search's statements."""
    rows = sql(
        app,
        "SELECT id::text, commodity, currency, price_per_unit FROM listings "
        "WHERE status = 'active' ORDER BY created_at DESC, id DESC",
    )
    return [
        row["id"]
        for row in rows
        if query.get("min_price", 0) <= row["price_per_unit"] <= query.get("max_price", 10**13)
        and all(row[name] == query[name] for name in ("commodity", "currency") if name in query)
    ]


WINDOWS = [
    {"min_price": 1000, "max_price": 1499},  # every listing: more than 500, walked
    {"min_price": 1100, "max_price": 1300, "currency": "USD"},
    {"min_price": 1200, "commodity": "gold"},
    {"max_price": 1010},  # a few matches: sorted, never walked
]


@pytest.mark.parametrize("window", WINDOWS)
def test_pages_and_cursors_give_every_match_once_in_order(client, app, seller, window):
    _seed(app, seller, count=600)
    expected = _expected(app, **window)
    numbered = []
    for page in (1, 2, 3):
        answer = search(client, per_page=7, page=page, **window).json
        numbered += [item["id"] for item in answer["items"]]
        assert answer["total"] == min(len(expected), 500)
    assert numbered == expected[:21]
    followed, cursor = [], None
    while True:
        params = {"per_page": 50, **window, **({"cursor": cursor} if cursor else {})}
        answer = search(client, **params).json
        followed += [item["id"] for item in answer["items"]]
        if (cursor := answer["next_cursor"]) is None:
            break
    assert followed == expected


def test_a_window_is_walked_only_newest_first_and_without_other_filters():
    for filters in [("min_price",), ("commodity", "currency", "min_price", "max_price")]:
        walked = queries.search_statement(filters, "newest", after=True)
        assert "walk AS MATERIALIZED" in walked
    for filters, sort in [
        (("min_price",), "price_asc"),
        (("country", "min_price"), "newest"),
        (("q", "max_price"), "newest"),
        (("commodity",), "newest"),
    ]:
        assert "walk AS" not in queries.search_statement(filters, sort, after=False)


def _page(app: Any, query: dict[str, Any], walk_entries: int) -> dict[str, Any]:
    """The answer's row with the count capped at 8, so that any window of more matches is
    walked (the cap is the statement's parameter; the API's is 500). Pages start before the
    cap: past it, with more matches, the API refuses the page (`page_too_deep`)."""
    found = plan(query, b"unused: no cursor")
    found.params["cap"] = 8
    filters = tuple(name for name in queries.SEARCH_FILTERS if name in query)
    statement = queries.search_statement(
        filters, found.sort, after="cursor" in query, walk_entries=walk_entries
    )
    with app.services.db.read() as cur:
        cur.execute(statement, found.params)
        row = dict(cur.fetchone())
    for volatile in ("generation", "generation_token"):
        row.pop(volatile)
    return row


@pytest.mark.parametrize("entries", [1, 5, 12, 40])
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize(("page", "per_page"), [(1, 5), (2, 5), (1, 20), (3, 3)])
def test_a_walk_too_short_for_the_page_falls_back_to_the_same_answer(
    app, seller, entries, window, page, per_page
):
    """Walks shorter than the table stop at their bound; whatever they find, the answer is the
    one the statement without a walk gives."""
    _seed(app, seller, count=45)
    # No seller filter (the walk does not take one): the table holds only these listings.
    query = {"page": page, "per_page": per_page, **window}
    assert _page(app, query, entries) == _page(app, query, walk_entries=0)


def test_the_walk_reads_the_newest_index_and_stops_at_its_bound(app, seller):
    _seed(app, seller, count=45)
    found = plan({"min_price": 1000, "per_page": 5}, b"unused: no cursor")
    found.params["cap"] = 3
    statement = queries.search_statement(("min_price",), "newest", after=False, walk_entries=9)
    with app.services.db.read() as cur:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, found.params)
        (doc,) = cur.fetchone().values()
    scans = list(_nodes(doc[0]["Plan"], "Index Only Scan"))
    newest = [n for n in scans if n["Index Name"] == "listings_active_newest_idx"]
    assert newest and all(n["Actual Rows"] <= 9 for n in newest)


def _nodes(node: dict[str, Any], kind: str):
    if node.get("Node Type") == kind:
        yield node
    for child in node.get("Plans", []):
        yield from _nodes(child, kind)
