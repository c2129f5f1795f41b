"""The Locust profile: the API's journeys as users do them, against a stack made by
`tooling.bench.load`.

Browsers search (every shape of `tooling.bench.shapes`) and read listings; buyers log in, buy one
unit through the Stripe stand-in (POST /api/payments with an Idempotency-Key, then confirm
with a test card) and read their payment; sellers log in and list. The Stripe stand-in sends
its signed webhooks to the API by itself as payments are confirmed, so webhooks arrive under
load as they would in production. Run it through `make load` (it prepares the fixture file
named by LOAD_FIXTURE); by hand: locust -f tooling/bench/locustfile.py --host http://127.0.0.1:PORT.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from typing import Any

from locust import HttpUser, between, task

from tooling.bench.shapes import DETAIL, HEALTH, SHAPES, Inputs


def _fixture() -> dict[str, Any]:
    path = os.environ.get("LOAD_FIXTURE")
    if not path:
        raise RuntimeError("LOAD_FIXTURE is not set: run the profile through `make load`")
    with open(path) as file:
        data: dict[str, Any] = json.load(file)
    return data


# One generator for every simulated user: the shapes draw their inputs from it.
RNG = random.Random()
FIXTURE = _fixture()
INPUTS = Inputs(FIXTURE["active_ids"], FIXTURE["deep"])
SEARCHES = [name for name in SHAPES if name not in (HEALTH, DETAIL)]


class _Account(HttpUser):
    """A user who logs in first with one of the prepared accounts of its role."""

    abstract = True
    role = ""

    def on_start(self) -> None:
        account = random.choice(FIXTURE["accounts"][self.role])
        response = self.client.post(
            "/api/users/login",
            json={"email": account["email"], "password": account["password"]},
            name="/api/users/login",
        )
        self.auth = {"Authorization": f"Bearer {response.json().get('access_token', '')}"}


class Browser(HttpUser):
    """Searches and reads listings, anonymously."""

    weight = 6
    wait_time = between(0.5, 2)

    @task(3)
    def search(self) -> None:
        name = random.choice(SEARCHES)
        self.client.get(SHAPES[name](RNG, INPUTS), name=f"search: {name}")

    @task(2)
    def detail(self) -> None:
        self.client.get(SHAPES[DETAIL](RNG, INPUTS), name="/api/marketplace/[id]")


class Buyer(_Account):
    """Buys one unit with a Stripe test card; one card in ten is declined."""

    weight = 2
    wait_time = between(1, 3)
    role = "buyer"

    @task
    def buy(self) -> None:
        created = self.client.post(
            "/api/payments",
            json={
                "listing_id": random.choice(FIXTURE["purchasable"]),
                "quantity": 1,
                "provider": "stripe",
            },
            headers={**self.auth, "Idempotency-Key": uuid.uuid4().hex},
            name="/api/payments",
        )
        if created.status_code != 201:
            return
        payment_id = created.json()["id"]
        declined = random.random() < 0.1
        card = "pm_card_chargeDeclined" if declined else "pm_card_visa"
        with self.client.post(
            f"/api/payments/{payment_id}/confirm",
            json={"payment_method": card},
            headers=self.auth,
            name=f"/api/payments/[id]/confirm ({'declined' if declined else 'visa'})",
            catch_response=True,
        ) as response:
            if response.status_code == (402 if declined else 200):
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")
        self.client.get(f"/api/payments/{payment_id}", headers=self.auth, name="/api/payments/[id]")


class Seller(_Account):
    """Lists a lot for sale."""

    weight = 1
    wait_time = between(2, 5)
    role = "seller"

    @task
    def list_a_lot(self) -> None:
        self.client.post(
            "/api/marketplace",
            json={
                "title": f"Load lot {uuid.uuid4().hex[:8]}",
                "commodity": random.choice(["copper", "cobalt", "gold", "lithium"]),
                "description": "Bulk ore concentrate, assay certified.",
                "quantity": "25.5",
                "unit": "t",
                "price_per_unit": random.randint(1_000, 900_000),
                "currency": "USD",
                "country": "ZM",
            },
            headers=self.auth,
            name="/api/marketplace (create)",
        )
