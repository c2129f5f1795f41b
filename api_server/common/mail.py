"""Sending email over SMTP."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage


class Mailer:
    """Plain SMTP to the configured host; the outbox calls it after commit.

    Inside `batch()` the messages a thread sends share one SMTP connection, opened on the
    first: a sale's receipt and notice, and a backlog after an outage, cost one handshake
    instead of one each. The connection is per thread, so dispatchers never share one.
    """

    def __init__(self, host: str, port: int, sender: str, timeout: float = 5.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout
        self._local = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Messages sent by this thread inside the block reuse one connection."""
        self._local.batching = True
        try:
            yield
        finally:
            self._local.batching = False
            self._disconnect()

    def send(self, to: str, subject: str, text: str) -> None:
        """Delivers or raises (OSError, smtplib.SMTPException)."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        smtp = getattr(self._local, "smtp", None)
        if smtp is None:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            self._local.smtp = smtp
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            # The server refused this recipient (smtplib has reset the transaction); the
            # connection still serves the next message.
            self._end_unless_batching()
            raise
        except (OSError, smtplib.SMTPException):
            self._disconnect()
            raise
        self._end_unless_batching()

    def _end_unless_batching(self) -> None:
        if not getattr(self._local, "batching", False):
            self._disconnect()

    def _disconnect(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            with suppress(OSError, smtplib.SMTPException):
                smtp.quit()
            smtp.close()
