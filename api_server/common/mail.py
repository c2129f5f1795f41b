"""Sending one email over SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage


class Mailer:
    """Plain SMTP to the configured host; the outbox calls it after commit."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 5.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    def send(self, to: str, subject: str, text: str) -> None:
        """Delivers or raises (OSError, smtplib.SMTPException)."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            smtp.send_message(message)
