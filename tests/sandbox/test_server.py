"""The sandboxes' WSGI server stops when asked, without waiting for its next poll."""

import threading
from wsgiref.simple_server import make_server

import requests

from sandbox.harness.server import QuietHandler, ThreadingWSGIServer


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _serving(poll_interval: float) -> tuple[ThreadingWSGIServer, threading.Thread]:
    server = make_server(
        "127.0.0.1", 0, _app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    return server, server.serve_in_thread(poll_interval=poll_interval)


def _stops(server: ThreadingWSGIServer, loop: threading.Thread) -> bool:
    stopper = threading.Thread(target=server.shutdown, daemon=True)
    stopper.start()
    stopper.join(10)
    loop.join(10)
    return not stopper.is_alive() and not loop.is_alive()


def test_shutdown_wakes_a_loop_that_would_sleep_for_an_hour():
    server, loop = _serving(poll_interval=3600)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    assert requests.get(url, timeout=5).text == "ok"
    # Ends long before the hour: nothing here waits for the poll.
    assert _stops(server, loop)
    server.server_close()
    server.join_workers(timeout=5)


def test_shutdown_of_a_closed_server_still_returns():
    server, loop = _serving(poll_interval=0.05)
    server.socket.close()  # pokes are refused; the loop's own poll ends it
    assert _stops(server, loop)
