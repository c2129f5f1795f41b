"""Helpers for the marketplace tests: image bytes and the listing API's calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import falcon.testing
import psycopg2
import urllib3

from tests.factories import sql

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
MAX_PHOTO = 4096

Client = falcon.testing.TestClient
Result = falcon.testing.Result


def moderate(
    client: Client,
    admin: dict[str, Any],
    listing: dict[str, Any],
    action: str,
    reason: str | None = None,
    status: int = 200,
) -> dict[str, Any]:
    """`admin` applies `action` to `listing`; the answer must be `status`."""
    body = {"reason": reason} if reason is not None else None
    result = client.simulate_post(
        f"/api/admin/listings/{listing['id']}/{action}", json=body, headers=admin["headers"]
    )
    assert result.status_code == status, result.json
    return result.json


def get(client: Client, listing: dict[str, Any], user: dict[str, Any] | None = None) -> Result:
    headers = user["headers"] if user else None
    return client.simulate_get(f"/api/marketplace/{listing['id']}", headers=headers)


def patch(
    client: Client,
    listing: dict[str, Any],
    user: dict[str, Any],
    changes: dict[str, Any],
    if_match: str | None = None,
) -> Result:
    headers = dict(user["headers"])
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.simulate_patch(f"/api/marketplace/{listing['id']}", json=changes, headers=headers)


def delete(client: Client, listing: dict[str, Any], user: dict[str, Any]) -> Result:
    return client.simulate_delete(f"/api/marketplace/{listing['id']}", headers=user["headers"])


def search(client: Client, **params: Any) -> Result:
    return client.simulate_get("/api/marketplace", params=params)


def upload(
    client: Client,
    listing: dict[str, Any],
    user: dict[str, Any],
    data: bytes,
    declared: str = "image/png",
) -> Result:
    body, content_type = urllib3.encode_multipart_formdata({"photo": ("photo", data, declared)})
    return client.simulate_post(
        f"/api/marketplace/{listing['id']}/photos",
        body=body,
        content_type=content_type,
        headers=user["headers"],
    )


def scalar(client: Client, query: str, *params: Any) -> Any:
    """The first column of the first row of `query`, or None without a row."""
    rows = sql(client.app, query, *params)
    return next(iter(rows[0].values())) if rows else None


def history_actions(client: Client, listing: dict[str, Any]) -> list[str]:
    rows = sql(
        client.app,
        "SELECT action FROM listing_history WHERE listing_id = %s ORDER BY id",
        listing["id"],
    )
    return [r["action"] for r in rows]


def photo_count(client: Client, listing: dict[str, Any]) -> int:
    query = "SELECT count(*) FROM listing_photos WHERE listing_id = %s"
    return scalar(client, query, listing["id"])


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether `check` holds within `seconds` (asked every few milliseconds): for what another
    thread brings, such as the generation watch's next read."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


@contextmanager
def raw_sql(dsn: str) -> Iterator[Any]:
    """A connection of its own, as another program would write: committed at the end."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.close()
