"""Search of active listings: filters, keyset cursors, capped totals, one round trip."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from api_server.common.errors import Invalid, Malformed, field_error
from api_server.common.pagination import paging
from api_server.marketplace import queries
from api_server.marketplace.schemas import MAX_PRICE

# Matches are counted up to this many: beyond it `total` is this lower bound and
# `total_exact` is false. Pages by number reach no further; a cursor reaches every match.
COUNT_CAP = 500
# ASCII digits to the end of the string (Python's `\d` takes any script's, `$` a final newline).
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00\Z"
)
_PRICE = re.compile(r"^[0-9]{1,13}\Z")


@dataclass(frozen=True)
class Plan:
    """The statement and parameters of one validated search."""

    sql: str
    params: dict[str, Any]
    page: int | None
    per_page: int
    offset: int
    sort: str
    # Full text is planned per word (a common and a rare word want different plans); the
    # other shapes keep one prepared plan per connection.
    prepared: bool
    # Everything the answer depends on besides the listings, normalised: two queries with the
    # same key get the same page from the same listings (the search cache's key).
    key: tuple[Any, ...]


def _bad_cursor(detail: str) -> Invalid:
    return Invalid(
        "validation_error",
        "The request has invalid fields.",
        errors=[field_error("cursor", detail)],
    )


# The first bytes of a cursor are its HMAC: a cursor is read back only as the API wrote it.
_MAC_BYTES = 16


def cursor_key_of(secret: str) -> bytes:
    """The cursors' signing key, derived from the server's secret (shared by its workers)."""
    return hmac.new(secret.encode(), b"search-cursor", hashlib.sha256).digest()


def _mac(key: bytes, raw: bytes) -> bytes:
    return hmac.new(key, raw, hashlib.sha256).digest()[:_MAC_BYTES]


def encode_cursor(sort: str, key: str, listing_id: str, signing_key: bytes) -> str:
    """An opaque, signed cursor: the sort and the last shown row's (key, id)."""
    raw = json.dumps([sort, key, listing_id], separators=(",", ":")).encode()
    signed = _mac(signing_key, raw) + raw
    return base64.urlsafe_b64encode(signed).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, signing_key: bytes) -> tuple[str, str]:
    """(key, id) of a cursor made for `sort`: 400 for a cursor the API did not write or one
    changed since (its signature), 422 naming `cursor` for one of another sort."""
    try:
        signed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        signed = b""
    mac, raw = signed[:_MAC_BYTES], signed[_MAC_BYTES:]
    if len(mac) < _MAC_BYTES or not hmac.compare_digest(mac, _mac(signing_key, raw)):
        raise Malformed(
            "invalid_cursor",
            "The cursor is not one this API gave, or it was changed; start again without it.",
            errors=[field_error("cursor", "is not a cursor this API gave")],
        )
    try:
        made_for, key, listing_id = json.loads(raw)
        uuid.UUID(listing_id)
    except (ValueError, TypeError, AttributeError):
        raise _bad_cursor("is not a cursor this API gave") from None
    if made_for != sort:
        raise _bad_cursor("belongs to another sort; start again without it")
    pattern = _TIMESTAMP if sort == "newest" else _PRICE
    if not isinstance(key, str) or not pattern.match(key):
        raise _bad_cursor("is not a cursor this API gave")
    return key, listing_id


def plan(query: dict[str, Any], signing_key: bytes) -> Plan:
    """The one statement that answers a validated search query."""
    if query.get("min_price", 0) > query.get("max_price", MAX_PRICE):
        raise Invalid(
            "validation_error",
            "The price range is empty.",
            errors=[field_error("max_price", "must be at least min_price")],
        )
    sort = query.get("sort", "newest")
    page, per_page, offset = paging(query)
    params: dict[str, Any] = {**query, "limit": per_page, "offset": offset, "cap": COUNT_CAP}
    cursor = query.get("cursor")
    if cursor is not None:
        if "page" in query:
            raise _bad_cursor("cannot be combined with page")
        params["after_key"], params["after_id"] = decode_cursor(cursor, sort, signing_key)
        params["offset"] = offset = 0
    filters = tuple(name for name in queries.SEARCH_FILTERS if name in query)
    sql = queries.search_statement(filters, sort, after=cursor is not None)
    shown_page = None if cursor else page
    after = (params["after_key"], params["after_id"]) if cursor is not None else None
    key = (sort, shown_page, per_page, offset, after, *((name, query[name]) for name in filters))
    return Plan(sql, params, shown_page, per_page, offset, sort, "q" not in query, key)


def page_text(plan: Plan, row: dict[str, Any], signing_key: bytes) -> str:
    """The answer's JSON text: the items as PostgreSQL wrote them, spliced in unparsed."""
    total, exact = min(row["total"], COUNT_CAP), row["total"] <= COUNT_CAP
    if plan.offset >= COUNT_CAP and not exact:
        raise Invalid(
            "page_too_deep",
            f"Pages by number reach the first {COUNT_CAP} matches; follow next_cursor.",
            errors=[field_error("page", "is past the numbered pages; use cursor")],
        )
    next_cursor = (
        encode_cursor(plan.sort, row["last_key"], row["last_id"], signing_key)
        if row["more"]
        else None
    )
    envelope = json.dumps(
        {
            "page": plan.page,
            "per_page": plan.per_page,
            "total": total,
            "total_exact": exact,
            "next_cursor": next_cursor,
        }
    )
    return f'{{"items":{row["items"]},{envelope[1:]}'
