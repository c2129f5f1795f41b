"""The connection pool on its own: it counts what it lends, makes callers wait for a free
connection, and drops connections the server has closed instead of lending them again."""

import threading
import time

import psycopg2
import pytest

from api_server.db import pool as pool_module
from api_server.db.pool import Database, DatabaseUnavailable


@pytest.fixture
def db(dsn):
    database = Database(dsn, maxconn=2, timeout=0.3)
    yield database
    database.close()


def backend_pids(dsn, database):
    """The server pids of the pool's connections, by asking each while lent."""
    with database.connection() as a, database.connection() as b:
        return {a.get_backend_pid(), b.get_backend_pid()}


def terminate(dsn, pids):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for pid in pids:
            cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    conn.close()


def test_it_counts_the_connections_it_lends(db):
    assert (db.in_use, db.size) == (0, 2)
    with db.connection():
        assert db.in_use == 1
        with db.connection():
            assert db.in_use == 2
        assert db.in_use == 1
    assert db.in_use == 0


class Backends:
    """Counts the server processes connected to a database, from one connection of its own
    (a connection closed just before may still be listed for a moment while its process ends,
    so the counter never closes its own)."""

    def __init__(self, dsn):
        self._conn = psycopg2.connect(dsn)
        self._conn.autocommit = True

    def count(self):
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cur.fetchone()[0]

    def settle_at(self, expected, timeout=5.0):
        deadline = time.monotonic() + timeout
        while (found := self.count()) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def close(self):
        self._conn.close()


@pytest.fixture
def backends(dsn):
    counter = Backends(dsn)
    yield counter
    counter.close()


def test_connections_open_as_needed_and_are_all_kept(dsn, backends):
    database = Database(dsn, minconn=1, maxconn=4)
    try:
        with database.connection() as first:
            assert backends.count() == 1
        with database.connection() as again, database.connection() as second:
            assert again is first
            assert backends.count() == 2
        # Both returned connections stay open for the next callers, none closed or reopened.
        with database.connection() as a, database.connection() as b:
            assert {id(a), id(b)} == {id(first), id(second)}
            assert backends.count() == 2
    finally:
        database.close()
    assert backends.settle_at(0) == 0


def test_db_pool_min_connections_open_with_the_pool(dsn, backends):
    database = Database(dsn, minconn=3, maxconn=4)
    try:
        with database.connection():
            assert backends.count() == 3
    finally:
        database.close()


def test_an_exhausted_pool_makes_the_caller_wait_then_refuses(db):
    with db.connection(), db.connection():
        started = time.monotonic()
        with (
            pytest.raises(DatabaseUnavailable, match="no database connection free"),
            db.connection(),
        ):
            pass
        assert 0.25 <= time.monotonic() - started < 2.0


def test_a_connection_returned_while_waiting_is_lent(db):
    release = threading.Event()

    def hold():
        with db.connection():
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    while db.in_use < 2:
        time.sleep(0.01)
    threading.Timer(0.1, release.set).start()
    with db.read() as cur:
        cur.execute("SELECT 1 AS one")
        assert cur.fetchone()["one"] == 1
    for thread in holders:
        thread.join()


def test_connections_the_server_closed_are_replaced(db, dsn, monkeypatch):
    monkeypatch.setattr(pool_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    old = backend_pids(dsn, db)
    terminate(dsn, old)
    with db.read() as cur:
        cur.execute("SELECT pg_backend_pid() AS pid")
        assert cur.fetchone()["pid"] not in old
    assert db.in_use == 0


def test_a_connection_lost_mid_transaction_is_discarded(db, dsn):
    with pytest.raises(DatabaseUnavailable), db.transaction() as cur:
        terminate(dsn, [cur.connection.get_backend_pid()])
        cur.execute("SELECT 1")
    with db.read() as cur:
        cur.execute("SELECT 2 AS two")
        assert cur.fetchone()["two"] == 2


def test_a_database_that_cannot_be_reached_is_unavailable():
    unreachable = Database("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1", timeout=0.3)
    with pytest.raises(DatabaseUnavailable, match="connection failed"), unreachable.read():
        pass
