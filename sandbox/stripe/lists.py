"""Stripe's expand[] and list envelopes: which fields expand, pages, filters.

`expand[]` follows docs.stripe.com/api/expanding_objects; lists follow
docs.stripe.com/api/pagination.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.stripe.errors import Obj, invalid, no_such, unsupported

# --------------------------------------------------------------------------- expand[]

# docs.stripe.com/api/expanding_objects: fields marked "Expandable" in each object's reference.
# A value names the type the id expands to; None marks a field that is always null here.
EXPANDABLE: dict[str, dict[str, str | None]] = {
    "payment_intent": {
        "latest_charge": "charge",
        "payment_method": "payment_method",
        "application": None,
        "customer": None,
        "on_behalf_of": None,
        "review": None,
    },
    "charge": {
        "payment_intent": "payment_intent",
        "application": None,
        "application_fee": None,
        "customer": None,
        "failure_balance_transaction": None,
        "on_behalf_of": None,
        "review": None,
        "source_transfer": None,
        "transfer": None,
    },
    "refund": {
        "charge": "charge",
        "payment_intent": "payment_intent",
        "failure_balance_transaction": None,
        "source_transfer_reversal": None,
        "transfer_reversal": None,
    },
    "dispute": {"charge": "charge", "payment_intent": "payment_intent"},
    "payment_method": {"customer": None},
    "event": {},
}
# Expandable at Stripe, but the sandbox keeps no such objects: refused, never left as an id.
NOT_EXPANDED = frozenset(("balance_transaction",))
MAX_EXPAND_DEPTH = 4  # docs.stripe.com/api/expanding_objects: "maximum depth of four levels"


def check_expand(root: str, paths: list[Any]) -> None:
    """Refuses what Stripe cannot expand: "This property cannot be expanded (x)."."""
    for path in paths:
        if not isinstance(path, str) or not path:
            raise invalid("Invalid array", "expand")
        segments = path.split(".")
        kind: str | None = root
        if root.startswith("list:"):
            if segments[0] != "data" or len(segments) == 1:
                raise invalid(f"This property cannot be expanded ({path}).", "expand")
            kind, segments = root[5:], segments[1:]
        if len(segments) > MAX_EXPAND_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property ({path}).",
                "expand",
            )
        for segment in segments:
            if kind is None:  # below a field that is always null: nothing to expand
                break
            if segment in NOT_EXPANDED:
                raise unsupported(f"expand[]={path}")
            if segment not in EXPANDABLE[kind]:
                raise invalid(f"This property cannot be expanded ({path}).", "expand")
            kind = EXPANDABLE[kind][segment]


# --------------------------------------------------------------------------- lists


def page(items: list[Obj], url: str, params: Obj, kind: str) -> Obj:
    """Stripe's list envelope over newest-first items (limit, starting_after, ending_before)."""
    limit = int(params.get("limit") or 10)
    ids = [item["id"] for item in items]
    for name in ("starting_after", "ending_before"):
        cursor = params.get(name)
        if cursor and cursor not in ids:
            raise no_such(kind, str(cursor), name)
    if params.get("starting_after"):
        items = items[ids.index(params["starting_after"]) + 1 :]
        page = items[:limit]
    elif params.get("ending_before"):
        items = items[: ids.index(params["ending_before"])]
        page = items[-limit:]
    else:
        page = items[:limit]
    return {"object": "list", "data": page, "has_more": len(items) > limit, "url": url}


def created_filter(items: list[Obj], created: Any) -> list[Obj]:
    if created is None:
        return items
    if not isinstance(created, dict):
        return [item for item in items if item["created"] == int(created)]
    checks = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
    return [
        item
        for item in items
        if all(checks[op](item["created"], int(value)) for op, value in created.items())
    ]


def type_matches(wanted: str, actual: str) -> bool:
    return actual.startswith(wanted[:-1]) if wanted.endswith("*") else actual == wanted


Resolver = Callable[[str, str], Obj | None]


def expand(obj: Any, root: str, paths: list[str], resolve: Resolver) -> Any:
    """Replaces ids by objects along each (already checked) `expand[]` path."""
    for path in paths:
        segments = path.split(".")
        if root.startswith("list:"):
            for item in obj["data"]:
                _expand(item, root[5:], segments[1:], resolve)
        else:
            _expand(obj, root, segments, resolve)
    return obj


def _expand(node: Obj, kind: str, segments: list[str], resolve: Resolver) -> None:
    target = EXPANDABLE[kind].get(segments[0])
    value = node.get(segments[0])
    if target is None:
        return
    if isinstance(value, str):
        value = node[segments[0]] = resolve(target, value)
    if isinstance(value, dict) and len(segments) > 1:
        _expand(value, target, segments[1:], resolve)
