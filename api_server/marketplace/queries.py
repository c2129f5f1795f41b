"""SQL of the marketplace."""

from __future__ import annotations

import functools
from dataclasses import dataclass

# A listing's JSON is stored on its row (`doc`, kept by the listings_write trigger of
# migration 0008), so reads send stored text.
# The text of the JSON and what the visibility rules read, in one round trip.
LISTING_BY_ID = """
SELECT l.doc AS body, l.status, l.seller_id::text AS seller_id, l.version
FROM listings l WHERE l.id = %(id)s
"""

INSERT_LISTING = """
INSERT INTO listings (seller_id, title, commodity, description, quantity, available_quantity,
                      unit, price_per_unit, currency, country, location, grade)
VALUES (%(seller_id)s, %(title)s, %(commodity)s, %(description)s, %(quantity)s, %(quantity)s,
        %(unit)s, %(price_per_unit)s, %(currency)s, %(country)s, %(location)s, %(grade)s)
RETURNING id::text AS id
"""

# Every change locks the row first, so concurrent writers queue. The row is read again in
# the next statement: under READ COMMITTED only a new statement sees what the writer we
# waited for committed (its photos included), a subquery of the locking one would not.
LOCK_LISTING = "SELECT id FROM listings WHERE id = %s FOR UPDATE"

# The version guard repeats the If-Match check in the statement that writes.
UPDATE_LISTING = """
UPDATE listings SET {assignments}, updated_at = now()
WHERE id = %(id)s AND version = %(version)s
"""

BACK_TO_REVIEW = "status = 'pending_review'"

# Sold quantity (quantity - available) is kept when the seller changes the quantity; the
# CHECK constraint refuses a quantity below what payments have already taken.
ASSIGN_QUANTITY = (
    "quantity = %(quantity)s, available_quantity = available_quantity + (%(quantity)s - quantity)"
)

# A photo added or removed changes the listing: the trigger bumps its version.
TOUCH_LISTING = "UPDATE listings SET updated_at = now() WHERE id = %s"

ARCHIVE_LISTING = """
UPDATE listings SET status = 'archived', updated_at = now()
WHERE id = %s
"""

DELETE_LISTING = "DELETE FROM listings WHERE id = %s"

INSERT_HISTORY = """
INSERT INTO listing_history (listing_id, actor_id, action, version, changes)
VALUES (%s, %s, %s, %s, %s::jsonb)
"""

HISTORY_OF = """
SELECT id, version, action, actor_id::text AS actor_id, created_at, changes
FROM listing_history WHERE listing_id = %s ORDER BY id
"""

COUNT_PHOTOS = "SELECT count(*) AS photos FROM listing_photos WHERE listing_id = %s"

INSERT_PHOTO = """
INSERT INTO listing_photos (listing_id, content_type, size, sha256, data)
VALUES (%s, %s, %s, %s, %s)
RETURNING id::text AS id, content_type, size
"""

PHOTO_DATA = """
SELECT content_type, sha256, data FROM listing_photos WHERE id = %s AND listing_id = %s
"""

DELETE_PHOTO = """
DELETE FROM listing_photos WHERE id = %s AND listing_id = %s
RETURNING id::text AS id, content_type, size
"""

DELETE_PHOTOS_OF = "DELETE FROM listing_photos WHERE listing_id = %s"

# A sort key as cursor text: a timestamp in UTC with microseconds, exact to round-trip.
_ISO = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""

# Search: fixed fragments chosen by name, so no client text ever becomes SQL.
SEARCH_FILTERS = {
    "commodity": "l.commodity = %(commodity)s",
    "country": "l.country = %(country)s",
    "currency": "l.currency = %(currency)s",
    "seller_id": "l.seller_id = %(seller_id)s",
    "min_price": "l.price_per_unit >= %(min_price)s",
    "max_price": "l.price_per_unit <= %(max_price)s",
    "q": "l.search @@ websearch_to_tsquery('english', %(q)s)",
}


