"""JWT access tokens and opaque refresh tokens; revocation lives in PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from api_server.auth import queries
from api_server.auth.principal import Principal, Role
from api_server.common.errors import Unauthenticated
from api_server.config import Config
from api_server.db import Database

ALGORITHM = "HS256"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mining-marketplace"'}


def token_hash(token: str) -> str:
    """Opaque tokens are stored only as digests."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_opaque_token() -> str:
    """A random, URL-safe token for links and refresh."""
    return secrets.token_urlsafe(32)


def unauthorized(detail: str, code: str = "invalid_token") -> Unauthenticated:
    """401 with the Bearer challenge RFC 6750 asks for."""
    headers = {"WWW-Authenticate": f'Bearer realm="mining-marketplace", error="{code}"'}
    return Unauthenticated(code, detail, headers=headers if code != "missing_token" else _CHALLENGE)


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


class TokenService:
    """Issues and checks tokens with the secret, issuer and audience from config."""

    def __init__(
        self, config: Config, db: Database, clock: Callable[[], float] = time.time
    ) -> None:
        self._config = config
        self._db = db
        self._clock = clock

    def issue_access(self, user: dict[str, Any]) -> tuple[str, str]:
        """A signed access token for `user`, and its jti."""
        if len(self._config.jwt_secret) < 32:
            raise RuntimeError("no JWT_SECRET in this process: it cannot sign tokens")
        now = int(self._clock())
        jti = uuid.uuid4().hex
        claims = {
            "sub": str(user["id"]),
            "role": user["role"],
            "iat": now,
            "nbf": now,
            "exp": now + self._config.access_token_ttl,
            "jti": jti,
            "iss": self._config.jwt_issuer,
            "aud": self._config.jwt_audience,
            "ver": user["token_version"],
        }
        return jwt.encode(claims, self._config.jwt_secret, algorithm=ALGORITHM), jti

    def decode(self, token: str) -> dict[str, Any]:
        """Verifies signature, algorithm, issuer, audience and expiry; 401 otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._config.jwt_secret,
                algorithms=[ALGORITHM],
                issuer=self._config.jwt_issuer,
                audience=self._config.jwt_audience,
                options={"require": ["sub", "role", "iat", "exp", "jti", "iss", "aud"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The access token has expired.", "token_expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized("The access token is not valid.") from exc
        # Even a validly signed `sub` that is no user id must be a 401, not a failed SQL cast.
        if not _is_uuid(claims["sub"]):
            raise unauthorized("The access token is not valid.")
        return claims

    def authenticate(self, header: str | None) -> Principal:
        """The caller presenting this Authorization header, checked against revocation and
        the user's current state."""
        header = header or ""
        scheme, _, token = header.partition(" ")
        if not header:
            raise unauthorized("This operation needs a Bearer access token.", "missing_token")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Send the token as `Authorization: Bearer <token>`.")
        claims = self.decode(token.strip())
        with self._db.transaction() as cur:
            cur.execute(queries.TOKEN_STATE, {"jti": claims["jti"], "sub": claims["sub"]})
            state = cur.fetchone()
        if state is None or state["revoked"]:
            raise unauthorized("The access token has been revoked.", "token_revoked")
        if state["status"] != "active":
            raise unauthorized("The account is not active.", "account_inactive")
        if claims.get("ver") != state["token_version"]:
            raise unauthorized("The access token has been revoked.", "token_revoked")
        # The role comes from the database: a demoted user loses rights at once.
        return Principal(claims["sub"], Role(state["role"]), claims["jti"], int(claims["exp"]))
