"""The matrix's caller policy (keywords/libraries/AuthorizationMatrix.py): whose token a row
sends, a fresh login when the call spends it, and the first caller allowed to call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from keywords.libraries.AuthorizationMatrix import ACTORS, AuthorizationMatrix

POLICIES = {
    "public": dict.fromkeys(ACTORS, "allow"),
    "members": {**dict.fromkeys(ACTORS, "allow"), "anonymous": "401"},
    "admins": {**dict.fromkeys(ACTORS, "403"), "anonymous": "401", "admin": "allow"},
    "nobody": {**dict.fromkeys(ACTORS, "403"), "anonymous": "401"},
}
OPERATIONS = {
    "GET /public": {"policy": "public"},
    "GET /mine": {"policy": "members", "overrides": {"owner": "hidden"}},
    "GET /console": {"policy": "admins"},
    "POST /logout": {"policy": "members", "fresh_token": True},
    "DELETE /all": {"policy": "nobody"},
}
CALLERS: dict[str, Any] = {
    actor: {"email": f"{actor}@example.com", "access_token": f"token-of-{actor}"}
    for actor in ACTORS
} | {"anonymous": None}


@pytest.fixture
def robot() -> Iterator[Any]:
    """BuiltIn as a Robot run offers it: the suite's `CALLERS`, and `Log In As`."""

    local: dict[str, Any] = {}

    def log_in(name: str, variable: str) -> None:
        # The actor travels by variable name: its value would be recorded in output.xml.
        assert name == "Log In As" and variable == "${MATRIX_FRESH_LOGIN}"
        local[variable]["access_token"] = "fresh-" + local[variable]["access_token"]

    with mock.patch("keywords.libraries.AuthorizationMatrix.BuiltIn") as builtin:
        builtin.return_value.get_variable_value.return_value = CALLERS
        builtin.return_value.set_local_variable.side_effect = local.__setitem__
        builtin.return_value.run_keyword.side_effect = log_in
        yield builtin.return_value


@pytest.fixture
def matrix(tmp_path: Path) -> AuthorizationMatrix:
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps({"policies": POLICIES, "operations": OPERATIONS}))
    return AuthorizationMatrix(str(path))


def test_each_caller_sends_its_own_token(matrix: AuthorizationMatrix, robot: Any) -> None:
    assert matrix.token_for_matrix_call("anonymous", "GET /mine") is None
    assert matrix.token_for_matrix_call("buyer", "GET /mine") == "token-of-buyer"
    robot.run_keyword.assert_not_called()


def test_a_spent_token_is_fresh_but_the_shared_caller_is_unchanged(
    matrix: AuthorizationMatrix, robot: Any
) -> None:
    assert matrix.token_for_matrix_call("buyer", "POST /logout") == "fresh-token-of-buyer"
    assert CALLERS["buyer"]["access_token"] == "token-of-buyer"
    # Disabled and revoked callers cannot log in again: their own token is the one refused.
    assert matrix.token_for_matrix_call("revoked", "POST /logout") == "token-of-revoked"
    assert robot.run_keyword.call_count == 1


def test_an_unknown_caller_fails_naming_the_callers(
    matrix: AuthorizationMatrix, robot: Any
) -> None:
    with pytest.raises(AssertionError, match=r"No matrix caller 'byer'; the callers are anonymous"):
        matrix.token_for_matrix_call("byer", "GET /mine")


@pytest.mark.parametrize(
    ("operation", "token"),
    [
        ("GET /public", None),
        ("GET /mine", "token-of-buyer"),
        ("POST /logout", "token-of-owner"),
        ("GET /console", "token-of-admin"),
    ],
)
def test_the_first_allowed_caller_is_chosen(
    matrix: AuthorizationMatrix, robot: Any, operation: str, token: str | None
) -> None:
    assert matrix.allowed_caller_of(operation) == token


def test_an_operation_nobody_may_call_fails_with_the_answers(
    matrix: AuthorizationMatrix, robot: Any
) -> None:
    with pytest.raises(
        AssertionError,
        match=r"No caller of the matrix may call DELETE /all \(expected: anonymous 401, owner 403",
    ):
        matrix.allowed_caller_of("DELETE /all")
