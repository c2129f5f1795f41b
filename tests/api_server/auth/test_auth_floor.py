"""The auth floor on its own: the middleware enforces what an operation declares, and the
edge maps every domain error kind to one status. A fake token service is passed in."""

from __future__ import annotations

import falcon
import falcon.testing
import pytest

from api_server.auth.middleware import Authentication
from api_server.auth.principal import Principal, Role
from api_server.auth.tokens import unauthorized
from api_server.common import errors
from api_server.common.errors import DomainError, status_of
from api_server.common.routes import Routes
from api_server.common.validation import operation


class FakeTokens:
    """Knows two tokens; anything else is refused the way the real service refuses it."""

    def authenticate(self, header: str | None) -> Principal:
        if not header:
            raise unauthorized("needs a token", "missing_token")
        role = {"Bearer buyer-token": Role.BUYER, "Bearer admin-token": Role.ADMIN}.get(header)
        if role is None:
            raise unauthorized("not valid")
        return Principal(f"{role}-id", role, "jti", 0)


class Probe:
    @operation("public", responses={200: None})
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"principal": _who(req)}

    @operation("optional", responses={200: None}, auth="optional")
    def on_get_optional(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"principal": _who(req)}

    @operation("admins", responses={200: None}, roles=(Role.ADMIN,))
    def on_get_admin(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"principal": _who(req)}


def _who(req: falcon.Request) -> str | None:
    principal = req.context.principal
    return principal.role.value if principal else None


@pytest.fixture
def client() -> falcon.testing.TestClient:
    app = falcon.App()
    routes = Routes(app)
    app.add_middleware(Authentication(FakeTokens(), routes.operation))
    errors.install(app)
    probe = Probe()
    routes.add("/public", probe)
    routes.add("/optional", probe, suffix="optional")
    routes.add("/admin", probe, suffix="admin")
    return falcon.testing.TestClient(app)


@pytest.mark.parametrize(
    ("path", "token", "status", "who_or_code"),
    [
        ("/public", None, 200, None),
        ("/public", "Bearer garbage", 200, None),
        ("/optional", None, 200, None),
        ("/optional", "Bearer buyer-token", 200, "buyer"),
        ("/optional", "Bearer garbage", 401, "invalid_token"),
        ("/admin", None, 401, "missing_token"),
        ("/admin", "Bearer garbage", 401, "invalid_token"),
        ("/admin", "Bearer buyer-token", 403, "forbidden"),
        ("/admin", "Bearer admin-token", 200, "admin"),
    ],
    ids=lambda v: str(v),
)
def test_the_middleware_enforces_the_declaration(client, path, token, status, who_or_code):
    headers = {"Authorization": token} if token else {}
    result = client.simulate_get(path, headers=headers)
    assert result.status_code == status
    if status == 200:
        assert result.json["principal"] == who_or_code
    else:
        assert result.json["code"] == who_or_code
        assert result.headers["Content-Type"] == "application/problem+json"


def test_a_refused_token_carries_the_bearer_challenge(client):
    result = client.simulate_get("/admin", headers={"Authorization": "Bearer garbage"})
    assert result.headers["WWW-Authenticate"] == (
        'Bearer realm="mining-marketplace", error="invalid_token"'
    )


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (errors.Malformed, 400),
        (errors.Unauthenticated, 401),
        (errors.Declined, 402),
        (errors.Forbidden, 403),
        (errors.NotFound, 404),
        (errors.Conflict, 409),
        (errors.Stale, 412),
        (errors.Invalid, 422),
        (errors.Busy, 429),
        (errors.UpstreamFailed, 502),
        (errors.Unavailable, 503),
        (errors.UpstreamTimeout, 504),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_each_domain_error_kind_has_one_status(kind, status):
    assert status_of(kind("some_code", "Some detail.")) == status


def test_the_edge_turns_a_domain_error_into_problem_json():
    class Refusing:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            raise errors.Conflict(
                "listing_archived", "Gone to the archive.", errors=[], current_status="archived"
            )

    app = falcon.App()
    errors.install(app)
    app.add_route("/x", Refusing())
    result = falcon.testing.TestClient(app).simulate_get("/x", headers={"X-Request-ID": "r-1"})
    assert result.status_code == 409
    assert result.json == {
        "type": "/problems/listing_archived",
        "title": "Conflict",
        "status": 409,
        "code": "listing_archived",
        "detail": "Gone to the archive.",
        "current_status": "archived",
    }


def test_an_unknown_domain_error_kind_is_a_client_error():
    assert status_of(DomainError("odd", "An unclassified refusal.")) == 400
