"""`Forge Token` (keywords/libraries/Tokens.py): every kind breaks the token its own way, and a
kind it does not know fails naming the kinds it does, instead of forging something else."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import jwt
import pytest

from keywords.libraries.Tokens import FORGERIES, Tokens

SECRET = "the-api-secret-for-this-test-only"
AUDIENCE = "mining-marketplace-api"


@pytest.fixture
def forge() -> Any:
    tokens = Tokens()
    actor = {"id": "user-1", "role": "buyer"}
    actor["access_token"] = tokens.mint_access_token(SECRET, actor["id"], actor["role"])
    with mock.patch("keywords.libraries.Tokens.BuiltIn") as builtin:
        builtin.return_value.get_variable_value.return_value = SECRET
        yield lambda kind: tokens.forge_token(actor, kind)


def claims(token: str, **options: Any) -> dict[str, Any]:
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE, **options)


def test_an_unknown_kind_fails_naming_every_kind(forge: Any) -> None:
    with pytest.raises(ValueError, match="Unknown token kind 'not a jwt'") as failure:
        forge("not a jwt")
    for kind in FORGERIES:
        assert repr(kind) in str(failure.value)


def test_garbage_is_not_a_jwt(forge: Any) -> None:
    assert forge("garbage") == "not.a.jwt"


def test_each_kind_breaks_what_it_names(forge: Any) -> None:
    with pytest.raises(jwt.ExpiredSignatureError):
        claims(forge("expired"))
    assert claims(forge("expired"), options={"verify_exp": False})["exp"] < time.time()
    with pytest.raises(jwt.InvalidSignatureError):
        claims(forge("tampered payload"))
    assert Tokens().token_claims(forge("tampered payload"))["role"] == "admin"
    with pytest.raises(jwt.InvalidSignatureError):
        claims(forge("wrong signature"))
    assert jwt.get_unverified_header(forge("alg none"))["alg"] == "none"
    with pytest.raises(jwt.InvalidAudienceError):
        claims(forge("wrong audience"))
    assert claims(forge("wrong issuer"))["iss"] == "someone-else"
    assert "jti" not in claims(forge("missing claim"))
