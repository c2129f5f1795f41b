"""`Audit Should Record` (keywords/libraries/Audit.py): the change parser, and the check's SQL
against audit_log rows in a migrated database, with the message a mismatch fails with."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg2
import pytest
from psycopg2.extras import RealDictCursor

from keywords.libraries import Audit as audit
from keywords.libraries.Audit import Change, parse_change

# Fixed ids: they appear in parametrize ids, which every xdist worker must collect alike.
ADMIN = str(uuid.uuid5(uuid.NAMESPACE_URL, "tests/keywords/test_audit/admin"))
OTHER = str(uuid.uuid5(uuid.NAMESPACE_URL, "tests/keywords/test_audit/other"))


def test_no_change_is_none() -> None:
    assert parse_change({}) is None


def test_a_change_is_old_and_new_stripped() -> None:
    assert parse_change({"role": " buyer ->seller "}) == Change("role", "buyer", "seller")


def test_more_than_one_changed_field_fails_naming_them() -> None:
    with pytest.raises(AssertionError, match=r"One changed field per check, not 2: role=a -> b"):
        parse_change({"role": "a -> b", "status": "active -> disabled"})


@pytest.mark.parametrize("value", ["seller", "a -> b -> c", " -> b", {"id": ADMIN}])
def test_an_argument_that_is_no_change_fails_as_unknown(value: Any) -> None:
    with pytest.raises(AssertionError, match=r"Unknown argument actor=.*takes count=, by=, kind="):
        parse_change({"actor": value})


@pytest.fixture
def query(dsn: str) -> Iterator[audit.Query]:
    """Runs a statement on the test database, as DatabaseLibrary's `Query` does for the suite."""
    connection = psycopg2.connect(dsn)

    def run(sql: str, parameters: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        with connection.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(sql, dict(parameters))
            return list(cur.fetchall())

    yield run
    connection.close()


@pytest.fixture
def target(dsn: str) -> str:
    """A user id on which an admin changed the role once and the status once."""
    user = str(uuid.uuid4())
    with psycopg2.connect(dsn) as connection, connection.cursor() as cur:
        for details in ({"role": {"old": "buyer", "new": "seller"}}, {"status": {"old": 1}}):
            cur.execute(
                "INSERT INTO audit_log (actor_id, action, target_type, target_id, details) "
                "VALUES (%s, 'user.update', 'user', %s, %s)",
                (ADMIN, user, json.dumps(details)),
            )
    connection.close()
    return user


def run_check(query: audit.Query, target: str, count: int = 1, **options: Any) -> None:
    change = parse_change(options.pop("changes", {}))
    audit.check(
        query,
        options.pop("action", "user.update"),
        target,
        count,
        options.pop("actor", None),
        options.pop("kind", None),
        change,
    )


def test_every_filter_matches_the_recorded_change(query: audit.Query, target: str) -> None:
    run_check(query, target, actor=ADMIN, kind="user", changes={"role": "buyer -> seller"})
    run_check(query, target, count=2, action="any")
    run_check(query, target, count=2, actor=ADMIN)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"actor": OTHER}, f"expected 1 user.update by {OTHER}, found 0"),
        ({"kind": "listing"}, "expected 1 user.update of kind listing, found 0"),
        ({"changes": {"role": "seller -> buyer"}}, "with role=seller -> buyer, found 0"),
        ({"action": "listing.delete"}, "expected 1 listing.delete, found 0"),
        ({"action": "any", "count": 0}, "expected 0 row(s) of any action, found 2"),
    ],
)
def test_a_mismatch_names_what_was_expected_and_what_is_held(
    query: audit.Query, target: str, options: dict[str, Any], expected: str
) -> None:
    with pytest.raises(AssertionError) as failure:
        run_check(query, target, **options)
    message = str(failure.value)
    assert expected in message
    assert f"audit_log on {target}:" in message
    assert f"It holds 2 row(s): user.update by {ADMIN} (user) role=buyer -> seller; " in message
    assert message.endswith(f"user.update by {ADMIN} (user)")


def test_a_target_without_rows_holds_nothing(query: audit.Query) -> None:
    with pytest.raises(AssertionError, match=r"found 0\. It holds 0 row\(s\): nothing$"):
        run_check(query, str(uuid.uuid4()))
