"""The listings' generation (migration 0010): one bump per committed transaction that wrote
listings, taken at COMMIT, so it never holds writers up before they commit."""

from __future__ import annotations

import threading
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from tests.factories import make_listing


def generation(dsn: str) -> tuple[int, int]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT value, token FROM listings_generation")
            value, token = cur.fetchone()
            return value, token
    finally:
        conn.close()


def writer(dsn: str) -> Any:
    conn = psycopg2.connect(dsn)
    conn.autocommit = False
    return conn


def test_a_transaction_bumps_once_however_many_listings_it_writes(app, seller, dsn):
    listings = [make_listing(app, seller, status="active") for _ in range(3)]
    before = generation(dsn)
    conn = writer(dsn)
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE listings SET title = title || '!' WHERE seller_id = %s", (seller["id"],)
        )
        cur.execute("DELETE FROM listing_history WHERE listing_id = %s", (listings[0]["id"],))
        cur.execute("DELETE FROM listings WHERE id = %s", (listings[0]["id"],))
    conn.commit()
    after = generation(dsn)
    assert after[0] == before[0] + 1
    assert after[1] != before[1]
    conn.close()


def test_rolled_back_writes_bump_nothing(app, seller, dsn):
    listing = make_listing(app, seller, status="active")
    before = generation(dsn)
    conn = writer(dsn)
    with conn.cursor() as cur:
        cur.execute("UPDATE listings SET title = 'x' WHERE id = %s", (listing["id"],))
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s")
        cur.execute("UPDATE listings SET title = 'y' WHERE id = %s", (listing["id"],))
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("SELECT 1")
    conn.commit()
    assert generation(dsn) == before
    conn.close()


def test_writes_elsewhere_bump_nothing(app, seller, dsn):
    make_listing(app, seller, status="active")
    before = generation(dsn)
    conn = writer(dsn)
    with conn.cursor() as cur:
        cur.execute("UPDATE users SET full_name = 'Renamed' WHERE id = %s", (seller["id"],))
    conn.commit()
    assert generation(dsn) == before
    conn.close()


def test_the_counter_is_locked_only_while_a_writer_commits(app, seller, dsn):
    """Two open transactions write listings; neither waits for the other's bump, because the
    bump is deferred to COMMIT (an immediate one would make the second writer wait here)."""
    first, second = (make_listing(app, seller, status="active") for _ in range(2))
    before = generation(dsn)
    a, b = writer(dsn), writer(dsn)
    with a.cursor() as cur:
        cur.execute("UPDATE listings SET title = 'a' WHERE id = %s", (first["id"],))
    with b.cursor() as cur:
        cur.execute("SET lock_timeout = '2s'")
        cur.execute("UPDATE listings SET title = 'b' WHERE id = %s", (second["id"],))
    b.commit()  # while a is still open
    a.commit()
    assert generation(dsn)[0] == before[0] + 2
    a.close()
    b.close()


def test_writers_committing_at_once_each_bump_and_none_deadlocks(app, seller, dsn):
    listings = [make_listing(app, seller, status="active") for _ in range(8)]
    before = generation(dsn)
    barrier = threading.Barrier(len(listings), timeout=10)
    failures: list[BaseException] = []

    def write(listing: dict[str, Any]) -> None:
        conn = writer(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("SET lock_timeout = '5s'")
                cur.execute("UPDATE listings SET title = %s WHERE id = %s", ("w", listing["id"]))
                barrier.wait()
            conn.commit()
        except BaseException as exc:
            failures.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=write, args=(listing,)) for listing in listings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert generation(dsn)[0] == before[0] + len(listings)


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_snapshot_writer_that_lost_the_race_for_the_counter_must_retry(
    app, seller, dsn, isolation
):
    """Documented in 0010: a REPEATABLE READ writer whose snapshot predates another writer's
    bump fails at COMMIT (the API's writers run in READ COMMITTED and never meet it)."""
    first, second = (make_listing(app, seller, status="active") for _ in range(2))
    a, b = writer(dsn), writer(dsn)
    with a.cursor() as cur:
        cur.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        cur.execute("SET lock_timeout = '5s'")
        cur.execute("SELECT 1 FROM listings_generation")
        cur.execute("UPDATE listings SET title = 'a' WHERE id = %s", (first["id"],))
    with b.cursor() as cur:
        cur.execute("SET lock_timeout = '5s'")
        cur.execute("UPDATE listings SET title = 'b' WHERE id = %s", (second["id"],))
    b.commit()
    with pytest.raises(psycopg2.errors.SerializationFailure):
        a.commit()
    a.close()
    b.close()
