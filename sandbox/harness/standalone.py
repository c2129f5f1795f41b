"""`python -m sandbox.X`: one sandbox on its own; and a webhook receiver for tests."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any
from wsgiref.simple_server import make_server

from sandbox.harness.base import SandboxBase
from sandbox.harness.server import QuietHandler, ThreadingWSGIServer


def run_standalone(
    factory: Callable[..., SandboxBase], argv: Iterable[str] | None, defaults: dict[str, str]
) -> int:
    """``python -m sandbox.X``: start one sandbox, print its env and READY, run until stopped."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-key", default=defaults["secret_key"])
    parser.add_argument("--webhook-secret", default=defaults["webhook_secret"])
    parser.add_argument("--webhook-url", default=None)
    args = parser.parse_args(None if argv is None else list(argv))
    sandbox = factory(
        host=args.host,
        port=args.port,
        secret_key=args.secret_key,
        webhook_secret=args.webhook_secret,
        webhook_url=args.webhook_url,
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sandbox.start()
    try:
        for key, value in sandbox.env().items():
            print(f"{key}={value}")
        print("READY", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


# --------------------------------------------------------------------------- test helper


class WebhookReceiver:
    """A loopback endpoint that records webhook POSTs (for tests and manual checks).

    ``check(headers, body)`` picks the HTTP status to answer with (default 200).
    """

    def __init__(self, check: Callable[[dict[str, str], bytes], int] | None = None) -> None:
        self._check = check or (lambda headers, body: 200)
        self._cond = threading.Condition()
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self._server: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/webhook"

    def start(self) -> None:
        self._server = make_server(
            "127.0.0.1", 0, self._app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
        )
        assert isinstance(self._server, ThreadingWSGIServer)
        self._thread = self._server.serve_in_thread()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.join_workers(timeout=5)
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Waits until predicate(decoded bodies of accepted POSTs) holds; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(bodies := self.accepted()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"webhooks seen so far: {bodies}")
                self._cond.wait(remaining)
            return bodies

    def accepted(self) -> list[dict[str, Any]]:
        with self._cond:
            return [json.loads(body) for _, body, status in self.received if status < 300]

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        status = self._check(headers, body)
        with self._cond:
            self.received.append((headers, body, status))
            self._cond.notify_all()
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok" if status < 300 else b"rejected"]
