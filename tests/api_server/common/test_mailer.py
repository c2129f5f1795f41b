"""The mailer over a real SMTP sink: a batch shares one connection, and a recipient the
server refuses for now does not stop the messages after it."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from api_server.common.mail import Mailer
from sandbox.mail import MailSink


@pytest.fixture
def sink() -> Iterator[MailSink]:
    started = MailSink()
    started.start()
    yield started
    started.stop()


def test_a_batch_shares_one_connection_and_survives_a_refused_recipient(sink, monkeypatch):
    mailer = Mailer(sink.smtp_host, sink.smtp_port, "noreply@example.com")
    opened: list[smtplib.SMTP] = []
    real_connect = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        opened.append(self)
        return real_connect(self, *args, **kwargs)

    # Counting the connections smtplib opens; the mail itself goes to the real sink.
    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
    sink.refuse("held@example.com")
    with mailer.batch():
        mailer.send("a@example.com", "One", "1")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            mailer.send("held@example.com", "Two", "2")
        mailer.send("b@example.com", "Three", "3")
    assert len(opened) == 1
    assert [m["to"] for m in sink.messages()] == ["a@example.com", "b@example.com"]


def test_outside_a_batch_each_message_has_its_own_connection(sink):
    mailer = Mailer(sink.smtp_host, sink.smtp_port, "noreply@example.com")
    mailer.send("a@example.com", "One", "1")
    mailer.send("b@example.com", "Two", "2")
    assert [m["subject"] for m in sink.messages()] == ["One", "Two"]
