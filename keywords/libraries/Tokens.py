"""Makes JWTs with chosen claims and algorithms, for the token attack tests."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@library(scope="GLOBAL", auto_keywords=False)
class Tokens:
    """JWT helpers: mint with any claims, tamper with a payload, read claims."""

    @keyword
    def mint_access_token(
        self,
        secret: str,
        sub: str,
        role: str,
        algorithm: str = "HS256",
        issuer: str = "mining-marketplace",
        audience: str = "mining-marketplace-api",
        **overrides: Any,
    ) -> str:
        """A token like the API's; `overrides` replace claims (value None removes one)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "role": role,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "iss": issuer,
            "aud": audience,
            "ver": 1,
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = int(value) if name in {"iat", "nbf", "exp", "ver"} else value
        if algorithm.lower() == "none":
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        return jwt.encode(claims, secret, algorithm=algorithm)

    @keyword
    def token_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token, without checking it."""
        return json.loads(_unb64(token.split(".")[1]))

    @keyword
    def tamper_token_payload(self, token: str, **changes: Any) -> str:
        """The same header and signature around a payload with `changes` applied."""
        header, payload, signature = token.split(".")
        claims = json.loads(_unb64(payload))
        claims.update(changes)
        return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"

    def mint_token_for(
        self, actor: Mapping[str, Any], secret: str, algorithm: str = "HS256", **claims: Any
    ) -> str:
        """A token for `actor` signed with `secret`, claims overridden (as `Mint Token For`)."""
        return self.mint_access_token(
            secret, actor["id"], actor["role"], algorithm=algorithm, **claims
        )

    @keyword
    def forge_token(self, actor: Mapping[str, Any], kind: str) -> str:
        """A token for `actor` broken in the way `kind` says (an unknown kind fails)."""
        forge = FORGERIES.get(kind)
        if forge is None:
            allowed = ", ".join(repr(name) for name in FORGERIES)
            raise ValueError(f"Unknown token kind {kind!r}; Forge Token knows {allowed}")
        secret = BuiltIn().get_variable_value("${JWT_SECRET}", "")
        return forge(self, actor, secret)


def _expired(tokens: Tokens, actor: Mapping[str, Any], secret: str) -> str:
    past = int(time.time()) - 3600
    return tokens.mint_token_for(actor, secret, exp=past, iat=past - 60)


# Every way `Forge Token` breaks a token: kind -> (the Tokens library, actor, API secret) -> token.
FORGERIES: dict[str, Callable[[Tokens, Mapping[str, Any], str], str]] = {
    "expired": _expired,
    "tampered payload": lambda t, actor, _: t.tamper_token_payload(
        actor["access_token"], role="admin"
    ),
    "wrong signature": lambda t, actor, _: t.mint_token_for(
        actor, f"not-the-secret-{uuid.uuid4().hex}"
    ),
    "alg none": lambda t, actor, secret: t.mint_token_for(actor, secret, algorithm="none"),
    "wrong audience": lambda t, actor, secret: t.mint_token_for(actor, secret, aud="another-api"),
    "wrong issuer": lambda t, actor, secret: t.mint_token_for(actor, secret, iss="someone-else"),
    "missing claim": lambda t, actor, secret: t.mint_token_for(actor, secret, jti=None),
    "garbage": lambda *_: "not.a.jwt",
}
