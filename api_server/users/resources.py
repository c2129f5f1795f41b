"""HTTP resources of /api/users."""

from __future__ import annotations

import falcon

from api_server.common.client import client_ip
from api_server.common.validation import operation
from api_server.config import Config
from api_server.users import schemas
from api_server.users.service import UsersService
from api_server.users.tokens import ANY_ROLE, TokenService

TAGS = ("users",)


class _Resource:
    def __init__(self, service: UsersService, tokens: TokenService, config: Config) -> None:
        self.service = service
        self.tokens = tokens
        self.config = config


class Register(_Resource):
    """POST /api/users/register."""

    @operation(
        "Register a buyer or seller",
        request=schemas.REGISTER,
        responses={201: schemas.USER},
        tags=TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Creates a pending account and sends the verification email."""
        resp.media = self.service.register(req.context.body)
        resp.status = falcon.HTTP_201


class Verify(_Resource):
    """GET (the emailed link) and POST /api/users/verify."""

    @operation(
        "Verify an email address (the emailed link)",
        query=schemas.VERIFY_QUERY,
        responses={200: schemas.USER},
        tags=TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Activates the account named by the link's token."""
        resp.media = self.service.verify(req.context.query["token"])

    @operation(
        "Verify an email address", request=schemas.VERIFY, responses={200: schemas.USER}, tags=TAGS
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Activates the account named by the token."""
        resp.media = self.service.verify(req.context.body["token"])


class ResendVerification(_Resource):
    """POST /api/users/verification/resend."""

    @operation(
        "Send the verification email again",
        request=schemas.RESEND,
        responses={202: schemas.ACCEPTED},
        tags=TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """202 whatever the email, so accounts cannot be discovered."""
        self.service.resend_verification(req.context.body["email"])
        resp.media = {"status": "accepted"}
        resp.status = falcon.HTTP_202


class Login(_Resource):
    """POST /api/users/login."""

    @operation("Log in", request=schemas.LOGIN, responses={200: schemas.TOKENS}, tags=TAGS)
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Access and refresh tokens for valid credentials."""
        body = req.context.body
        ip = client_ip(req, self.config.trusted_proxies)
        resp.media = self.service.login(body["email"], body["password"], ip)
        resp.cache_control = ["no-store"]


class Refresh(_Resource):
    """POST /api/users/token/refresh."""

    @operation(
        "Renew the session", request=schemas.REFRESH, responses={200: schemas.TOKENS}, tags=TAGS
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A new access token and a new refresh token; the old refresh token is spent."""
        resp.media = self.service.refresh(req.context.body["refresh_token"])
        resp.cache_control = ["no-store"]


class Logout(_Resource):
    """POST /api/users/logout."""

    @operation("Log out", responses={204: None}, roles=ANY_ROLE, tags=TAGS)
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Revokes this access token and its refresh tokens."""
        self.service.logout(req.context.principal)
        resp.status = falcon.HTTP_204


class Me(_Resource):
    """GET and PATCH /api/users/me."""

    @operation("Read my profile", responses={200: schemas.USER}, roles=ANY_ROLE, tags=TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The caller's own account."""
        resp.media = self.service.profile(req.context.principal.id)

    @operation(
        "Update my profile",
        request=schemas.PROFILE_UPDATE,
        responses={200: schemas.USER},
        roles=ANY_ROLE,
        tags=TAGS,
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Changes name, phone, country or company; nothing else."""
        resp.media = self.service.update_profile(req.context.principal.id, req.context.body)


class Password(_Resource):
    """POST /api/users/me/password."""

    @operation(
        "Change my password",
        request=schemas.PASSWORD_CHANGE,
        responses={204: None},
        roles=ANY_ROLE,
        tags=TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Sets a new password; every older token stops working."""
        body = req.context.body
        self.service.change_password(
            req.context.principal, body["current_password"], body["new_password"]
        )
        resp.status = falcon.HTTP_204


def add_routes(routes: object, service: UsersService, tokens: TokenService, config: Config) -> None:
    """Mounts /api/users."""
    for path, cls in (
        ("/api/users/register", Register),
        ("/api/users/verify", Verify),
        ("/api/users/verification/resend", ResendVerification),
        ("/api/users/login", Login),
        ("/api/users/token/refresh", Refresh),
        ("/api/users/logout", Logout),
        ("/api/users/me", Me),
        ("/api/users/me/password", Password),
    ):
        routes.add(path, cls(service, tokens, config))  # type: ignore[attr-defined]
