"""JSON Schemas of /api/marketplace: they validate requests and are published in OpenAPI."""

from __future__ import annotations

from typing import Any

# Listings are priced only in currencies the payment gateways can settle (ISO 4217 codes).
from api_server.common.money import CURRENCIES
from api_server.common.pagination import PAGE_QUERY, page_schema
from api_server.common.quantities import QUANTITY_SCHEMA
from api_server.common.schemas import INTEGER, NULLABLE_STRING, STRING, UUID, text

COMMODITIES = (
    "antimony",
    "bauxite",
    "beryllium",
    "chromite",
    "coal",
    "cobalt",
    "coltan",
    "copper",
    "diamonds",
    "gemstones",
    "gold",
    "graphite",
    "iron ore",
    "lead",
    "lithium",
    "manganese",
    "molybdenum",
    "nickel",
    "niobium",
    "palladium",
    "platinum",
    "rare earths",
    "silver",
    "tantalum",
    "tin",
    "tungsten",
    "uranium",
    "vanadium",
    "zinc",
)
UNITS = ("t", "kg", "g", "oz", "ct")
STATUSES = ("pending_review", "active", "rejected", "suspended", "archived")
SORTS = ("newest", "price_asc", "price_desc")
MAX_PHOTOS = 10
MAX_PRICE = 10**12
# numeric(18, 3) holds 15 integer digits; 12 leave room for totals computed from it.

TITLE_MIN_LENGTH = 3
TITLE = {**text(200), "minLength": TITLE_MIN_LENGTH}
DESCRIPTION = text(5000)
COMMODITY = {"type": "string", "enum": list(COMMODITIES)}
UNIT = {"type": "string", "enum": list(UNITS)}
CURRENCY = {"type": "string", "enum": list(CURRENCIES)}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
PRICE = {"type": "integer", "minimum": 1, "maximum": MAX_PRICE}
QUANTITY = QUANTITY_SCHEMA

EDITABLE = {
    "title": TITLE,
    "commodity": COMMODITY,
    "description": DESCRIPTION,
    "quantity": QUANTITY,
    "unit": UNIT,
    "price_per_unit": PRICE,
    "currency": CURRENCY,
    "country": COUNTRY,
    "location": text(200, nullable=True),
    "grade": text(100, nullable=True),
}
REQUIRED = [field for field in EDITABLE if field not in ("location", "grade")]


def _object(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


CREATE = _object(REQUIRED, EDITABLE)
UPDATE = _object([], EDITABLE, minProperties=1)
REASON = _object(["reason"], {"reason": {**text(500), "minLength": 1}})

SEARCH_QUERY = _object(
    [],
    {
        "commodity": COMMODITY,
        "country": COUNTRY,
        "currency": CURRENCY,
        "min_price": {"type": "integer", "minimum": 0, "maximum": MAX_PRICE},
        "max_price": {"type": "integer", "minimum": 0, "maximum": MAX_PRICE},
        "seller_id": UUID,
        "q": {**text(200), "minLength": 1},
        "sort": {"type": "string", "enum": list(SORTS), "default": "newest"},
        "cursor": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,400}$",
            "description": "The `next_cursor` of the previous page (same sort): the next page "
            "by keyset, as cheap at any depth as the first. Not combined with `page`.",
        },
        **PAGE_QUERY,
    },
)

DECIMAL_OUT = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{3}$"}
PHOTO = _object(
    ["id", "content_type", "size", "url"],
    {
        "id": UUID,
        "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "image/webp"]},
        "size": {"type": "integer", "minimum": 1},
        "url": STRING,
    },
)
LISTING_PROPERTIES = {
    "id": UUID,
    "seller_id": UUID,
    "title": STRING,
    "commodity": COMMODITY,
    "description": STRING,
    "quantity": DECIMAL_OUT,
    "available_quantity": DECIMAL_OUT,
    "unit": UNIT,
    "price_per_unit": INTEGER,
    "currency": STRING,
    "country": STRING,
    "location": NULLABLE_STRING,
    "grade": NULLABLE_STRING,
    "status": {"type": "string", "enum": list(STATUSES)},
    "status_reason": NULLABLE_STRING,
    "version": {"type": "integer", "minimum": 1},
    "photos": {"type": "array", "items": PHOTO},
    "created_at": STRING,
    "updated_at": STRING,
}
LISTING = _object(
    list(LISTING_PROPERTIES),
    LISTING_PROPERTIES,
    description="Quantities are decimal strings with three places, prices integer minor units.",
)
PAGE = page_schema(
    LISTING,
    total_exact={
        "type": "boolean",
        "description": "False when more listings match than are counted (500): `total` is "
        "then that lower bound, and pages by number stop there; `next_cursor` goes on.",
    },
    next_cursor={
        "type": ["string", "null"],
        "description": "Pass as `cursor` for the next page; null on the last page.",
    },
)
# A page reached by cursor has no number.
PAGE["properties"]["page"] = {"type": ["integer", "null"], "minimum": 1}
CHANGE = {
    "type": "object",
    "required": ["old", "new"],
    "properties": {"old": {}, "new": {}},
}
HISTORY = _object(
    ["items"],
    {
        "items": {
            "type": "array",
            "items": _object(
                ["id", "version", "action", "actor_id", "created_at", "changes"],
                {
                    "id": INTEGER,
                    "version": INTEGER,
                    "action": STRING,
                    "actor_id": NULLABLE_STRING,
                    "created_at": STRING,
                    "changes": {"type": "object", "additionalProperties": CHANGE},
                },
            ),
        }
    },
)
