"""The generation watch and the commit clock: what a cached search may trust without asking
PostgreSQL, and when it must ask."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from api_server.db.commit_clock import CommitClock, shared_file
from api_server.marketplace import queries
from api_server.marketplace.generation_watch import (
    APPLICATION_NAME,
    NS,
    GenerationWatch,
    newest,
    parse_payload,
    retry_delay,
)
from api_server.marketplace.search_cache import Generation
from tests.api_server.marketplace.support import eventually, raw_sql

POLL = 0.05
POLL_NS = round(POLL * NS)


class FakeClock:
    """Monotonic nanoseconds that move only when a test moves them."""

    def __init__(self) -> None:
        self.now = 10 * NS

    def __call__(self) -> int:
        return self.now


class Hold:
    """Makes the watch's reads of the generation hang while set (a database that does not
    answer), through the connection factory the watch is given."""

    def __init__(self) -> None:
        self.reads = threading.Event()
        self.released = threading.Event()
        self.held = threading.Event()  # a read is hanging now

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        return HeldConnection(psycopg2.connect(*args, **kwargs), self)


class HeldConnection:
    def __init__(self, conn: Any, hold: Hold) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_hold", hold)

    def cursor(self) -> HeldCursor:
        return HeldCursor(self._conn.cursor(), self._hold)

    def fileno(self) -> int:
        return int(self._conn.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


class HeldCursor:
    def __init__(self, cur: Any, hold: Hold) -> None:
        self._cur = cur
        self._hold = hold

    def execute(self, sql: str, params: Any = None) -> None:
        if self._hold.reads.is_set() and sql == queries.SEARCH_GENERATION:
            self._hold.held.set()
            self._hold.released.wait(30)
        self._cur.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    def __enter__(self) -> HeldCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cur.close()


def generation(dsn: str) -> Generation:
    with raw_sql(dsn) as cur:
        cur.execute(queries.SEARCH_GENERATION)
        return Generation(*cur.fetchone())


def write_a_listing(dsn: str) -> None:
    """A committed write of listings from outside any app: it bumps the generation."""
    with raw_sql(dsn) as cur:
        cur.execute("TRUNCATE listings CASCADE")


def watch_backends(dsn: str) -> int:
    with raw_sql(dsn) as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database()",
            (APPLICATION_NAME,),
        )
        return int(cur.fetchone()[0])


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


def test_a_generation_is_trusted_for_two_polls_after_its_read_started(dsn):
    """The bound on another server's commit: when reads stop answering (a database that hangs),
    the held generation is trusted until two polls after the last read began, not after."""
    clock, hold = FakeClock(), Hold()
    watching = GenerationWatch(
        dsn, POLL, CommitClock(clock=clock), connect=hold.connect, clock=clock
    )
    try:
        assert watching.current() is None  # starts the thread, and wakes it: two reads
        assert eventually(lambda: watching.stats()["reads"] == 2)
        read_at = clock.now
        hold.reads.set()
        clock.now = read_at + POLL_NS  # a read is due: it starts, and hangs
        # The clock moves on only once the read has begun at read_at + POLL_NS: on a loaded
        # machine the thread could otherwise start it later, and trust it longer.
        assert hold.held.wait(10)
        clock.now = read_at + 1_234_567
        assert watching.stats()["read_age_seconds"] == 0.001
        clock.now = read_at + 2 * POLL_NS - 1
        assert watching.current() == generation(dsn)
        assert watching.stats()["read_age_seconds"] == round((2 * POLL_NS - 1) / NS, 3)
        clock.now = read_at + 2 * POLL_NS
        untrusted = watching.stats()["untrusted"]
        assert watching.current() is None
        assert watching.stats()["untrusted"] == untrusted + 1
        # Every untrusted search wakes the hung thread; the wakes never block a search.
        caller = threading.Thread(target=lambda: [watching.current() for _ in range(100_000)])
        caller.start()
        caller.join(20)
        assert not caller.is_alive()
        # Released, the thread ends the hung read and answers all those wakes with one read.
        reads = watching.stats()["reads"]
        clock.now = read_at + 10 * POLL_NS  # the hung read ends long overdue
        hold.reads.clear()
        hold.released.set()
        assert eventually(lambda: watching.stats()["reads"] >= reads + 2)
        time.sleep(4 * POLL)
        assert watching.stats()["reads"] == reads + 2
    finally:
        hold.released.set()
        watching.stop()


def test_with_time_standing_still_it_reads_only_when_due_or_woken(dsn):
    clock = FakeClock()
    watching = GenerationWatch(dsn, POLL, CommitClock(clock=clock), clock=clock)
    try:
        assert watching.current() is None  # starts the thread, and wakes it: two reads
        assert eventually(lambda: watching.stats()["reads"] == 2)
        cpu = time.process_time()
        time.sleep(4 * POLL)
        assert watching.stats()["reads"] == 2  # not due: one poll has not passed
        # ...and the thread sleeps until then instead of spinning.
        assert time.process_time() - cpu < 2 * POLL
        clock.now += POLL_NS
        assert eventually(lambda: watching.stats()["reads"] == 3)
        time.sleep(4 * POLL)
        assert watching.stats()["reads"] == 3
    finally:
        watching.stop()


def test_a_notification_alone_moves_the_held_generation(dsn):
    clock = FakeClock()
    watching = GenerationWatch(dsn, POLL, CommitClock(clock=clock), clock=clock)
    try:
        assert watching.current() is None
        assert eventually(lambda: watching.stats()["reads"] == 2)
        write_a_listing(dsn)
        assert eventually(lambda: watching.current() == generation(dsn))
        stats = watching.stats()
        assert (stats["reads"], stats["notified"]) == (2, 1)
    finally:
        watching.stop()


def test_a_notification_that_arrives_during_a_read_is_not_lost(dsn):
    """psycopg2 takes a notification off the socket while a query runs and keeps it aside,
    so the socket shows nothing more: the watch must still take it."""
    clock, hold = FakeClock(), Hold()
    watching = GenerationWatch(
        dsn, POLL, CommitClock(clock=clock), connect=hold.connect, clock=clock
    )
    try:
        assert watching.current() is None
        assert eventually(lambda: watching.stats()["reads"] == 2)
        hold.reads.set()
        clock.now += POLL_NS  # a read is due: it starts, and waits for the hold
        time.sleep(4 * POLL)
        write_a_listing(dsn)  # its notification reaches the socket during the read
        hold.reads.clear()
        hold.released.set()
        assert eventually(lambda: watching.stats()["reads"] == 3)
        assert eventually(lambda: watching.stats()["notified"] == 1)
        assert watching.current() == generation(dsn)
    finally:
        hold.released.set()
        watching.stop()


def test_a_commit_on_its_server_makes_it_read_again_and_trust_only_a_later_read(dsn):
    """A read that began at the very instant of the mark may not have seen the commit."""
    clock = FakeClock()
    commits = CommitClock(clock=clock)
    watching = GenerationWatch(dsn, POLL, commits, clock=clock)
    try:
        assert watching.current() is None  # starts the thread, and wakes it: two reads
        assert eventually(lambda: watching.stats()["reads"] == 2)
        assert watching.current() is not None
        reads = 2
        clock.now += 1
        commits.mark()
        assert watching.current() is None  # and it wakes the thread, which reads at once
        assert eventually(lambda: watching.stats()["reads"] == reads + 1)
        assert watching.current() is None  # that read began at the mark's instant
        assert eventually(lambda: watching.stats()["reads"] == reads + 2)
        clock.now += 1
        assert watching.current() is None  # and the read woken now begins after the mark
        assert eventually(lambda: watching.current() == generation(dsn))
    finally:
        watching.stop()


def test_without_a_counter_row_nothing_is_trusted(watch, clock, dsn):
    assert eventually(lambda: watch.current() is not None)
    with raw_sql(dsn) as cur:
        cur.execute("DELETE FROM listings_generation")
    clock.mark()
    time.sleep(4 * POLL)
    assert watch.current() is None
    assert watch.stats()["generation"] is None


def test_a_lost_connection_is_replaced_and_meanwhile_nothing_is_trusted(watch, dsn):
    assert eventually(lambda: watch.current() is not None)
    with raw_sql(dsn) as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        )
    assert eventually(lambda: watch.stats()["reconnects"] == 1)
    assert eventually(lambda: watch.current() == generation(dsn))
    assert watch_backends(dsn) == 1
    assert watch.stats()["reconnects"] == 1


def test_a_database_that_is_down_is_not_hammered(clock):
    """Connecting again waits one poll, then twice as long each time: a few attempts a
    second, not one every poll."""
    attempts: list[float] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(time.monotonic())
        raise psycopg2.OperationalError("connection refused")

    watching = GenerationWatch("postgresql://nowhere", POLL, clock, connect=refuse)
    try:
        assert watching.current() is None
        time.sleep(20 * POLL)
        assert watching.current() is None
    finally:
        watching.stop()
    # Attempts at 0, 1, 3, 7, 15 polls: five in twenty polls (every poll: twenty).
    assert 2 <= len(attempts) <= 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[1] > 1.5 * POLL


def test_a_watch_never_stopped_does_not_keep_its_process_alive(dsn):
    """A worker that exits without closing its services still exits."""
    program = (
        "from api_server.db.commit_clock import CommitClock\n"
        "from api_server.marketplace.generation_watch import GenerationWatch\n"
        "from tests.api_server.marketplace.support import eventually\n"
        f"watch = GenerationWatch({dsn!r}, 0.05, CommitClock())\n"
        "assert eventually(lambda: watch.current() is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], timeout=60, check=False)
    assert done.returncode == 0


def test_stop_ends_the_thread_and_closes_its_connection(dsn, clock):
    descriptors = len(os.listdir("/proc/self/fd"))
    watching = GenerationWatch(dsn, POLL, clock)
    assert eventually(lambda: watching.current() is not None)
    watching.stop()
    watching.stop()
    assert len(os.listdir("/proc/self/fd")) == descriptors
    assert not any(t.name == "generation-watch" and t.is_alive() for t in threading.enumerate())
    assert eventually(lambda: watch_backends(dsn) == 0)


def test_at_zero_seconds_the_watch_is_off_and_starts_nothing(dsn, clock):
    watching = GenerationWatch(dsn, 0, clock)
    assert watching.current() is None
    assert watching.stats() == {
        "enabled": False,
        "poll_seconds": 0,
        "generation": None,
        "read_age_seconds": None,
        **dict.fromkeys(("notified", "reads", "reconnects", "untrusted"), 0),
    }
    assert watch_backends(dsn) == 0
    watching.stop()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("7 -12", Generation(7, -12)), ("7", None), ("", None), ("x 1", None), ("1 y", None)],
)
def test_a_notification_carries_value_and_token(payload, expected):
    assert parse_payload(payload) == expected


@pytest.mark.parametrize(
    ("payloads", "held", "expected"),
    [
        ([], None, None),
        (["5 1"], None, Generation(5, 1)),
        (["5 1", "7 2", "6 3"], None, Generation(7, 2)),
        (["6 1", "junk"], Generation(5, 9), Generation(6, 1)),
        (["5 1"], Generation(5, 9), None),
        (["4 1"], Generation(5, 9), None),
        (["junk"], None, None),
    ],
)
def test_notifications_bring_the_newest_generation_past_the_held_one(payloads, held, expected):
    assert newest(payloads, held) == expected


@pytest.mark.parametrize(
    ("failures", "poll", "seconds"),
    [(1, 0.25, 0.25), (2, 0.25, 0.5), (3, 0.25, 1.0), (5, 0.25, 4.0), (6, 0.25, 5.0), (1, 9, 5.0)],
)
def test_reconnecting_backs_off_to_five_seconds(failures, poll, seconds):
    assert retry_delay(failures, poll) == seconds


def test_the_commit_clock_only_moves_forward():
    fake = FakeClock()
    clock = CommitClock(clock=fake)
    assert clock.last() == 0
    clock.mark()
    assert clock.last() == fake.now
    fake.now -= 5  # a mark that was taken earlier but lands later (another thread)
    clock.mark()
    assert clock.last() == fake.now + 5
    fake.now += 6
    clock.mark()
    assert clock.last() == fake.now


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
