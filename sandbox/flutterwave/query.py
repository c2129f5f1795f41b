"""The query parameters of Flutterwave's list endpoints (refunds, transactions), checked.

The filters each list takes are on its own page; what is refused here is the sandbox's
choice (docs/sandboxes.md): a date that is not YYYY-MM-DD, a page below 1, a filter given
twice, and a filter the page does not name, so a misspelt one cannot list the whole account.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from sandbox.flutterwave.rules import Obj, fw_error


def refuse_unknown(params: dict[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise fw_error(400, f"Unknown query parameter: {unknown[0]}")


def one(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):
        raise fw_error(400, f"{name} may be given once")
    return value


def one_of(params: dict[str, Any], name: str, allowed: Iterable[str]) -> str | None:
    """The parameter, which must be one of `allowed` when given."""
    value = one(params, name)
    choices = tuple(allowed)
    if value is not None and value not in choices:
        raise fw_error(400, f"{name} must be one of {', '.join(choices)}")
    return value


def day(params: dict[str, Any], name: str) -> date | None:
    value = one(params, name)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fw_error(400, f"{name} must be a date (YYYY-MM-DD)") from exc


def page(params: dict[str, Any]) -> int:
    value = one(params, "page")
    if value is None:
        return 1
    if not (value.isascii() and value.isdigit() and len(value) <= 19) or int(value) < 1:
        raise fw_error(400, "page must be a whole number of at least 1")
    return int(value)


def page_of(matches: list[Obj], number: int, size: int) -> tuple[list[Obj], Obj]:
    """One page of `matches` and its `meta.page_info`, as the list pages show it."""
    start = (number - 1) * size
    info = {
        "total": len(matches),
        "current_page": number,
        "total_pages": max(1, math.ceil(len(matches) / size)),
        "page_size": size,
    }
    return matches[start : start + size], info
