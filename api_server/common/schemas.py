"""Building blocks of the JSON Schemas every route group publishes."""

from __future__ import annotations

from typing import Any

# The shapes answers are made of; each route group's schemas compose them.
STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
UUID: dict[str, Any] = {"type": "string", "format": "uuid"}

# NUL and lone surrogates cannot be stored in PostgreSQL text: refuse them as bad input.
_STORABLE = r"^[^\x00\ud800-\udfff]*$"
_NOT_BLANK = r"^\s*[^\s\x00\ud800-\udfff][^\x00\ud800-\udfff]*$"


def text(max_length: int, *, nullable: bool = False, blank: bool = False) -> dict[str, Any]:
    """A string of storable characters; not blank unless `blank`."""
    return {
        "type": ["string", "null"] if nullable else "string",
        "maxLength": max_length,
        "pattern": _STORABLE if blank else _NOT_BLANK,
    }


def closed_object(
    properties: dict[str, Any], required: tuple[str, ...] | list[str] = (), **extra: Any
) -> dict[str, Any]:
    """An object with exactly these properties: an unknown field is a 422, not ignored."""
    return {
        "type": "object",
        "required": list(required),
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }
