"""The threaded loopback WSGI server the sandboxes (and test receivers) run on."""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import struct
import threading
import time
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

# How often serve_forever wakes up on its own to look for a shutdown request. shutdown() does
# not wait for it (it wakes the loop with a connection), so it can be long: at 100 wakeups a
# second an idle stack's sandboxes took 1.2% of a core, for the whole of a run.
POLL_SECONDS = 0.5


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """Threaded wsgiref server whose daemon request threads stop() can still join."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._workers: list[threading.Thread] = []
        self._workers_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        # ThreadingMixIn forgets daemon threads; we keep them so stop() leaves none behind.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._workers_lock:
            self._workers = [t for t in self._workers if t.is_alive()]
            self._workers.append(thread)
        thread.start()

    def serve_in_thread(
        self, name: str | None = None, poll_interval: float = POLL_SECONDS
    ) -> threading.Thread:
        """Starts serve_forever in a daemon thread and returns it."""
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name=name,
            daemon=True,
        )
        thread.start()
        return thread

    def shutdown(self) -> None:
        """Stops serve_forever now: pokes the listening socket until the loop, woken by the
        connection, sees the request, instead of waiting for its next poll."""
        stopper = threading.Thread(target=socketserver.BaseServer.shutdown, args=(self,))
        stopper.start()
        while stopper.is_alive():
            # A closed socket refuses the poke: the loop's own poll ends it then.
            with contextlib.suppress(OSError):
                host, port = self.server_address[:2]
                socket.create_connection((str(host), int(port)), timeout=0.2).close()
            stopper.join(0.01)

    def join_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._workers_lock:
            workers = list(self._workers)
        for thread in workers:
            thread.join(max(0.0, deadline - time.monotonic()))


class QuietHandler(WSGIRequestHandler):
    """No access log; exposes the socket so a 'refuse' fault can reset it."""

    # Bounds how long a silent client can hold a worker thread (and so stop()).
    timeout = 10

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["sandbox.socket"] = self.connection
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        pass


def reset_connection(environ: dict[str, Any]) -> None:
    """Closes the client's TCP connection with an RST instead of a response."""
    sock: socket.socket = environ["sandbox.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # detach() marks the object closed so wsgiref's later shutdown/close cannot touch a
    # reused descriptor; os.close then drops the connection at once, before any FIN.
    os.close(sock.detach())
    # wsgiref's ServerHandler treats this as "client went away" and writes nothing.
    raise ConnectionAbortedError("sandbox fault: refuse")
