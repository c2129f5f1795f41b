"""One middleware enforces what each operation declares about its callers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from api_server.auth.tokens import TokenService
from api_server.common.errors import Problem

OperationOf = Callable[[str | None, str], Any]


class Authentication:
    """Sets `req.context.principal` from the Bearer token, as the routed operation asks.

    `roles=` on an operation: a valid token is required (401) of one of those roles (403).
    `auth="optional"`: a token that is sent must be valid; without one the caller is
    anonymous (`principal` is None). Undeclared responders (health, errors) are public.
    Runs after routing and before the responder, so validation never sees an intruder.
    """

    def __init__(self, tokens: TokenService, operation_of: OperationOf) -> None:
        self._tokens = tokens
        self._operation_of = operation_of

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Authenticates and authorizes before the responder runs."""
        req.context.principal = None
        op = self._operation_of(req.uri_template, req.method) if resource is not None else None
        if op is None or op.auth == "none":
            return
        header = req.get_header("Authorization")
        if op.auth == "optional" and not header:
            return
        principal = self._tokens.authenticate(header)
        if op.roles and principal.role not in op.roles:
            raise Problem(403, "forbidden", "Your role may not perform this operation.")
        req.context.principal = principal