@dataclass(frozen=True)
class Order:
    """A sort: its key column, direction, the key of a shown row `s` as cursor text, and how a
    key is read back."""

    column: str
    direction: str
    key_text: str
    key_type: str

    @property
    def by(self) -> str:
        """ORDER BY of the sort; the id breaks ties, so pages never overlap or skip rows."""
        return f"{self.column} {self.direction}, id {self.direction}"

    @property
    def after(self) -> str:
        """The keyset condition: rows strictly after the cursor's (key, id), in this order."""
        op = "<" if self.direction == "DESC" else ">"
        return f" AND (l.{self.column}, l.id) {op} (%(after_key)s::{self.key_type}, %(after_id)s)"


SEARCH_ORDER = {
    "newest": Order("created_at", "DESC", _ISO.format("s.created_at"), "timestamptz"),
    "price_asc": Order("price_per_unit", "ASC", "s.price_per_unit::text", "bigint"),
    "price_desc": Order("price_per_unit", "DESC", "s.price_per_unit::text", "bigint"),
}

# One round trip answers a search. `counted` stops at the cap, so a broad filter costs a
# bounded scan instead of counting every match. The page is cut on ids alone (an index scan
# in the sort's order, after the cursor or skipping OFFSET rows) with one row more than asked,
# which tells whether there is a next page; only the rows shown are read in full and
# serialised, once, by PostgreSQL, and only the last row's sort key is written as cursor text
# (written for every match before the sort, it was a third of a price window's cost). An
# OFFSET past the counted matches, or past the cap while the count is capped, is never
# scanned (the one-time filter on `counted`).
# `status = 'active'` is a literal so the planner can use the partial indexes of 0003.
# The generation (migration 0010) is read in the same statement, so in the same snapshot as
# the page: the search cache files the page under exactly the generation it shows.
SEARCH = """
WITH counted AS MATERIALIZED (
    SELECT count(*) AS n FROM (
        SELECT 1 FROM listings l WHERE l.status = 'active'{filters} LIMIT %(cap)s + 1
    ) matches
), {page}, shown AS (
    SELECT * FROM page ORDER BY {by} LIMIT %(limit)s
)
SELECT (SELECT n FROM counted) AS total,
       (SELECT value FROM listings_generation) AS generation,
       (SELECT token FROM listings_generation) AS generation_token,
       (SELECT count(*) FROM page) > %(limit)s AS more,
       (SELECT {key_text} FROM shown s ORDER BY {by_reversed} LIMIT 1) AS last_key,
       (SELECT id::text FROM shown ORDER BY {by_reversed} LIMIT 1) AS last_id,
       (SELECT '[' || coalesce(string_agg(l.doc, ',' ORDER BY {by_s}), '') || ']'
        FROM shown s JOIN listings l ON l.id = s.id) AS items
"""


# The generation alone: what a search reads first, to find its page in the search cache.
SEARCH_GENERATION = "SELECT value AS generation, token AS generation_token FROM listings_generation"

# The page's rows: matches in the sort's order from an index, after the cursor or skipping
# OFFSET. `unless` is a further condition: the walk's, when it pages a price window.
PAGE_ROWS = """SELECT l.id, l.{column}
    FROM listings l
    WHERE l.status = 'active'{filters}{after}{unless}
      AND %(offset)s < (SELECT least(n, %(cap)s) FROM counted)
    ORDER BY l.{by_l} LIMIT %(limit)s + 1 OFFSET %(offset)s"""
PAGE = """page AS MATERIALIZED (
    {rows}
)"""

