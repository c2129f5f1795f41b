"""`Audit Should Record`: the audit trail as PostgreSQL holds it, read on the suite's connection.

The check is one statement with named parameters; each optional filter is skipped when its
parameter is NULL. It runs through DatabaseLibrary, on the connection `Connect To Api
Database` (keywords/database.resource) opened, so the query and its rows are logged as every
other database check's are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

ANY_ACTION = "any"

COUNT_SQL = """SELECT count(*) AS count FROM audit_log WHERE target_id = %(target)s
AND (%(action)s = 'any' OR action = %(action)s)
AND (%(actor)s::uuid IS NULL OR actor_id = %(actor)s::uuid)
AND (%(kind)s::text IS NULL OR target_type = %(kind)s)
AND (%(field)s::text IS NULL
     OR (details -> %(field)s ->> 'old' = %(old)s AND details -> %(field)s ->> 'new' = %(new)s))"""

# What audit_log holds on a target, for the failure message.
ROWS_SQL = """SELECT action, actor_id::text AS actor_id, target_type, details FROM audit_log
WHERE target_id = %(target)s ORDER BY id"""

Query = Callable[[str, Mapping[str, Any]], list[Mapping[str, Any]]]


@dataclass(frozen=True)
class Change:
    """One recorded change: `details -> field` holds `old` and `new`."""

    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}={self.old} -> {self.new}"


def parse_change(changes: Mapping[str, Any]) -> Change | None:
    """The one `field=old -> new` among `changes`, or None when none is given."""
    if not changes:
        return None
    if len(changes) > 1:
        given = ", ".join(f"{name}={value}" for name, value in changes.items())
        raise AssertionError(f"One changed field per check, not {len(changes)}: {given}")
    ((field, value),) = changes.items()
    parts = [part.strip() for part in value.split("->")] if isinstance(value, str) else []
    if len(parts) != 2 or not all(parts):
        raise AssertionError(
            f"Unknown argument {field}={value!r}: Audit Should Record takes count=, by=, kind= "
            f"and one changed field written `field=old -> new`"
        )
    return Change(field, parts[0], parts[1])


def expectation(
    action: str, count: int, actor_id: str | None, kind: str | None, change: Change | None
) -> str:
    """What the check expects, in words: `1 user.update by <id> of kind user with role=a -> b`."""
    words = [str(count), "row(s) of any action" if action == ANY_ACTION else action]
    if actor_id is not None:
        words.append(f"by {actor_id}")
    if kind is not None:
        words.append(f"of kind {kind}")
    if change is not None:
        words.append(f"with {change}")
    return " ".join(words)


def describe(row: Mapping[str, Any]) -> str:
    """One audit_log row as `action by <actor> (kind)` and the changes its details record."""
    details = row.get("details") or {}
    changes = [
        f"{name}={value.get('old')} -> {value.get('new')}"
        for name, value in details.items()
        if isinstance(value, dict) and {"old", "new"} <= value.keys()
    ]
    text = f"{row['action']} by {row.get('actor_id') or 'nobody'} ({row['target_type']})"
    return f"{text} {', '.join(changes)}" if changes else text


def check(
    query: Query,
    action: str,
    target_id: str,
    count: int,
    actor_id: str | None,
    kind: str | None,
    change: Change | None,
) -> None:
    """Fails unless audit_log holds `count` matching rows on `target_id`; names what it holds."""
    parameters = {
        "target": target_id,
        "action": action,
        "actor": actor_id,
        "kind": kind,
        "field": change.field if change else None,
        "old": change.old if change else None,
        "new": change.new if change else None,
    }
    found = int(query(COUNT_SQL, parameters)[0]["count"])
    if found == count:
        return
    rows = query(ROWS_SQL, {"target": target_id})
    held = "; ".join(describe(row) for row in rows) or "nothing"
    raise AssertionError(
        f"audit_log on {target_id}: expected {expectation(action, count, actor_id, kind, change)}, "
        f"found {found}. It holds {len(rows)} row(s): {held}"
    )


def _database_query(sql: str, parameters: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Rows of `sql` on the suite's DatabaseLibrary connection, as dictionaries."""
    database: Any = BuiltIn().get_library_instance("DatabaseLibrary")
    return database.query(sql, return_dict=True, parameters=dict(parameters))


@library(scope="GLOBAL", auto_keywords=False)
class Audit:
    """The audit trail as PostgreSQL holds it: one check for every audited change."""

    @keyword
    def audit_should_record(
        self,
        action: str,
        target: Mapping[str, Any],
        count: int = 1,
        by: Mapping[str, Any] | None = None,
        kind: str | None = None,
        **changes: Any,
    ) -> None:
        """audit_log holds `count` rows of `action` (`any`: every action) on `target`, `by` actor.

        Optional `kind=` checks the target type, and one `field=old -> new` the recorded change.
        """
        change = parse_change(changes)
        actor_id = None if by is None else str(by["id"])
        check(_database_query, action, str(target["id"]), count, actor_id, kind, change)
