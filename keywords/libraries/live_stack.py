"""The live stack as the model-based test reaches it: actors with tokens, HTTP, SQL."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.extras
import requests
from robot.libraries.BuiltIn import BuiltIn

from tooling.seeding.accounts import Account, create_accounts, log_in

TIMEOUT = 30
ACTORS = (("seller", "seller"), ("buyer1", "buyer"), ("buyer2", "buyer"), ("admin", "admin"))
# Accounts the console rules change (role, status); they take no part in trading.
MEMBERS = (("admin2", "admin"), ("member", "buyer"))


@dataclass
class Stack:
    """Where the live stack is and who acts on it (new actors for every sequence, so each
    sequence's model is the whole truth of what its actors may see)."""

    api: str
    dsn: str
    stripe: str
    flutterwave: str
    flutterwave_key: str
    tokens: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)

    def new_actors(self) -> None:
        tag = uuid.uuid4().hex[:12]
        for name, role in ACTORS + MEMBERS:
            (account,) = create_accounts(self.dsn, role, 1, f"model-{tag}-{name}")
            self.accounts[name] = account
            self.tokens[name] = log_in(self.api, account)

    def log_in(self, actor: str) -> requests.Response:
        """The actor signs in again; on success its token is the new session's."""
        account = self.accounts[actor]
        response = requests.post(
            f"{self.api}/api/users/login",
            json={"email": account.email, "password": account.password},
            timeout=TIMEOUT,
        )
        if response.status_code == 200:
            self.tokens[actor] = response.json()["access_token"]
        return response

    def call(self, actor: str, method: str, path: str, **body: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[actor]}"}
        if method == "POST" and path == "/api/payments":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return requests.request(
            method, f"{self.api}{path}", json=body or None, headers=headers, timeout=TIMEOUT
        )

    def gateway(self, name: str, method: str, path: str, **body: Any) -> Any:
        """A call to a sandbox: its control API (`/_sandbox/...`) or the customer's page."""
        base = self.stripe if name == "stripe" else self.flutterwave
        url = path if path.startswith("http") else f"{base}{path}"
        response = requests.request(
            method,
            url,
            json=body or None,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def flutterwave_rate(self, *, source: str, destination: str, amount: Decimal) -> Any:
        """Flutterwave's quoted rate, `source` units per `destination` unit."""
        response = requests.get(
            f"{self.flutterwave}/v3/transfers/rates",
            params={
                "amount": str(amount),
                "source_currency": source,
                "destination_currency": destination,
            },
            headers={"Authorization": f"Bearer {self.flutterwave_key}"},
            timeout=TIMEOUT,
        )
        return expect(response, 200)["data"]["rate"]

    def visit(self, url: str) -> dict[str, Any]:
        """The customer's browser following a redirect back to the API (no credentials)."""
        return expect(requests.get(url, timeout=TIMEOUT), 200)

    def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        with (
            psycopg2.connect(self.dsn) as conn,
            conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur,
        ):
            cur.execute(query, params)
            rows = cur.fetchall() if cur.description else []
        conn.close()
        return [dict(r) for r in rows]


def expect(response: requests.Response, *statuses: int) -> dict[str, Any]:
    """The JSON body of `response`, which must have one of `statuses`."""
    assert response.status_code in statuses, (
        f"{response.request.method} {response.request.path_url}: expected {statuses}, got "
        f"{response.status_code} {response.text[:300]}"
    )
    return response.json() if response.content else {}


def setting(name: str) -> str:
    """A stack setting: the Robot variable the stack set, else the environment's."""
    value = BuiltIn().get_variable_value("${" + name + "}") or os.environ.get(name)
    if not value:
        raise AssertionError(f"{name} is not set: the model needs the local stack")
    return str(value)
