"""Makes JWTs with chosen claims and algorithms, for the token attack tests."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
from robot.api.deco import keyword, library


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
