"""What real clients see of gunicorn's connections: a refused or early-answered body never
breaks the next request on the same keep-alive connection, and no control socket is left in
the user's home."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sandbox.stack.scratch import scratch_dir

ROOT = Path(__file__).resolve().parents[3]
BIG = b"x" * (3 * 1024 * 1024)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("home")
    # Outside pytest's temporary root, which each xdist worker resets to mode 0700.
    pg = Path(tempfile.mkdtemp(prefix="mm-pytest-pg-", dir=scratch_dir()))
    env = {
        **os.environ,
        "HOME": str(home),
        "PGDATA_DIR": str(pg / "data"),
        "API_LOG_DIR": str(home),
    }
    env.pop("DATABASE_URL", None)
    env.pop("API_CONTROL_SOCKET", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    settings = {"HOME": str(home)}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "READY":
            break
        key, _, value = line.strip().partition("=")
        settings[key] = value
    try:
        yield settings
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(pg, ignore_errors=True)


def _connection(stack: dict[str, str]) -> http.client.HTTPConnection:
    url = urlsplit(stack["API_URL"])
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def _then_health(stack: dict[str, str], method: str, path: str, body: bytes, status: int) -> int:
    """Sends `body`, expects `status`, then asks for health on the same connection."""
    conn = _connection(stack)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        first = conn.getresponse()
        first.read()
        assert first.status == status
        conn.request("GET", "/api/health")
        second = conn.getresponse()
        second.read()
        return second.status
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/users/login", BIG, 413),
        ("POST", "/api/payments", b'{"listing_id": "x"}', 401),
        ("PATCH", "/api/health", b'{"a": 1}', 405),
        ("POST", "/api/nowhere", b'{"a": 1}', 404),
    ],
    ids=["413 over the limit", "401 before the body", "405", "404"],
)
def test_the_next_request_on_the_connection_is_served(stack, method, path, body, status):
    # Eight at once, as the load that found the bug sent them.
    with ThreadPoolExecutor(8) as pool:
        nexts = list(pool.map(lambda _: _then_health(stack, method, path, body, status), range(8)))
    assert nexts == [200] * 8


def test_no_control_socket_is_left_in_home(stack):
    assert not (Path(stack["HOME"]) / ".gunicorn").exists()
