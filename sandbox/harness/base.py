"""The sandbox base class: lifecycle, edge middleware (faults, auth), error rendering."""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any, ClassVar
from wsgiref.simple_server import make_server

import falcon

from sandbox.harness import control
from sandbox.harness.common import DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, GatewayError, request_text
from sandbox.harness.rules import Rule, RuleBook
from sandbox.harness.server import QuietHandler, ThreadingWSGIServer, reset_connection
from sandbox.harness.webhooks import CAUSE, WebhookDeliverer


class _EdgeMiddleware:
    """Buffers the body, then applies faults and auth to gateway API calls only."""

    def __init__(self, sandbox: SandboxBase) -> None:
        self._sandbox = sandbox

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.cause = CAUSE.set(req.get_header("traceparent"))
        req.context.raw_body = req.bounded_stream.read()
        if not req.path.startswith(self._sandbox.api_prefix):
            return
        rule = self._sandbox.faults.take(request_text(req))
        if rule is not None and rule.mode == "late":
            # The call is carried out; only its answer is held back (process_response).
            req.context.late_seconds = rule.seconds
        elif rule is not None:
            self._apply_fault(rule, req, resp)
            return
        self._sandbox.authenticate(req)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, succeeded: bool
    ) -> None:
        seconds = req.context.get("late_seconds")
        if seconds:
            # A timed-out client does not undo what the provider already did.
            self._sandbox.stopping.wait(seconds)
        cause = req.context.get("cause")
        if cause is not None:
            CAUSE.reset(cause)

    def _apply_fault(self, rule: Rule, req: falcon.Request, resp: falcon.Response) -> None:
        if rule.mode == "refuse":
            reset_connection(req.env)
        if rule.mode == "hang":
            # Waiting on the stop event lets stop() end a hang at once.
            self._sandbox.stopping.wait(rule.seconds)
        error = self._sandbox.fault_error(rule.status if rule.mode == "status" else 500)
        resp.status = error.status
        resp.media = error.body
        resp.complete = True


class SandboxBase:
    """Lifecycle, control API and plumbing; subclasses add the provider's endpoints."""

    api_prefix: ClassVar[str] = "/"
    name: ClassVar[str] = "sandbox"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: str,
        webhook_secret: str,
        webhook_url: str | None = None,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        webhook_timeout: float = 5.0,
        controls: bool = True,
    ) -> None:
        self.host = host
        # Off for a "live" profile: the suite then sees only what the real gateway offers.
        self.controls = controls
        self.port = port
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self._lock = threading.RLock()
        self.stopping = threading.Event()
        self.faults = RuleBook()
        self.webhooks = WebhookDeliverer(
            self.sign, backoff=backoff, max_attempts=max_attempts, timeout=webhook_timeout
        )
        self.webhooks.set_url(webhook_url)
        self._server: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.init_state()

    # public lifecycle -------------------------------------------------------

    def start(self) -> None:
        """Binds (listening on return) and serves from a background thread."""
        if self._server is not None:
            return
        self.stopping.clear()
        server = make_server(
            self.host,
            self.port,
            self._build_app(),
            server_class=ThreadingWSGIServer,
            handler_class=QuietHandler,
        )
        assert isinstance(server, ThreadingWSGIServer)
        self._server = server
        self.port = server.server_port
        self.webhooks.start()
        self._thread = server.serve_in_thread(name=f"{self.name}-server")

    def stop(self) -> None:
        """Stops serving and delivering, and joins every thread it started."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.server_close()
        server.join_workers(timeout=15)
        self.webhooks.stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_webhook_url(self, url: str) -> None:
        self.webhooks.set_url(url)

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    # provider hooks ---------------------------------------------------------

    def init_state(self) -> None:
        """Creates the provider's object stores; called once by __init__."""

    def sign(self, payload: bytes, mode: str) -> dict[str, str]:
        """Headers that sign (or mis-sign, per mode) one webhook POST."""
        raise NotImplementedError

    def authenticate(self, req: falcon.Request) -> None:
        """Raises GatewayError unless the request carries the secret key."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> GatewayError:
        """A generic error in the provider's body shape."""
        raise NotImplementedError

    def fault_error(self, status: int = 500) -> GatewayError:
        """The provider's error body for an injected fault answering `status`."""
        messages = {
            401: "Invalid API key (sandbox fault).",
            429: "Too many requests (sandbox fault).",
        }
        message = messages.get(status, "An unexpected error occurred (sandbox fault).")
        return self.error(status, message)

    def add_routes(self, app: falcon.App) -> None:
        """The provider's own API (what the real gateway serves)."""
        raise NotImplementedError

    def add_control_routes(self, app: falcon.App) -> None:
        """Provider-specific ``/_sandbox/...`` routes; left out when controls are off."""

    def middleware(self) -> list[Any]:
        return []

    # helpers for subclasses -------------------------------------------------

    def bearer_token(self, req: falcon.Request) -> str | None:
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    # internals --------------------------------------------------------------

    def _build_app(self) -> falcon.App:
        app = falcon.App(middleware=[_EdgeMiddleware(self), *self.middleware()])
        app.req_options.strip_url_path_trailing_slash = True
        app.add_error_handler(Exception, self._on_unexpected)
        app.add_error_handler(ConnectionAbortedError, _reraise)
        app.add_error_handler(falcon.HTTPError, self._on_http_error)
        app.add_error_handler(GatewayError, _on_gateway_error)
        if self.controls:
            control.add_routes(app, self)
            self.add_control_routes(app)
        self.add_routes(app)
        return app

    def _on_http_error(
        self, req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, params: Any
    ) -> None:
        message = ex.description or ex.title or "error"
        if ex.status_code in (404, 405) and not ex.description:
            message = f"Unrecognized request URL ({req.method}: {req.path})."
        if req.path.startswith("/_sandbox/"):
            resp.status, resp.media = ex.status, {"error": message}
        else:
            err = self.error(ex.status_code, message)
            resp.status, resp.media = err.status, err.body
        for name, value in dict(ex.headers or {}).items():
            resp.set_header(name, value)

    def _on_unexpected(
        self, req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any
    ) -> None:
        traceback.print_exception(ex, file=sys.stderr)
        err = self.error(500, f"sandbox bug: {type(ex).__name__}: {ex}")
        resp.status, resp.media = err.status, err.body


def _reraise(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    # Lets a 'refuse' fault escape Falcon so wsgiref drops the connection silently.
    raise ex


def _on_gateway_error(
    req: falcon.Request, resp: falcon.Response, ex: GatewayError, params: Any
) -> None:
    resp.status = ex.status
    resp.media = ex.body
