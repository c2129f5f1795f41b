"""The outbox: emails commit with the change and reach a real SMTP sink exactly once.

The dispatcher is driven with `run_once()`; no background thread runs in these tests.
"""

import threading
import uuid

import falcon.testing
import pytest

from api_server.common.mail import Mailer
from api_server.common.outbox import OutboxDispatcher, enqueue_email
from api_server.db import Database
from sandbox.mail import MailSink
from tests.conftest import migrated_database
from tests.factories import app_config, make_app


@pytest.fixture(scope="module")
def sink():
    server = MailSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_config(postgres, sink):
    dsn = migrated_database(postgres)
    return app_config(
        dsn,
        smtp_host=sink.smtp_host,
        smtp_port=sink.smtp_port,
        smtp_timeout=2.0,
    )


@pytest.fixture(scope="module")
def shared_app(mail_config):
    app = make_app(mail_config)
    yield app
    app.services.close()


@pytest.fixture
def mail_app(shared_app, sink):
    """The module's app, with an empty outbox and a working, empty mail sink."""
    sink.recover()
    sink.clear()
    with shared_app.services.db.transaction() as cur:
        cur.execute("TRUNCATE outbox")
    return shared_app


def enqueue(app, *recipients):
    with app.services.db.transaction() as cur:
        for to in recipients:
            enqueue_email(cur, to, f"Hello {to}", "Body")


def rows(app):
    with app.services.db.transaction() as cur:
        cur.execute(
            """SELECT payload->>'to' AS to, status, attempts, last_error,
                      available_at > now() AS backing_off, sent_at IS NOT NULL AS has_sent_at
               FROM outbox ORDER BY id"""
        )
        return cur.fetchall()


def make_due(app):
    """Skips the back-off instead of sleeping through it."""
    with app.services.db.transaction() as cur:
        cur.execute("UPDATE outbox SET available_at = now() WHERE status = 'pending'")


def test_registration_email_is_delivered_after_commit(mail_app, sink):
    client = falcon.testing.TestClient(mail_app)
    email = f"outbox-{uuid.uuid4().hex[:12]}@example.com"
    body = {
        "email": email,
        "password": "Correct-Horse-42",
        "full_name": "Outbox Tester",
        "role": "seller",
    }
    assert client.simulate_post("/api/users/register", json=body).status_code == 201
    assert [r["status"] for r in rows(mail_app)] == ["pending"]
    assert sink.messages() == []
    assert mail_app.services.outbox.run_once() == 1
    (message,) = sink.messages(to=email)
    assert message["subject"] == "Verify your Mining Marketplace account"
    link = next(w for w in message["text"].split() if "token=" in w)
    token = link.split("token=")[1]
    verified = client.simulate_get("/api/users/verify", params={"token": token})
    assert verified.status_code == 200


def test_email_waits_out_an_smtp_outage_and_is_sent_once(mail_app, sink):
    sink.outage()
    enqueue(mail_app, "later@example.com")
    assert mail_app.services.outbox.run_once() == 1
    (row,) = rows(mail_app)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert row["last_error"] == "ConnectionRefusedError"
    assert row["backing_off"]
    sink.recover()
    # Still backing off: nothing is due yet.
    assert mail_app.services.outbox.run_once() == 0
    make_due(mail_app)
    assert mail_app.services.outbox.run_once() == 1
    assert mail_app.services.outbox.run_once() == 0
    (row,) = rows(mail_app)
    assert (row["status"], row["attempts"], row["has_sent_at"]) == ("sent", 2, True)
    assert len(sink.messages(to="later@example.com")) == 1


def test_a_row_that_can_never_be_sent_does_not_resend_the_others(mail_app, sink):
    """A malformed row must not roll back its batch, or the rows before it go out again."""
    enqueue(mail_app, "first@example.com", "bad\r\nBcc: victim@example.com", "last@example.com")
    for _ in range(3):
        mail_app.services.outbox.run_once()
    statuses = [(r["to"], r["status"]) for r in rows(mail_app)]
    assert statuses[0] == ("first@example.com", "sent")
    assert statuses[1][1] == "failed"
    assert statuses[2] == ("last@example.com", "sent")
    assert sorted(m["to"] for m in sink.messages()) == ["first@example.com", "last@example.com"]


class _GatedMailer(Mailer):
    """Holds its first delivery open until released, keeping its rows locked meanwhile."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sending = threading.Event()
        self.release = threading.Event()

    def send(self, to: str, subject: str, text: str) -> None:
        if not self.sending.is_set():
            self.sending.set()
            assert self.release.wait(10)
        super().send(to, subject, text)


def test_a_second_dispatcher_skips_rows_the_first_holds(mail_app, mail_config, sink):
    enqueue(mail_app, *(f"r{i}@example.com" for i in range(4)))
    gated = _GatedMailer(mail_config.smtp_host, mail_config.smtp_port, mail_config.mail_from)
    other_db = Database(mail_config.database_url)
    first = OutboxDispatcher(other_db, gated)
    worker = threading.Thread(target=first.run_once, kwargs={"batch": 2})
    worker.start()
    try:
        assert gated.sending.wait(10)
        # The first dispatcher holds r0 and r1; the second takes the rest without waiting.
        assert mail_app.services.outbox.run_once(batch=10) == 2
        assert sorted(m["to"] for m in sink.messages()) == ["r2@example.com", "r3@example.com"]
    finally:
        gated.release.set()
        worker.join(10)
        other_db.close()
    assert sorted(m["to"] for m in sink.messages()) == [f"r{i}@example.com" for i in range(4)]
    assert {(r["status"], r["attempts"]) for r in rows(mail_app)} == {("sent", 1)}


def test_parallel_dispatchers_never_send_a_row_twice(mail_app, mail_config, sink):
    recipients = [f"p{i}@example.com" for i in range(24)]
    enqueue(mail_app, *recipients)
    databases = [Database(mail_config.database_url) for _ in range(3)]
    mailer = Mailer(mail_config.smtp_host, mail_config.smtp_port, mail_config.mail_from)
    dispatchers = [OutboxDispatcher(db, mailer) for db in databases]
    start = threading.Barrier(len(dispatchers))

    def drain(dispatcher: OutboxDispatcher) -> None:
        start.wait()
        while dispatcher.run_once(batch=2):
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for db in databases:
            db.close()
    assert sorted(m["to"] for m in sink.messages()) == sorted(recipients)
    assert {(r["status"], r["attempts"]) for r in rows(mail_app)} == {("sent", 1)}


def test_an_email_in_a_rolled_back_transaction_is_never_sent(mail_app, sink):
    with pytest.raises(RuntimeError), mail_app.services.db.transaction() as cur:
        enqueue_email(cur, "ghost@example.com", "Never", "Body")
        raise RuntimeError("the change failed")
    assert mail_app.services.outbox.run_once() == 0
    assert rows(mail_app) == []
    assert sink.messages() == []
