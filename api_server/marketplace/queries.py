"""SQL of the marketplace."""

from __future__ import annotations

# Photo metadata only: the bytes stay in the table (TOAST) unless a photo is fetched.
LISTING_COLUMNS = """l.id::text AS id, l.seller_id::text AS seller_id, l.title, l.commodity,
    l.description, l.quantity, l.available_quantity, l.unit, l.price_per_unit, l.currency,
    l.country, l.location, l.grade, l.status, l.status_reason, l.version, l.created_at,
    l.updated_at,
    (SELECT coalesce(json_agg(json_build_object('id', p.id, 'content_type', p.content_type,
                                                'size', p.size)
                              ORDER BY p.created_at, p.id), '[]'::json)
     FROM listing_photos p WHERE p.listing_id = l.id) AS photos"""

INSERT_LISTING = """
INSERT INTO listings (seller_id, title, commodity, description, quantity, available_quantity,
                      unit, price_per_unit, currency, country, location, grade)
VALUES (%(seller_id)s, %(title)s, %(commodity)s, %(description)s, %(quantity)s, %(quantity)s,
        %(unit)s, %(price_per_unit)s, %(currency)s, %(country)s, %(location)s, %(grade)s)
RETURNING id::text AS id
"""

LISTING_BY_ID = f"SELECT {LISTING_COLUMNS} FROM listings l WHERE l.id = %s"

# Every change locks the row first, so concurrent writers queue. The row is read again in
# the next statement: under READ COMMITTED only a new statement sees what the writer we
# waited for committed (its photos included), a subquery of the locking one would not.
LOCK_LISTING = "SELECT id FROM listings WHERE id = %s FOR UPDATE"

# The version guard repeats the If-Match check in the statement that writes.
UPDATE_LISTING = """
UPDATE listings SET {assignments}, updated_at = now()
WHERE id = %(id)s AND version = %(version)s
"""

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

# The id breaks ties, so pages never overlap or skip rows with equal keys.
SEARCH_ORDER = {
    "newest": "l.created_at DESC, l.id DESC",
    "price_asc": "l.price_per_unit ASC, l.id ASC",
    "price_desc": "l.price_per_unit DESC, l.id DESC",
}

# `status = 'active'` is a literal so the planner can use the partial indexes of 0003.
SEARCH_COUNT = "SELECT count(*) AS total FROM listings l WHERE l.status = 'active'{filters}"

# The page is cut first, on ids alone, so an index-only scan can skip OFFSET rows without
# reading them from the table; the full rows and their photos are read for the page only.
SEARCH_PAGE = f"""
SELECT {LISTING_COLUMNS}
FROM (SELECT l.id FROM listings l WHERE l.status = 'active'{{filters}}
      ORDER BY {{order}} LIMIT %(limit)s OFFSET %(offset)s) page
JOIN listings l ON l.id = page.id
ORDER BY {{order}}
"""


def search_statements(filters: list[str], sort: str) -> tuple[str, str]:
    """The count and page statements for the named filters and sort."""
    where = "".join(f" AND {SEARCH_FILTERS[name]}" for name in filters)
    return (
        SEARCH_COUNT.format(filters=where),
        SEARCH_PAGE.format(filters=where, order=SEARCH_ORDER[sort]),
    )


# Moderation: the status moves only from the one the admin saw.
SET_LISTING_STATUS = """
UPDATE listings SET status = %(status)s, status_reason = %(reason)s, updated_at = now()
WHERE id = %(id)s AND status = %(current)s
"""
