"""HTTP resources of /api/users."""

from __future__ import annotations

from uuid import UUID

import falcon

from api_server.auth.principal import ANY_ROLE, Role
from api_server.common.client import client_ip
from api_server.common.routes import Resource, Routes
from api_server.common.validation import operation
from api_server.config import Config
from api_server.users import schemas
from api_server.users.accounts import AccountsService
from api_server.users.service import UsersService


class _Resource(Resource[UsersService]):
    """A /api/users resource: the service, and the trusted proxies that name the client."""

    def __init__(self, service: UsersService, config: Config) -> None:
        super().__init__(service)
        self.config = config


class Register(_Resource):
    """POST /api/users/register."""

    @operation(
        "Register a buyer or seller",
        request=schemas.REGISTER,
        responses={201: schemas.USER},
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
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Activates the account named by the link's token."""
        resp.media = self.service.verify(req.context.query["token"])

    @operation("Verify an email address", request=schemas.VERIFY, responses={200: schemas.USER})
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Activates the account named by the token."""
        resp.media = self.service.verify(req.context.body["token"])


class ResendVerification(_Resource):
    """POST /api/users/verification/resend."""

    @operation(
        "Send the verification email again",
        request=schemas.RESEND,
        responses={202: schemas.ACCEPTED},
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """202 whatever the email, so accounts cannot be discovered."""
        self.service.resend_verification(req.context.body["email"])
        resp.media = {"status": "accepted"}
        resp.status = falcon.HTTP_202


class Login(_Resource):
    """POST /api/users/login."""

    @operation("Log in", request=schemas.LOGIN, responses={200: schemas.TOKENS})
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Access and refresh tokens for valid credentials."""
        body = req.context.body
        ip = client_ip(req, self.config.trusted_proxies)
        resp.media = self.service.login(body["email"], body["password"], ip)
        resp.cache_control = ["no-store"]


class Refresh(_Resource):
    """POST /api/users/token/refresh."""

    @operation("Renew the session", request=schemas.REFRESH, responses={200: schemas.TOKENS})
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A new access token and a new refresh token; the old refresh token is spent."""
        resp.media = self.service.refresh(req.context.body["refresh_token"])
        resp.cache_control = ["no-store"]


class Logout(_Resource):
    """POST /api/users/logout."""

    @operation("Log out", responses={204: None}, roles=ANY_ROLE)
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Revokes this access token and its refresh tokens."""
        self.service.logout(req.context.principal)
        resp.status = falcon.HTTP_204


class Me(_Resource):
    """GET and PATCH /api/users/me."""

    @operation("Read my profile", responses={200: schemas.USER}, roles=ANY_ROLE)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The caller's own account."""
        resp.media = self.service.profile(req.context.principal.id)

    @operation(
        "Update my profile",
        request=schemas.PROFILE_UPDATE,
        responses={200: schemas.USER},
        roles=ANY_ROLE,
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
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Sets a new password; every older token stops working."""
        body = req.context.body
        self.service.change_password(
            req.context.principal, body["current_password"], body["new_password"]
        )
        resp.status = falcon.HTTP_204


class Accounts(Resource[AccountsService]):
    """GET /api/admin/users."""

    @operation(
        "List accounts",
        query=schemas.ACCOUNTS_QUERY,
        responses={200: schemas.ACCOUNT_PAGE},
        roles=(Role.ADMIN,),
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """By role, status and `q` (in the email or the name, any case); newest first."""
        resp.media = self.service.list(req.context.query)


class Account(Resource[AccountsService]):
    """PATCH /api/admin/users/{user_id}."""

    @operation(
        "Change an account's role or status",
        request=schemas.ACCOUNT_UPDATE,
        responses={200: schemas.USER},
        roles=(Role.ADMIN,),
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response, user_id: UUID) -> None:
        """Disabling revokes the account's tokens; the last active admin stays."""
        resp.media = self.service.update(
            str(user_id), req.context.body, req.context.principal, req.context.request_id
        )


def add_routes(
    routes: Routes, service: UsersService, accounts: AccountsService, config: Config
) -> None:
    """Mounts /api/users, and the administration of accounts under /api/admin/users."""
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
        routes.add(path, cls(service, config))
    routes.add("/api/admin/users", Accounts(accounts))
    # The uuid converter makes a malformed id a 404 before any SQL runs.
    routes.add("/api/admin/users/{user_id:uuid}", Account(accounts))
