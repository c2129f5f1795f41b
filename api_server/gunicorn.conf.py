"""gunicorn settings; each value can be overridden from the environment."""

import os

bind = os.environ.get("API_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("API_WORKERS", "2"))
threads = int(os.environ.get("API_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 5
# No preload: each worker imports the app itself, so its connection pool opens after fork.
preload_app = False
# gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl: one file shared by every
# stack on the machine and left behind after a run. The API needs no control interface, so it
# is off unless API_CONTROL_SOCKET names a path (in the run's own folder).
control_socket = os.environ.get("API_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("API_CONTROL_SOCKET")
accesslog = os.environ.get("API_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("API_LOG_LEVEL", "info")
# One JSON object per request; the request id joins it to problem bodies.
access_log_format = (
    '{"time": "%(t)s", "request_id": "%({x-request-id}o)s", "method": "%(m)s", '
    '"path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s}'
)
