"""gunicorn settings; each value can be overridden from the environment."""

import json
import os
import socket

import gunicorn.util

from api_server.db.commit_clock import shared_file

bind = os.environ.get("API_BIND", "127.0.0.1:8000")
# Sized to the machine: one worker per core and one more, three threads each. A worker's
# threads share one GIL, so a thread that waits on PostgreSQL lets another run, but more
# threads only queue for the GIL; measured on 2 cores (docs/performance.md), 3 x 3 served
# the detail read at 0.50 of /api/health where 2 x 4 served it at 0.43.
workers = int(os.environ.get("API_WORKERS") or (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("API_THREADS") or 3)
worker_class = "gthread"
timeout = 30
# An idle keep-alive connection is kept this long. gunicorn's default (2 s) is shorter than a
# browsing client's pause, so clients sent their next request just as it closed the
# connection (Locust saw RemoteDisconnected); gthread parks idle connections in its poller,
# so they hold no thread while they wait.
keepalive = int(os.environ.get("API_KEEPALIVE", "30"))
graceful_timeout = 5
# No preload: each worker imports the app itself, so its connection pool opens after fork.
preload_app = False
# gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl: one file shared by every
# stack on the machine and left behind after a run. The API needs no control interface, so it
# is off unless API_CONTROL_SOCKET names a path (in the run's own folder).
control_socket = os.environ.get("API_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("API_CONTROL_SOCKET")
# A commit through any worker is seen by every other's generation watch at once through one
# shared clock (api_server/db/commit_clock.py); the master opens its file before it forks the
# workers, which find the descriptor in their environment.
_commit_clock = shared_file()
os.environ["API_COMMIT_CLOCK_FD"] = str(_commit_clock.fileno())
accesslog = os.environ.get("API_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("API_LOG_LEVEL", "info")
# One JSON object per request; the request id joins it to problem bodies.
access_log_format = (
    '{"time": "%(t)s", "request_id": "%({x-request-id}o)s", "method": "%(m)s", '
    '"path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s}'
)


def _problem_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals (414 URI Too Long, 431, 400 on a malformed request line) as
    problem+json like every other error: clients parse one format, whatever layer refused.

    gunicorn answers these before the app runs, through `gunicorn.util.write_error`, with an
    HTML page; the workers fork from this process, so replacing it here covers them all. The
    detail never echoes the request (gunicorn's message quotes it).
    """
    code = "_".join(reason.lower().split()) or "bad_request"
    body = json.dumps(
        {
            "type": f"/problems/{code}",
            "title": reason,
            "status": status_int,
            "code": code,
            "detail": f"The server refused the request before reading it: {reason}.",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin1") + body)


gunicorn.util.write_error = _problem_error
