"""RFC 9457 problem+json for every error the API returns."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import falcon

from api_server.db import DatabaseUnavailable

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("api_server.errors")

_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class Problem(falcon.HTTPError):
    """An error with a stable machine code, a human detail and optional field errors."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status, title=title, description=detail, headers=headers)
        # Falcon's own `code` is an optional number; ours is the stable string every
        # problem carries, so the attribute is deliberately retyped.
        self.code = code or _DEFAULT_CODES.get(status, "error")  # type: ignore[assignment]
        self.errors = errors
        self.extra = extra


class DomainError(Exception):
    """A rule refused the request. Services raise the kinds below, which say nothing of HTTP;
    the one edge handler (`install`) turns each kind into its status and a problem+json."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra


class Malformed(DomainError):
    """The input cannot be read at all (a token that is no token)."""


class Unauthenticated(DomainError):
    """The caller's credentials are wrong."""


class Declined(DomainError):
    """The gateway declined the card."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotFound(DomainError):
    """No such thing, or none the caller may see."""


class Conflict(DomainError):
    """The thing is not in a state that allows this."""


class Stale(DomainError):
    """The caller's copy is out of date (If-Match)."""


class Invalid(DomainError):
    """Well-formed input that breaks a rule; `errors` names the fields."""


def invalid_field(
    field: str, message: str, detail: str = "The request has invalid fields."
) -> Invalid:
    """A 422 validation problem naming one field, like the schema checks give."""
    return Invalid("validation_error", detail, errors=[field_error(field, message)])


class Busy(DomainError):
    """Too many attempts; retry later."""


class Unavailable(DomainError):
    """A dependency is down; retry later."""


class UpstreamFailed(DomainError):
    """A gateway failed or refused us; nothing was charged."""


class UpstreamTimeout(DomainError):
    """A gateway did not answer in time."""


_STATUS: dict[type[DomainError], int] = {
    Malformed: 400,
    Unauthenticated: 401,
    Declined: 402,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Stale: 412,
    Invalid: 422,
    Busy: 429,
    UpstreamFailed: 502,
    Unavailable: 503,
    UpstreamTimeout: 504,
}


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error's kind (the edge's one mapping)."""
    for kind in type(error).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return 400


def as_problem(error: DomainError) -> Problem:
    """The problem+json a domain error becomes at the edge."""
    return Problem(
        status_of(error),
        error.code,
        error.detail,
        errors=error.errors,
        headers=error.headers,
        **error.extra,
    )


def field_error(field: str, message: str) -> dict[str, str]:
    """One entry of a problem's `errors` list."""
    return {"field": field, "message": message}


def problem_body(error: falcon.HTTPError, request_id: str | None) -> dict[str, Any]:
    """The problem document for any Falcon HTTP error, ours or the framework's."""
    status = error.status_code
    code = getattr(error, "code", None) or _DEFAULT_CODES.get(status, "error")
    title = error.title or ""
    # Falcon's default titles are status lines ("404 Not Found"); RFC 9457 wants the phrase.
    title = title.removeprefix(f"{status} ") or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": error.description or error.title,
    }
    errors = getattr(error, "errors", None)
    if errors:
        body["errors"] = errors
    body.update(getattr(error, "extra", None) or {})
    if request_id:
        body["request_id"] = request_id
    return body


def serialize_problem(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """Falcon error serializer: always problem+json, whatever the client accepts."""
    resp.content_type = PROBLEM_JSON
    # Falcon has no media handler for problem+json, so the body is encoded here.
    resp.text = json.dumps(problem_body(error, getattr(req.context, "request_id", None)))


def _handle_database_unavailable(
    req: falcon.Request, resp: falcon.Response, ex: DatabaseUnavailable, params: dict
) -> None:
    _log.warning("database unavailable: %s", ex)
    raise Problem(
        503,
        "database_unavailable",
        "The database is not reachable; retry later.",
        headers={"Retry-After": "5"},
    )


def _handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict
) -> None:
    if isinstance(ex, falcon.HTTPError):
        raise ex
    # The traceback goes to the server log under the request id, never to the client.
    _log.exception("unhandled error (request %s)", getattr(req.context, "request_id", "-"))
    raise Problem(500, "internal_error", "An unexpected error occurred. Quote the request_id.")


def _handle_domain(
    req: falcon.Request, resp: falcon.Response, ex: DomainError, params: dict
) -> None:
    raise as_problem(ex)


def _handle_media_error(
    req: falcon.Request, resp: falcon.Response, ex: falcon.MediaMalformedError, params: dict
) -> None:
    raise Problem(400, "malformed_json", "The request body is not valid JSON.")


def _handle_media_missing(
    req: falcon.Request, resp: falcon.Response, ex: falcon.MediaNotFoundError, params: dict
) -> None:
    raise Problem(400, "missing_body", "The request needs a JSON body.")


def _handle_not_found(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPNotFound, params: dict
) -> None:
    if isinstance(ex, Problem):
        raise ex
    raise Problem(404, "not_found", f"No resource at {req.path}.")


def _handle_method(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPMethodNotAllowed, params: dict
) -> None:
    raise Problem(
        405,
        "method_not_allowed",
        f"{req.method} is not allowed on {req.path}.",
        headers=dict(ex.headers or {}),
    )


def _handle_media_type(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPUnsupportedMediaType, params: dict
) -> None:
    if isinstance(ex, Problem):
        raise ex
    raise Problem(
        415,
        "unsupported_media_type",
        f"Content type {req.content_type or '(none)'} is not supported here.",
    )


def install(app: falcon.App) -> None:
    """Registers the handlers; later registrations take precedence for subclasses."""
    app.set_error_serializer(serialize_problem)
    app.add_error_handler(Exception, _handle_unexpected)
    app.add_error_handler(DatabaseUnavailable, _handle_database_unavailable)
    app.add_error_handler(DomainError, _handle_domain)
    app.add_error_handler(falcon.MediaMalformedError, _handle_media_error)
    app.add_error_handler(falcon.MediaNotFoundError, _handle_media_missing)
    app.add_error_handler(falcon.HTTPNotFound, _handle_not_found)
    app.add_error_handler(falcon.HTTPMethodNotAllowed, _handle_method)
    app.add_error_handler(falcon.HTTPUnsupportedMediaType, _handle_media_type)
