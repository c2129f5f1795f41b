"""Photo uploads: the image type is read from the bytes, never from what the client declares."""

from __future__ import annotations

from typing import Any

import falcon
from falcon.media.multipart import MultipartParseError

from api_server.common.errors import Problem, invalid_field

FIELD = "photo"
_READ_CHUNK = 64 * 1024


def sniff_image_type(data: bytes) -> str | None:
    """The media type of a JPEG, PNG or WebP image, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _read_at_most(stream: object, limit: int) -> bytes:
    """Up to limit + 1 bytes, so an oversized part is noticed without reading all of it."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))  # type: ignore[attr-defined]
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _Counted:
    """A reader over the request's bounded stream. Falcon's multipart parser reads a
    BoundedStream's raw input directly, so the stream never learnt what was read and the
    middleware's drain of "the rest" then waited on a socket already read to the end (ten
    seconds on a server whose input is not bounded at Content-Length, as PEP 3333 allows)."""

    def __init__(self, stream: Any) -> None:
        self.read = stream.read


def _form(req: falcon.Request) -> Any:
    """The multipart form, parsed as Falcon's handler parses it, through the bounded stream."""
    handler = req.options.media_handlers[falcon.MEDIA_MULTIPART]
    return handler.deserialize(_Counted(req.bounded_stream), req.content_type, req.content_length)


def read_photo(req: falcon.Request, max_bytes: int) -> tuple[bytes, str]:
    """The one `photo` part of a multipart body and its sniffed type; 4xx problems otherwise."""
    if not (req.content_type or "").startswith("multipart/form-data"):
        raise Problem(415, "unsupported_media_type", "Send the photo as multipart/form-data.")
    data: bytes | None = None
    try:
        for part in _form(req):
            if part.name != FIELD:
                raise invalid_field(part.name or "?", "is not an allowed field")
            if data is not None:
                raise invalid_field(FIELD, "must be given once", "Send one photo per request.")
            data = _read_at_most(part.stream, max_bytes)
            if len(data) > max_bytes:
                raise Problem(
                    413, "payload_too_large", f"A photo may be at most {max_bytes} bytes."
                )
    except MultipartParseError as exc:
        raise Problem(400, "malformed_multipart", "The multipart body cannot be parsed.") from exc
    except UnicodeDecodeError as exc:
        # Falcon decodes a part's headers (its name and filename) as UTF-8 (RFC 7578, 5.1).
        raise Problem(
            400, "malformed_multipart", "A part's headers (its name or filename) are not UTF-8."
        ) from exc
    if data is None:
        raise invalid_field(FIELD, "is required", "The form has no photo.")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise Problem(415, "unsupported_media_type", "The photo must be a JPEG, PNG or WebP image.")
    return data, content_type
