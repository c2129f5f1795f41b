"""SMTP mail sink with an HTTP API, so tests can read, clear and break the mail path.

Run standalone with ``python -m sandbox.mail [--smtp-port N] [--http-port N]``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from types import FrameType
from typing import Any
from wsgiref.simple_server import make_server

import falcon
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from sandbox.harness.server import QuietHandler, ThreadingWSGIServer

Message = dict[str, Any]


def _free_port(host: str) -> int:
    # aiosmtpd's Controller cannot report the port the OS chose for 0, and recovery
    # must come back on the same port, so a concrete port is reserved up front.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _content(part: MIMEPart | None) -> str | None:
    if part is None:
        return None
    # 8bit/quoted-printable parts keep the wire's CRLF while base64 parts decode to
    # whatever the sender encoded; normalise so clients see one convention.
    return str(part.get_content()).replace("\r\n", "\n")


def _parse(envelope: Envelope, rcpt: str) -> Message:
    # original_content is always the raw bytes, whatever decode_data says.
    msg = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in msg.items():
        # Repeated headers (e.g. Received) keep the first, i.e. the most recent hop.
        headers.setdefault(name, str(value))
    return {
        "id": uuid.uuid4().hex,
        "to": rcpt,
        "from": envelope.mail_from,
        "subject": str(msg.get("Subject", "")),
        "text": _content(msg.get_body(preferencelist=("plain",))) or "",
        "html": _content(msg.get_body(preferencelist=("html",))),
        "headers": headers,
        "received_at": datetime.now(UTC).isoformat(),
    }


class _Handler:
    def __init__(
        self, store: Callable[[list[Message]], None], refuses: Callable[[str], bool]
    ) -> None:
        self._store = store
        self._refuses = refuses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        # A mailbox in a scoped outage gets a temporary failure (RFC 5321 4.2.2: the sender
        # retries later); every other recipient is served as usual.
        if self._refuses(address):
            return "451 4.3.0 Mailbox temporarily unavailable; try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self._store([_parse(envelope, rcpt) for rcpt in envelope.rcpt_tos])
        return "250 OK"


def _json_errors(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    # Falcon's default serializer follows the Accept header; this API is JSON-only.
    resp.data = exc.to_json()
    resp.content_type = falcon.MEDIA_JSON


class _Messages:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sink.messages(
            to=req.get_param("to"), subject_contains=req.get_param("subject_contains")
        )

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._sink.clear(to=req.get_param("to"))
        resp.status = falcon.HTTP_204


class _Outage:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        # With ?match=<address> only that mailbox is out, so parallel tests never see it.
        match = req.get_param("match")
        if match:
            self._sink.refuse(match)
        else:
            self._sink.outage()
        resp.status = falcon.HTTP_204

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        match = req.get_param("match")
        if match:
            self._sink.accept(match)
        else:
            self._sink.recover()
        resp.status = falcon.HTTP_204

    def on_post_recover(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.on_delete(req, resp)


class _Status:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sink.status()


class MailSink:
    """Captures every SMTP message and serves them as JSON; can fake an SMTP outage."""

    def __init__(self, *, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0) -> None:
        self._host = host
        # Clients cannot dial a wildcard bind address, so advertise loopback instead.
        self._public_host = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host
        self._smtp_port = smtp_port
        self._http_port = http_port
        self._lock = threading.Lock()
        # Separate lock so starting/stopping SMTP never blocks reads of the store.
        self._smtp_lock = threading.Lock()
        self._messages: list[Message] = []
        self._refused: set[str] = set()
        self._controller: Controller | None = None
        self._http: ThreadingWSGIServer | None = None
        self._http_thread: threading.Thread | None = None

    @property
    def smtp_host(self) -> str:
        return self._public_host

    @property
    def smtp_port(self) -> int:
        if not self._smtp_port:
            raise RuntimeError("MailSink not started")
        return self._smtp_port

    @property
    def api_url(self) -> str:
        if not self._http_port:
            raise RuntimeError("MailSink not started")
        return f"http://{self._public_host}:{self._http_port}"

    def env(self) -> dict[str, str]:
        return {
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
            "MAIL_API_URL": self.api_url,
        }

    def start(self) -> None:
        if self._http is not None:
            raise RuntimeError("MailSink already started")
        if not self._smtp_port:
            self._smtp_port = _free_port(self._host)
        self._start_smtp()
        try:
            self._http = make_server(
                self._host,
                self._http_port,
                self._app(),
                server_class=ThreadingWSGIServer,
                handler_class=QuietHandler,
            )
        except BaseException:
            self._stop_smtp()
            raise
        self._http_port = self._http.server_port
        self._http_thread = self._http.serve_in_thread(name="mail-sink-http")

    def stop(self) -> None:
        self._stop_smtp()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http.join_workers(timeout=5)
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join()
            self._http_thread = None

    def outage(self) -> None:
        self._stop_smtp()

    def recover(self) -> None:
        self._start_smtp()

    def refuse(self, address: str) -> None:
        """A scoped outage: RCPT TO this address fails temporarily until `accept`."""
        with self._lock:
            self._refused.add(address.casefold())

    def accept(self, address: str) -> None:
        with self._lock:
            self._refused.discard(address.casefold())

    def refuses(self, address: str) -> bool:
        with self._lock:
            return address.casefold() in self._refused

    def messages(
        self, *, to: str | None = None, subject_contains: str | None = None
    ) -> list[Message]:
        with self._lock:
            found = list(self._messages)
        if to is not None:
            found = [m for m in found if m["to"].casefold() == to.casefold()]
        if subject_contains is not None:
            found = [m for m in found if subject_contains in m["subject"]]
        return found

    def clear(self, *, to: str | None = None) -> None:
        with self._lock:
            if to is None:
                self._messages.clear()
            else:
                self._messages = [m for m in self._messages if m["to"].casefold() != to.casefold()]

    def status(self) -> dict[str, Any]:
        with self._lock:
            count = len(self._messages)
        return {"smtp": "up" if self._controller is not None else "down", "messages": count}

    def _store(self, records: list[Message]) -> None:
        with self._lock:
            self._messages.extend(records)

    def _start_smtp(self) -> None:
        with self._smtp_lock:
            if self._controller is not None:
                return
            # A stopped Controller has closed its event loop, so each start needs a new one.
            controller = Controller(
                _Handler(self._store, self.refuses), hostname=self._host, port=self._smtp_port
            )
            try:
                controller.start()
            except BaseException:
                controller.stop(no_assert=True)
                # A failed bind ends the loop thread before it can close its own loop.
                if not controller.loop.is_closed():
                    controller.loop.close()
                raise
            self._controller = controller

    def _stop_smtp(self) -> None:
        with self._smtp_lock:
            if self._controller is not None:
                self._controller.stop()
                self._controller = None

    def _app(self) -> falcon.App:
        app = falcon.App()
        app.set_error_serializer(_json_errors)
        outage = _Outage(self)
        app.add_route("/messages", _Messages(self))
        app.add_route("/outage", outage)
        app.add_route("/recover", outage, suffix="recover")
        app.add_route("/status", _Status(self))
        return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--http-port", type=int, default=0)
    args = parser.parse_args(argv)

    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    sink = MailSink(host=args.host, smtp_port=args.smtp_port, http_port=args.http_port)
    sink.start()
    try:
        for key, value in sink.env().items():
            print(f"{key}={value}")
        print("READY", flush=True)
        done.wait()
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
