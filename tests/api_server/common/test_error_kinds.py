"""The edge's one mapping as tables: each kind of refusal to its HTTP status, and each status
to the code a problem carries when it names none (the status's RFC 9110 reason, snake_case)."""

import pytest

from api_server.common.errors import (
    Busy,
    Conflict,
    Declined,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    Problem,
    Stale,
    Unauthenticated,
    Unavailable,
    UpstreamFailed,
    UpstreamTimeout,
    status_of,
)


class NarrowerConflict(Conflict):
    """A kind a service might add: it answers as the kind it refines."""


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (Malformed, 400),
        (Unauthenticated, 401),
        (Declined, 402),
        (Forbidden, 403),
        (NotFound, 404),
        (Conflict, 409),
        (NarrowerConflict, 409),
        (Stale, 412),
        (Invalid, 422),
        (Busy, 429),
        (UpstreamFailed, 502),
        (Unavailable, 503),
        (UpstreamTimeout, 504),
        (DomainError, 400),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_each_kind_of_refusal_has_its_status(kind, status):
    assert status_of(kind("some_code", "Some detail.")) == status


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "bad_request"),
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not_found"),
        (405, "method_not_allowed"),
        (409, "conflict"),
        (411, "length_required"),
        (412, "precondition_failed"),
        (413, "payload_too_large"),
        (415, "unsupported_media_type"),
        (422, "validation_error"),
        (428, "precondition_required"),
        (429, "too_many_requests"),
        (500, "internal_error"),
        (502, "bad_gateway"),
        (503, "service_unavailable"),
        (504, "gateway_timeout"),
        (418, "error"),
    ],
)
def test_a_problem_without_a_code_is_named_after_its_status(status, code):
    assert Problem(status).code == code
