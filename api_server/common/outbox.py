"""Side effects written in the same transaction as the change, delivered after commit."""

from __future__ import annotations

import json
import logging
import smtplib
import threading
from typing import Any

from opentelemetry.trace import SpanKind
from psycopg2.extras import RealDictCursor

from api_server.common import outbox_queries as queries
from api_server.common.mail import Mailer
from api_server.db import Database, DatabaseUnavailable
from api_server.observability.tracing import Tracing, context_of, traceparent

_log = logging.getLogger("api_server.outbox")
MAX_BACKOFF_SECONDS = 10


def enqueue_email(cur: RealDictCursor, to: str, subject: str, text: str) -> None:
    """Adds an email to the outbox inside the caller's transaction."""
    payload = {"to": to, "subject": subject, "text": text}
    # The trace that caused the mail: its delivery, after commit and maybe after retries,
    # is a span of that trace.
    cur.execute(queries.ENQUEUE, ("email", json.dumps(payload), traceparent()))


class OutboxDispatcher:
    """Delivers pending rows; SKIP LOCKED lets every worker help without sending twice."""

    def __init__(
        self, db: Database, mailer: Mailer, interval: float = 1.0, tracing: Tracing | None = None
    ) -> None:
        self._db = db
        self._tracer = (tracing or Tracing()).tracer("api_server.outbox")
        self._mailer = mailer
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Asks for a delivery round now (after a commit that enqueued something)."""
        self._wake.set()

    def start(self) -> None:
        """Runs deliveries in a daemon thread of this worker."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ends the delivery thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_once():
                    pass
            except DatabaseUnavailable:
                _log.warning("outbox: database unavailable, will retry")
            except Exception:
                _log.exception("outbox round failed")
            self._wake.wait(self._interval)
            self._wake.clear()

    def run_once(self, batch: int = 10) -> int:
        """Delivers up to `batch` due rows; returns how many it handled."""
        with self._db.transaction() as cur, self._mailer.batch():
            cur.execute(queries.CLAIM_DUE, (batch,))
            rows = cur.fetchall()
            for row in rows:
                self._deliver(cur, row)
        return len(rows)

    def _deliver(self, cur: RealDictCursor, row: dict[str, Any]) -> None:
        with self._tracer.start_as_current_span(
            "outbox.send",
            context=context_of(row.get("traceparent")),
            kind=SpanKind.CONSUMER,
            attributes={"outbox.id": row["id"], "outbox.attempt": row["attempts"] + 1},
        ):
            self._deliver_row(cur, row)

    def _deliver_row(self, cur: RealDictCursor, row: dict[str, Any]) -> None:
        payload = row["payload"]
        try:
            if row["kind"] == "email":
                with self._tracer.start_as_current_span(
                    "smtp send",
                    kind=SpanKind.CLIENT,
                    attributes={"peer.service": "mail", "mail.subject": str(payload["subject"])},
                ):
                    self._mailer.send(payload["to"], payload["subject"], payload["text"])
        except (OSError, smtplib.SMTPException) as exc:
            backoff = min(MAX_BACKOFF_SECONDS, 2 ** row["attempts"])
            cur.execute(queries.RETRY_LATER, (type(exc).__name__, backoff, row["id"]))
            _log.info("outbox %s: delivery failed (%s), retry in %ss", row["id"], exc, backoff)
            return
        except Exception as exc:
            # A row that cannot even be built (a malformed payload) never will be; parking it
            # keeps the exception from rolling back the batch and resending the rows before it.
            cur.execute(queries.MARK_FAILED, (type(exc).__name__, row["id"]))
            _log.exception("outbox %s: undeliverable, marked failed", row["id"])
            return
        cur.execute(queries.MARK_SENT, (row["id"],))