# A price window, newest first, with more matches than the count's cap: its page is usually
# among the newest few thousand listings. `walk` reads at most WALK_ENTRIES entries of a
# newest-first index (which carries price and currency, migration 0012) and keeps the matches;
# when they do not fill the page (a deep page, a sparse window), or the window has at most
# COUNT_CAP matches (sorting so few is cheaper than any walk), PAGE_ROWS runs, reading the
# window from a price index and sorting it. One prepared plan cannot choose between the two by
# the window's width (it guesses 0.5%), and sorting every match grew with the table: 6,464 rows
# at 1,000,000 listings, where the walk reads about 2,600 index entries whatever the table's
# size.
WALK_ENTRIES = 4000
WALK_PAGE = """walk AS MATERIALIZED (
    SELECT l.id, l.created_at FROM (
        SELECT l.id, l.created_at, l.price_per_unit, l.currency
        FROM listings l WHERE l.status = 'active'{index_filters}{after}
          AND (SELECT n FROM counted) > %(cap)s
        ORDER BY l.created_at DESC, l.id DESC LIMIT {entries}
    ) l WHERE TRUE{row_filters}
    ORDER BY l.created_at DESC, l.id DESC LIMIT %(offset)s::int + %(limit)s::int + 1
), page AS MATERIALIZED (
    (SELECT w.id, w.created_at FROM walk w
     WHERE (SELECT count(*) FROM walk) > %(offset)s::int + %(limit)s::int
     ORDER BY w.created_at DESC, w.id DESC OFFSET %(offset)s)
    UNION ALL
    ({rows})
)"""
_NOT_WALKED = " AND (SELECT count(*) FROM walk) <= %(offset)s::int + %(limit)s::int"
# What the walk can filter on: the key of the commodity's newest-first index, and the columns
# both newest-first indexes carry.
_WALK_INDEX_FILTERS = ("commodity",)
_WALK_ROW_FILTERS = ("currency", "min_price", "max_price")


def _walks(filters: tuple[str, ...], sort: str) -> bool:
    """Whether a search pages by walking the newest listings: a price window, newest first,
    with no filter the walk's index lacks."""
    return (
        sort == "newest"
        and bool({"min_price", "max_price"} & set(filters))
        and set(filters) <= {*_WALK_INDEX_FILTERS, *_WALK_ROW_FILTERS}
    )


def _and(filters: tuple[str, ...], names: tuple[str, ...]) -> str:
    return "".join(f" AND {SEARCH_FILTERS[name]}" for name in filters if name in names)


@functools.lru_cache(maxsize=1024)
def search_statement(
    filters: tuple[str, ...], sort: str, *, after: bool, walk_entries: int = WALK_ENTRIES
) -> str:
    """The search statement for the named filters and sort, after a cursor or not (built once
    per process: searches have a few hundred shapes). `walk_entries` bounds the walk of a price
    window; 0 pages it like any other search."""
    order = SEARCH_ORDER[sort]
    flip = "ASC" if order.direction == "DESC" else "DESC"
    where = _and(filters, filters)
    after_sql = order.after if after else ""
    by_l = f"{order.column} {order.direction}, l.id {order.direction}"
    walks = bool(walk_entries) and _walks(filters, sort)
    rows = PAGE_ROWS.format(
        column=order.column,
        filters=where,
        after=after_sql,
        unless=_NOT_WALKED if walks else "",
        by_l=by_l,
    )
    if walks:
        page = WALK_PAGE.format(
            index_filters=_and(filters, _WALK_INDEX_FILTERS),
            row_filters=_and(filters, _WALK_ROW_FILTERS),
            entries=walk_entries,
            after=after_sql,
            rows=rows,
        )
    else:
        page = PAGE.format(rows=rows)
    return SEARCH.format(
        filters=where,
        page=page,
        key_text=order.key_text,
        by=order.by,
        by_s=f"s.{order.column} {order.direction}, s.id {order.direction}",
        by_reversed=f"{order.column} {flip}, id {flip}",
    )


# Moderation: the status moves only from the one the admin saw.
SET_LISTING_STATUS = """
UPDATE listings SET status = %(status)s, status_reason = %(reason)s, updated_at = now()
WHERE id = %(id)s AND status = %(current)s
"""
