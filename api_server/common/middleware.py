"""Request id and body size limit, applied to every request."""

from __future__ import annotations

import re
import uuid
from typing import Any

import falcon

from api_server.common.errors import Problem

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}\Z")


class RequestId:
    """Echoes a well-formed X-Request-ID or makes one, so logs and problems can be joined."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Picks the request id before routing, so even a 404 carries it."""
        given = req.get_header("X-Request-ID")
        req.context.request_id = (
            given if given and _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Returns the id to the client on every response."""
        resp.set_header("X-Request-ID", req.context.request_id)


class _LimitedStream:
    """Reads at most `limit` bytes; chunked bodies have no Content-Length to check up front."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        want = self._limit + 1 - self._read if size is None or size < 0 else size
        data = self._stream.read(min(want, self._limit + 1 - self._read))
        self._read += len(data)
        if self._read > self._limit:
            raise Problem(413, "payload_too_large", f"The body is over {self._limit} bytes.")
        return data


# How much of an unread request body is read and thrown away after the answer. gunicorn
# keeps a connection open after any response (it ignores an app's `Connection: close`), so
# a body left unread would be parsed as the client's next request and break it.
DRAIN_LIMIT = 16 * 1024 * 1024


class BodyLimit:
    """Refuses bodies over the configured size with 413 before anything parses them, and
    leaves the connection clean for its next request, whatever was answered."""

    def __init__(self, max_body: int, max_upload: int) -> None:
        self._max_body = max_body
        self._max_upload = max_upload

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Discards the unread rest of the body (bounded), after a 413 or any early answer."""
        stream = req.stream._stream if isinstance(req.stream, _LimitedStream) else None
        try:
            if stream is not None:
                # Chunked: the server's reader knows where the body ends.
                left = DRAIN_LIMIT
                while left > 0 and (chunk := stream.read(min(left, 65536))):
                    left -= len(chunk)
            elif req.content_length and req.content_length <= DRAIN_LIMIT:
                req.bounded_stream.exhaust()
        except (OSError, ValueError):
            # The client went away mid-body: there is no next request to protect.
            pass

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Checks Content-Length and caps the stream for bodies without one."""
        is_upload = (req.content_type or "").startswith("multipart/form-data")
        # The upload limit is per file; the envelope of a multipart body adds a little.
        limit = self._max_upload + 64 * 1024 if is_upload else self._max_body
        length = req.content_length
        if length is not None and length > limit:
            raise Problem(413, "payload_too_large", f"The body is over {limit} bytes.")
        if length is None and req.method in ("POST", "PUT", "PATCH"):
            req.stream = _LimitedStream(req.stream, limit)
