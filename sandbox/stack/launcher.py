"""Starts what a run needs and is missing, prints its settings, and stops all of it."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

import requests

from sandbox.stack.postgres import EmbeddedPostgres
from sandbox.stack.processes import spawn, stop

ROOT = Path(__file__).resolve().parents[2]
# Test-friendly settings a run can still override from its environment: a short login
# window so the suite can watch a limit lift, and loopback as the trusted proxy so tests
# can act as distinct client addresses through X-Forwarded-For.
TEST_STACK_DEFAULTS = {
    "LOGIN_MAX_FAILURES": "5",
    "LOGIN_WINDOW_SECONDS": "10",
    "LOGIN_MAX_FAILURES_PER_IP": "10",
    "TRUSTED_PROXIES": "127.0.0.1",
    # argon2-cffi's cheapest profile: the suite registers and logs in hundreds of users, and
    # at the production profile (64 MiB, 3 passes) hashing was most of the API's CPU. The
    # production default is tested in tests/api_server/users/test_passwords.py; benchmarks keep it.
    "PASSWORD_HASH_PROFILE": "cheapest",
    # Short gateway timeouts so the suite's hang faults finish quickly.
    "STRIPE_TIMEOUT": "2",
    "FLUTTERWAVE_TIMEOUT": "2",
}


class Service(Protocol):
    """What the launcher needs of an in-process sandbox."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def env(self) -> dict[str, str]: ...


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Stack:
    """The whole local stack; use as a context manager so every part is stopped."""

    def __init__(
        self, env: dict[str, str] | None = None, workers: int | None = None, controls: bool = True
    ) -> None:
        self._base_env = dict(os.environ if env is None else env)
        self._workers = workers
        self._controls = controls
        self._exit = ExitStack()
        self.settings: dict[str, str] = {"SANDBOX_CONTROLS": "on" if controls else "off"}

    def __enter__(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def close(self) -> None:
        """Stops everything started, in reverse order."""
        self._exit.close()

    def _start(self) -> None:
        database_url = self._base_env.get("DATABASE_URL") or self._start_postgres()
        self.settings["DATABASE_URL"] = database_url
        from api_server.db.migrate import migrate

        migrate(database_url)
        self.settings["JWT_SECRET"] = self._base_env.get("JWT_SECRET") or secrets.token_urlsafe(48)
        self._services = self._sandboxes()
        for service in self._services:
            service.start()
            self._exit.callback(service.stop)
            self.settings.update(service.env())
        self._start_api()
        # The API exists only now, so the gateways learn where to send webhooks last.
        for service in self._services:
            hook = getattr(service, "set_webhook_url", None)
            if hook is not None:
                name = type(service).__name__.removesuffix("Sandbox").lower()
                hook(f"{self.settings['API_URL']}/api/payments/webhooks/{name}")

    def _start_postgres(self) -> str:
        data_dir = Path(self._base_env.get("PGDATA_DIR") or ROOT / ".pgdata" / "data")
        server = EmbeddedPostgres(data_dir)
        self._exit.callback(server.stop)
        return server.start()

    def _sandboxes(self) -> list[Service]:
        """The loopback stand-ins for mail and the payment gateways."""
        from sandbox.flutterwave import FlutterwaveSandbox
        from sandbox.mail import MailSink
        from sandbox.stripe import StripeSandbox

        return [
            MailSink(),
            StripeSandbox(
                secret_key=f"sk_test_{secrets.token_hex(12)}",
                webhook_secret=f"whsec_{secrets.token_hex(16)}",
                controls=self._controls,
            ),
            FlutterwaveSandbox(
                secret_key=f"FLWSECK_TEST-{secrets.token_hex(16)}-X",
                webhook_secret=secrets.token_hex(16),
                controls=self._controls,
            ),
        ]

    def _start_api(self) -> None:
        port = int(self._base_env.get("API_PORT") or free_port())
        api_url = f"http://127.0.0.1:{port}"
        env = {
            **TEST_STACK_DEFAULTS,
            **self._base_env,
            **self.settings,
            "API_BIND": f"127.0.0.1:{port}",
            "PUBLIC_URL": api_url,
        }
        # Without a number here or in API_WORKERS, gunicorn.conf.py sizes them to the machine.
        if self._workers is not None:
            env["API_WORKERS"] = str(self._workers)
        for key in TEST_STACK_DEFAULTS:
            self.settings[key] = env[key]
        log_dir = Path(self._base_env.get("API_LOG_DIR") or ROOT / "results")
        log_dir.mkdir(parents=True, exist_ok=True)
        # gunicorn's JSON access log (one line per request, with its request id): to the file
        # API_ACCESS_LOG names, so a run can list the 5xx it answered (tooling/report/run_suite.py
        # names one in its own output folder, tooling/report/server_errors.py reads it), else into
        # api_server.log with the rest ("-"). A file of its own by default would be shared by
        # every stack writing to results/ at once (make test runs the suite, the fuzzer and
        # the live profile side by side). Its path is a setting, for the suite to read.
        access_log = self._base_env.get("API_ACCESS_LOG") or "-"
        if access_log != "-" and not access_log.startswith("/dev/"):
            access_log = str(Path(access_log).resolve())
            Path(access_log).parent.mkdir(parents=True, exist_ok=True)
        env["API_ACCESS_LOG"] = self.settings["API_ACCESS_LOG"] = access_log
        log = (log_dir / "api_server.log").open("ab")
        self._exit.callback(log.close)
        proc = spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "api_server" / "gunicorn.conf.py"),
                "api_server.wsgi:app",
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
        self._exit.callback(stop, proc)
        self._wait_ready(api_url, proc)
        self.settings["API_URL"] = api_url

    @staticmethod
    def _wait_ready(api_url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn exited; see results/api_server.log")
            try:
                if requests.get(f"{api_url}/api/health/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API at {api_url} was not ready within {timeout:.0f} s")
