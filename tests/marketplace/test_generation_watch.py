"""The generation watch and the commit clock: what a cached search may trust without asking
PostgreSQL, and when it must ask."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from api_server.db.commit_clock import CommitClock, shared_file
from api_server.marketplace import queries
from api_server.marketplace.generation_watch import (
    APPLICATION_NAME,
    GenerationWatch,
    parse_payload,
)
from api_server.marketplace.search_cache import Generation
from tests.marketplace.support import eventually

POLL = 0.05


def generation(dsn: str) -> Generation:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(queries.SEARCH_GENERATION)
        value, token = cur.fetchone()
    conn.close()
    return Generation(value, token)


def write_a_listing(dsn: str) -> None:
    """A committed write of listings from outside any app: it bumps the generation."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE listings CASCADE")
    conn.close()


def watch_backends(dsn: str) -> int:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database()",
            (APPLICATION_NAME,),
        )
        (count,) = cur.fetchone()
    conn.close()
    return int(count)


@pytest.fixture
def clock() -> CommitClock:
    return CommitClock()


@pytest.fixture
def watch(dsn: str, clock: CommitClock) -> Iterator[GenerationWatch]:
    watching = GenerationWatch(dsn, POLL, clock)
    yield watching
    watching.stop()


def test_it_holds_the_databases_generation_once_it_has_read_it(watch, dsn):
    assert watch.current() is None  # the first call starts the thread; nothing read yet
    assert eventually(lambda: watch.current() is not None)
    assert watch.current() == generation(dsn)
    assert watch_backends(dsn) == 1


def test_a_commit_elsewhere_is_pushed_by_notification(watch, dsn):
    assert eventually(lambda: watch.current() is not None)
    before = watch.stats()["notified"]
    write_a_listing(dsn)
    assert eventually(lambda: watch.stats()["notified"] > before)
    assert eventually(lambda: watch.current() == generation(dsn))


def test_after_a_commit_on_its_server_it_trusts_nothing_read_before(watch, clock, dsn):
    """Read-your-writes across the workers of a server: right after a commit is marked, the
    held generation is not trusted until a read started after the commit has answered."""
    for _ in range(20):
        assert eventually(lambda: watch.current() is not None)
        write_a_listing(dsn)
        clock.mark()
        seen = watch.current()
        assert seen is None or seen == generation(dsn)
    assert eventually(lambda: watch.current() == generation(dsn))


def test_a_generation_not_read_for_two_polls_is_not_trusted(dsn, clock):
    """The bound on another server's commit: a watch whose reads stop answering (a stuck
    connection) stops being trusted after two polls."""
    stuck = threading.Event()
    release = threading.Event()

    class StuckCursor:
        def __init__(self, cur: Any) -> None:
            self._cur = cur

        def execute(self, sql: str, params: Any = None) -> None:
            if stuck.is_set():
                release.wait(30)
            self._cur.execute(sql, params)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._cur, name)

        def __enter__(self) -> StuckCursor:
            return self

        def __exit__(self, *exc: object) -> None:
            self._cur.close()

    class StuckConnection:
        def __init__(self, conn: Any) -> None:
            self._conn = conn

        def cursor(self) -> StuckCursor:
            return StuckCursor(self._conn.cursor())

        def __getattr__(self, name: str) -> Any:
            return getattr(self._conn, name)

        def __setattr__(self, name: str, value: Any) -> None:
            if name == "_conn":
                object.__setattr__(self, name, value)
            else:
                setattr(self._conn, name, value)

        def fileno(self) -> int:
            return int(self._conn.fileno())

    watching = GenerationWatch(
        dsn, POLL, clock, connect=lambda *a, **k: StuckConnection(psycopg2.connect(*a, **k))
    )
    try:
        assert eventually(lambda: watching.current() is not None)
        stuck.set()
        assert eventually(lambda: watching.current() is None)
        assert watching.stats()["untrusted"] >= 1
    finally:
        release.set()
        watching.stop()


def test_a_lost_connection_is_replaced_and_meanwhile_nothing_is_trusted(watch, dsn):
    assert eventually(lambda: watch.current() is not None)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        )
    conn.close()
    assert eventually(lambda: watch.stats()["reconnects"] >= 1)
    assert eventually(lambda: watch.current() == generation(dsn))
    assert watch_backends(dsn) == 1


def test_stop_ends_the_thread_and_closes_its_connection(dsn, clock):
    watching = GenerationWatch(dsn, POLL, clock)
    assert eventually(lambda: watching.current() is not None)
    watching.stop()
    watching.stop()
    assert not any(t.name == "generation-watch" and t.is_alive() for t in threading.enumerate())
    assert eventually(lambda: watch_backends(dsn) == 0)


def test_at_zero_seconds_the_watch_is_off_and_starts_nothing(dsn, clock):
    watching = GenerationWatch(dsn, 0, clock)
    assert watching.current() is None
    assert watching.stats()["enabled"] is False
    assert watch_backends(dsn) == 0
    watching.stop()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("7 -12", Generation(7, -12)), ("7", None), ("", None), ("x 1", None), ("1 y", None)],
)
def test_a_notification_carries_value_and_token(payload, expected):
    assert parse_payload(payload) == expected


def test_the_commit_clock_only_moves_forward():
    clock = CommitClock()
    assert clock.last() == 0
    marks = []
    for _ in range(50):
        clock.mark()
        marks.append(clock.last())
    assert marks == sorted(marks) and marks[0] > 0


def test_the_commit_clock_is_shared_by_forked_processes():
    """gunicorn's master opens the file and forks the workers: a mark in one is read by all."""
    file = shared_file()
    parent = CommitClock(file.fileno())
    pid = os.fork()
    if pid == 0:  # the child: another worker
        CommitClock(file.fileno()).mark()
        os._exit(0)
    os.waitpid(pid, 0)
    assert parent.last() > 0
    before = parent.last()
    parent.mark()
    assert parent.last() > before
    file.close()
