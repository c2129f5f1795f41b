"""The authorization matrix: every documented operation, every actor, the expected answer."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn
from robot.utils import DotDict

ACTORS = ("anonymous", "buyer", "seller", "owner", "other_seller", "admin", "disabled", "revoked")
# The callers `Allowed Caller Of` tries, in order, for a token the matrix lets through.
ALLOWED_CALLER_ORDER = ("anonymous", "owner", "buyer", "admin", "seller")
# Callers whose token is refused whatever it is: a fresh login would fail or change nothing.
REFUSED_CALLERS = ("disabled", "revoked")
METHODS = ("get", "post", "put", "patch", "delete")
# A body no operation accepts: allowed callers get a 422 and nothing changes.
PROBE_BODY = {"__authorization_matrix_probe__": True}


def _fill_path(template: str, ids: dict[str, str], *, missing: bool = False) -> str:
    """The path of `template` with each `{name}` from `ids`, or a random UUID when `missing`."""
    return re.sub(
        r"\{(\w+)\}", lambda m: str(uuid.uuid4()) if missing else ids[m.group(1)], template
    )


def _caller(actor: str) -> dict[str, Any] | None:
    """The caller of kind `actor` in `CALLERS`, shared by `Prepare The Matrix` (None: anonymous)."""
    callers = BuiltIn().get_variable_value("${CALLERS}")
    if callers is None:
        raise AssertionError("No matrix callers: `Prepare The Matrix` sets CALLERS first")
    if actor not in callers:
        raise AssertionError(f"No matrix caller {actor!r}; the callers are {', '.join(callers)}")
    return callers[actor]


@library(scope="GLOBAL", auto_keywords=False)
class AuthorizationMatrix:
    """Reads the expectations file and the OpenAPI document; checks one cell at a time."""

    def __init__(self, matrix_file: str) -> None:
        document = json.loads(Path(matrix_file).read_text(encoding="utf-8"))
        self._policies: dict[str, dict[str, str]] = document["policies"]
        self._operations: dict[str, dict[str, Any]] = document["operations"]

    @keyword
    def documented_operations(self, api_url: str) -> list[str]:
        """Every `METHOD /path` in the live /api/openapi.json, sorted."""
        paths = requests.get(f"{api_url}/api/openapi.json", timeout=10).json()["paths"]
        return sorted(f"{m.upper()} {p}" for p, item in paths.items() for m in item if m in METHODS)

    @keyword
    def operations_without_expectations(self, api_url: str) -> list[str]:
        """Documented operations the matrix file does not cover."""
        return [op for op in self.documented_operations(api_url) if op not in self._operations]

    @keyword
    def expectations_without_operation(self, api_url: str) -> list[str]:
        """Matrix entries for operations the API no longer documents."""
        documented = set(self.documented_operations(api_url))
        return sorted(op for op in self._operations if op not in documented)

    @keyword
    def expected_answer(self, operation: str, actor: str) -> str:
        """`allow`, `hidden` (404) or a status code for `actor` calling `operation`."""
        entry = self._operations[operation]
        expected = entry.get("overrides", {}).get(actor)
        return expected or self._policies[entry["policy"]][actor]

    @keyword
    def operation_options(self, operation: str) -> dict[str, Any]:
        """Per-operation options: which fixture ids fill the path, whether to send a body."""
        return self._operations[operation]

    @keyword
    def token_for_matrix_call(self, actor: str, operation: str) -> str | None:
        """The access token `actor` sends to `operation` (none when anonymous); fresh when spent."""
        caller = _caller(actor)
        if caller is None:
            return None
        fresh = self.operation_options(operation).get("fresh_token", False)
        if fresh and actor not in REFUSED_CALLERS:
            copy = DotDict(caller)
            # By name, not by value: a keyword run from Python records its arguments in
            # output.xml as given, and the actor's repr holds its password and tokens.
            BuiltIn().set_local_variable("${MATRIX_FRESH_LOGIN}", copy)
            BuiltIn().run_keyword("Log In As", "${MATRIX_FRESH_LOGIN}")
            return copy["access_token"]
        return caller["access_token"]

    @keyword
    def allowed_caller_of(self, operation: str) -> str | None:
        """The token of the first caller the matrix lets call `operation` (none when anonymous)."""
        answers = {actor: self.expected_answer(operation, actor) for actor in ALLOWED_CALLER_ORDER}
        for actor, expected in answers.items():
            if expected == "allow":
                caller = _caller(actor)
                return None if caller is None else caller["access_token"]
        tried = ", ".join(f"{actor} {expected}" for actor, expected in answers.items())
        raise AssertionError(f"No caller of the matrix may call {operation} (expected: {tried})")

    @keyword
    def call_operation(
        self,
        api_url: str,
        operation: str,
        ids: dict[str, str],
        headers: dict[str, str],
    ) -> requests.Response:
        """Calls `operation` with `headers` (the caller's, from `Auth Headers`) and path ids
        from `ids` (a random UUID when the option says so)."""
        method, template = operation.split(" ", 1)
        options = self._operations[operation]
        path = _fill_path(template, ids, missing=options.get("ids") == "missing")
        body = PROBE_BODY if method in ("POST", "PUT", "PATCH") else None
        if options.get("body") == "none":
            body = None
        response = requests.request(
            method, f"{api_url}{path}", headers=dict(headers), json=body, timeout=30
        )
        logger.info(f"{method} {path} -> {response.status_code}")
        return response

    @keyword
    def operations_with_a_body(self, api_url: str) -> list[str]:
        """Every documented `METHOD /path` that takes a request body, sorted."""
        paths = requests.get(f"{api_url}/api/openapi.json", timeout=10).json()["paths"]
        return sorted(
            f"{m.upper()} {p}"
            for p, item in paths.items()
            for m, op in item.items()
            if m in METHODS and "requestBody" in op
        )

    @keyword
    def send_unreadable_body(
        self,
        api_url: str,
        operation: str,
        ids: dict[str, str],
        headers: dict[str, str],
        kind: str,
    ) -> requests.Response:
        """Calls `operation` with a body it cannot read: `malformed` (broken JSON, or a
        multipart body without parts), `foreign` (text/plain) or `oversized` (past any limit).
        Path ids come from `ids`; the caller's headers from `Auth Headers`."""
        method, template = operation.split(" ", 1)
        path = _fill_path(template, ids)
        multipart = template.endswith("/photos")
        content_type = "multipart/form-data; boundary=x" if multipart else "application/json"
        body = {
            "malformed": b"--x\r\nnot a part" if multipart else b'{"unclosed": ',
            "foreign": b"plain words",
            "oversized": b"x" * (6 * 1024 * 1024),
        }[kind]
        if kind == "foreign":
            content_type = "text/plain"
        sent = {**headers, "Content-Type": content_type}
        response = requests.request(method, f"{api_url}{path}", headers=sent, data=body, timeout=30)
        logger.info(f"{method} {path} with a {kind} body -> {response.status_code}")
        return response

    @keyword
    def answer_should_match(
        self, response: requests.Response, expected: str, operation: str, actor: str
    ) -> None:
        """`allow`: neither 401 nor 403 nor a 5xx; `hidden`: 404; else that exact status."""
        status = response.status_code
        where = f"{operation} as {actor}: got {status}"
        if status >= 500:
            raise AssertionError(f"{where}, a server error")
        if expected == "allow":
            if status in (401, 403):
                raise AssertionError(f"{where}, expected access")
        elif expected == "hidden":
            if status != 404:
                raise AssertionError(f"{where}, expected 404 (hidden)")
        elif status != int(expected):
            raise AssertionError(f"{where}, expected {expected}")
