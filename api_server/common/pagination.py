"""Paging shared by every list: the query limits, the answer's envelope, and its schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
# Deeper pages are refused rather than letting OFFSET grow without bound.
MAX_PAGE = 100_000

PAGE_QUERY: dict[str, Any] = {
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PER_PAGE,
        "default": DEFAULT_PER_PAGE,
    },
}


def page_schema(item: dict[str, Any], **more: Any) -> dict[str, Any]:
    """The schema of a page of `item`s, with any extra top-level members."""
    properties = {
        "items": {"type": "array", "items": item},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer", "minimum": 0},
        **more,
    }
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def paging(query: Mapping[str, Any]) -> tuple[int, int, int]:
    """page, per_page and the row offset of a validated list query."""
    page = query.get("page", 1)
    per_page = query.get("per_page", DEFAULT_PER_PAGE)
    return page, per_page, (page - 1) * per_page


def page_body(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    """The envelope every list answers with."""
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def fetch_page(
    cur: Any, list_sql: str, count_sql: str, params: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """The rows of one page and the total that match.

    The list statement carries `count(*) OVER () AS total`, so a page with rows needs no
    second statement; an empty page past the end still tells how many match, by `count_sql`.
    """
    cur.execute(list_sql, params)
    rows = cur.fetchall()
    if rows:
        return rows, rows[0]["total"]
    cur.execute(count_sql, params)
    return rows, cur.fetchone()["total"]
