"""A thread-safe psycopg2 pool that waits for a free connection and drops broken ones."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import psycopg2.pool

from api_server.db.prepared import Connection
from api_server.observability.tracing import Tracing

# A connection returned this recently is lent again without a ping: under load that saves a
# round trip per request, and a connection idle longer (the only kind a database restart
# leaves behind for long) is still checked before use.
PING_AFTER_IDLE_SECONDS = 1.0


class DatabaseUnavailable(Exception):
    """The database cannot be reached or the pool stayed exhausted; maps to 503."""


# Errors that mean the database itself is gone (not a row we could not apply): a batch stops
# on them and a gateway is asked to retry later.
DATABASE_DOWN = (psycopg2.OperationalError, psycopg2.InterfaceError, DatabaseUnavailable)


class Database:
    """Owns the pool of one process; opened lazily so gunicorn workers each get their own."""

    def __init__(
        self,
        dsn: str,
        minconn: int = 1,
        maxconn: int = 8,
        timeout: float = 5.0,
        tracing: Tracing | None = None,
    ) -> None:
        self._dsn = dsn
        self._tracing = tracing or Tracing()
        self._tracer = self._tracing.tracer("api_server.db")
        self._minconn = min(minconn, maxconn)
        self._maxconn = maxconn
        self._timeout = timeout
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._lock = threading.Lock()
        # psycopg2's pool raises at once when exhausted; the semaphore makes callers wait.
        self._slots = threading.BoundedSemaphore(maxconn)
        self._in_use = 0
        self._returned_at: dict[int, float] = {}
        self._after_commit: list[Callable[[], None]] = []

    @property
    def in_use(self) -> int:
        """Connections currently lent out."""
        return self._in_use

    @property
    def size(self) -> int:
        """The most connections this pool will open."""
        return self._maxconn

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Calls `callback` after every transaction this pool commits (not after reads)."""
        self._after_commit.append(callback)

    def _get_pool(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:
                try:
                    # `minconn` (DB_POOL_MIN) connections open with the pool, the rest one by
                    # one as callers need them; every one returned is kept, since psycopg2
                    # closes those returned beyond its `minconn`. A worker whose threads use
                    # three connections opens three, not eight: each costs PostgreSQL a process.
                    self._pool = psycopg2.pool.ThreadedConnectionPool(
                        self._minconn,
                        self._maxconn,
                        self._dsn,
                        connect_timeout=5,
                        connection_factory=Connection,
                    )
                except psycopg2.OperationalError as exc:
                    raise DatabaseUnavailable("database connection failed") from exc
                self._pool.minconn = self._maxconn
            return self._pool

    def close(self) -> None:
        """Closes every pooled connection; the pool reopens on next use."""
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """Lends a connection; a broken one is discarded instead of returned to the pool."""
        if not self._slots.acquire(timeout=self._timeout):
            raise DatabaseUnavailable("no database connection free")
        pool = None
        conn = None
        try:
            pool = self._get_pool()
            conn = self._live_connection(pool)
            if self._tracing.enabled and not getattr(conn, "traced", False):
                # Rows as dicts through the traced cursor the instrumentation puts in place.
                conn.cursor_factory = psycopg2.extras.RealDictCursor
                self._tracing.instrument_connection(conn)
                conn.traced = True
            self._in_use += 1
            yield conn
        finally:
            if conn is not None and pool is not None:
                self._in_use -= 1
                broken = bool(conn.closed) or (
                    conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN
                )
                if not broken:
                    self._returned_at[id(conn)] = time.monotonic()
                pool.putconn(conn, close=broken)
            self._slots.release()

    def _live_connection(
        self, pool: psycopg2.pool.ThreadedConnectionPool
    ) -> psycopg2.extensions.connection:
        """A pooled connection that answers; stale ones (after a database restart) are dropped."""
        for _ in range(self._maxconn + 1):
            try:
                conn = pool.getconn()
            except psycopg2.OperationalError as exc:
                raise DatabaseUnavailable("database connection failed") from exc
            if time.monotonic() - self._returned_at.pop(id(conn), 0.0) < PING_AFTER_IDLE_SECONDS:
                return conn
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
                # Ends the ping's implicit transaction, so callers may still set isolation.
                conn.rollback()
                return conn
            except psycopg2.Error:
                pool.putconn(conn, close=True)
        raise DatabaseUnavailable("no live database connection")

    @contextmanager
    def read(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        """A cursor in autocommit, for a read that is one statement (its own snapshot):
        one round trip, with no BEGIN and COMMIT around it."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with _dict_cursor(conn) as cur:
                    yield cur
            except psycopg2.OperationalError as exc:
                raise DatabaseUnavailable("database connection lost") from exc
            finally:
                if not conn.closed:
                    conn.autocommit = False

    @contextmanager
    def transaction(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        """One transaction: commits when the block ends, rolls back on any exception."""
        with (
            self._tracer.start_as_current_span(
                "db.transaction", attributes={"db.system": "postgresql"}
            ),
            self.connection() as conn,
        ):
            try:
                with _dict_cursor(conn) as cur:
                    yield cur
                conn.commit()
                for callback in self._after_commit:
                    callback()
            except psycopg2.OperationalError as exc:
                _rollback_quietly(conn)
                raise DatabaseUnavailable("database connection lost") from exc
            except BaseException:
                _rollback_quietly(conn)
                raise


def _dict_cursor(conn: psycopg2.extensions.connection) -> psycopg2.extras.RealDictCursor:
    """A cursor whose rows are dicts: the traced one when the connection is traced."""
    if getattr(conn, "traced", False):
        return conn.cursor()
    return conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)


def _rollback_quietly(conn: psycopg2.extensions.connection) -> None:
    # A lost connection cannot roll back; the pool discards it on return anyway.
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg2.Error:
        pass
