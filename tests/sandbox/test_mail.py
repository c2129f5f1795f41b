"""Tests for the SMTP mail sink: real SMTP in through smtplib, JSON out through requests."""

from __future__ import annotations

import signal
import smtplib
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage

import pytest
import requests

from sandbox.mail import MailSink
from tests.standalone import standalone

TIMEOUT = 5


@pytest.fixture
def sink() -> Iterator[MailSink]:
    mail_sink = MailSink()
    mail_sink.start()
    yield mail_sink
    mail_sink.stop()


def make_message(
    subject: str, body: str, *, to: str = "alice@example.com", html: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Marketplace <noreply@marketplace.test>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send(sink: MailSink, msg: EmailMessage, to_addrs: list[str] | None = None) -> None:
    with smtplib.SMTP(sink.smtp_host, sink.smtp_port, timeout=TIMEOUT) as client:
        client.send_message(msg, to_addrs=to_addrs)


def get_messages(sink: MailSink, **params: str) -> list[dict]:
    resp = requests.get(f"{sink.api_url}/messages", params=params, timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    return resp.json()


def status(sink: MailSink) -> dict:
    return requests.get(f"{sink.api_url}/status", timeout=TIMEOUT).json()


def test_env_describes_running_sink(sink: MailSink) -> None:
    env = sink.env()
    assert env == {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.smtp_port),
        "MAIL_API_URL": sink.api_url,
    }
    assert sink.smtp_port > 0
    assert sink.api_url.startswith("http://127.0.0.1:")
    assert status(sink) == {"smtp": "up", "messages": 0}


def test_plain_text_message_is_stored(sink: MailSink) -> None:
    send(sink, make_message("Welcome", "Hello Alice,\nyour account is ready.\n"))

    [record] = get_messages(sink, to="alice@example.com")
    assert record["to"] == "alice@example.com"
    assert record["from"] == "noreply@marketplace.test"
    assert record["subject"] == "Welcome"
    assert record["text"] == "Hello Alice,\nyour account is ready.\n"
    assert record["html"] is None
    assert record["headers"]["From"] == "Marketplace <noreply@marketplace.test>"
    assert record["headers"]["Subject"] == "Welcome"
    assert record["id"]
    received = datetime.fromisoformat(record["received_at"])
    assert received.utcoffset() is not None
    assert received.utcoffset().total_seconds() == 0


def test_multipart_exposes_text_and_html(sink: MailSink) -> None:
    html = "<p>Your <b>order</b> shipped.</p>\n"
    send(sink, make_message("Order shipped", "Your order shipped.\n", html=html))

    [record] = get_messages(sink)
    assert record["text"] == "Your order shipped.\n"
    assert record["html"] == html
    assert record["headers"]["Content-Type"].startswith("multipart/alternative")


def test_non_ascii_subject_and_body_are_decoded(sink: MailSink) -> None:
    subject = "Préstamo aprobado ✓ 日本語"
    body = "Grüße aus Zürich — ñandú, 価格 €42\n"
    send(sink, make_message(subject, body))

    [record] = get_messages(sink, subject_contains="aprobado ✓")
    assert record["subject"] == subject
    assert record["text"] == body


def test_each_recipient_gets_a_record(sink: MailSink) -> None:
    msg = make_message("Team update", "Hi all\n", to="alice@example.com, bob@example.com")
    msg["Cc"] = "carol@example.com"
    send(sink, msg)

    records = get_messages(sink)
    assert sorted(r["to"] for r in records) == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    assert len({r["id"] for r in records}) == 3
    assert {r["subject"] for r in records} == {"Team update"}
    assert status(sink)["messages"] == 3


def test_filter_by_to_is_case_insensitive_and_oldest_first(sink: MailSink) -> None:
    for n in range(3):
        send(sink, make_message(f"Alice #{n}", "body\n", to="Alice@Example.com"))
        send(sink, make_message(f"Bob #{n}", "body\n", to="bob@example.com"))

    alice = get_messages(sink, to="ALICE@example.COM")
    assert [r["subject"] for r in alice] == ["Alice #0", "Alice #1", "Alice #2"]
    assert [
        r["subject"] for r in get_messages(sink, to="bob@example.com", subject_contains="#1")
    ] == ["Bob #1"]
    assert get_messages(sink, to="nobody@example.com") == []
    assert len(get_messages(sink)) == 6


def test_delete_by_recipient_then_all(sink: MailSink) -> None:
    send(sink, make_message("A", "a\n", to="alice@example.com"))
    send(sink, make_message("B", "b\n", to="bob@example.com"))

    resp = requests.delete(
        f"{sink.api_url}/messages", params={"to": "ALICE@example.com"}, timeout=TIMEOUT
    )
    assert resp.status_code == 204
    assert [r["to"] for r in get_messages(sink)] == ["bob@example.com"]

    resp = requests.delete(f"{sink.api_url}/messages", timeout=TIMEOUT)
    assert resp.status_code == 204
    assert get_messages(sink) == []
    assert status(sink)["messages"] == 0


@pytest.mark.parametrize("recover", ["DELETE /outage", "POST /recover"])
def test_outage_refuses_connections_and_recovery_reuses_port(sink: MailSink, recover: str) -> None:
    port = sink.smtp_port
    send(sink, make_message("Before", "before\n"))

    assert requests.post(f"{sink.api_url}/outage", timeout=TIMEOUT).status_code == 204
    assert status(sink) == {"smtp": "down", "messages": 1}
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(sink.smtp_host, port, timeout=TIMEOUT)
    # A second outage request must not fail while already down.
    assert requests.post(f"{sink.api_url}/outage", timeout=TIMEOUT).status_code == 204

    method, path = recover.split()
    assert requests.request(method, f"{sink.api_url}{path}", timeout=TIMEOUT).status_code == 204
    assert status(sink)["smtp"] == "up"
    assert sink.smtp_port == port
    send(sink, make_message("After", "after\n"))
    assert [r["subject"] for r in get_messages(sink)] == ["Before", "After"]


def test_unknown_route_is_json_404(sink: MailSink) -> None:
    resp = requests.get(f"{sink.api_url}/nope", headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json()["title"] == "404 Not Found"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option any restarted server uses; it tolerates TIME_WAIT but not a listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_stop_frees_ports_and_threads() -> None:
    threads_before = set(threading.enumerate())
    mail_sink = MailSink()
    mail_sink.start()
    smtp_port = mail_sink.smtp_port
    http_port = int(mail_sink.api_url.rsplit(":", 1)[1])
    send(mail_sink, make_message("Hi", "hi\n"))
    assert len(get_messages(mail_sink)) == 1
    assert not _port_is_free(smtp_port)
    assert not _port_is_free(http_port)

    mail_sink.stop()
    mail_sink.stop()  # idempotent

    assert _port_is_free(smtp_port)
    assert _port_is_free(http_port)
    for port in (smtp_port, http_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    assert set(threading.enumerate()) <= threads_before


def test_busy_http_port_fails_start_without_leaking_smtp() -> None:
    threads_before = set(threading.enumerate())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        mail_sink = MailSink(http_port=blocker.getsockname()[1])
        with pytest.raises(OSError):
            mail_sink.start()
    assert _port_is_free(mail_sink.smtp_port)
    assert set(threading.enumerate()) <= threads_before
    mail_sink.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_module_runs_standalone_until_signalled(sig: signal.Signals) -> None:
    with standalone("sandbox.mail") as (proc, env):
        assert set(env) == {"SMTP_HOST", "SMTP_PORT", "MAIL_API_URL"}
        with smtplib.SMTP(env["SMTP_HOST"], int(env["SMTP_PORT"]), timeout=TIMEOUT) as client:
            client.send_message(make_message("Standalone", "hi\n"))
        resp = requests.get(f"{env['MAIL_API_URL']}/messages", timeout=TIMEOUT)
        assert [r["subject"] for r in resp.json()] == ["Standalone"]
        proc.send_signal(sig)
        assert proc.wait(timeout=TIMEOUT) == 0
