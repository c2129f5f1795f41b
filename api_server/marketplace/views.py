"""How listings look in API answers: decimal strings, photo URLs, ETags."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

THOUSANDTH = Decimal("0.001")


def etag(version: int) -> str:
    """The strong entity tag of a listing version."""
    return f'"{version}"'


# Public reads may be served from a shared cache this long; the ETag revalidates them.
PUBLIC_CACHE = "public, max-age=5"


def weak_etag(body: bytes) -> str:
    """A weak validator of a generated answer (a search page): a digest of its bytes."""
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def none_match(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison, a list of tags, or `*`."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or tag.removeprefix("W/") in tags


def etag_matches(if_match: str, version: int) -> bool:
    """RFC 9110 strong comparison of an If-Match list with the current version."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag(version) in tags


def photo_view(listing_id: str, photo: dict[str, Any]) -> dict[str, Any]:
    """One photo's metadata and the URL of its bytes."""
    return {
        "id": str(photo["id"]),
        "content_type": photo["content_type"],
        "size": photo["size"],
        "url": f"/api/marketplace/{listing_id}/photos/{photo['id']}",
    }
