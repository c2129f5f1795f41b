"""The race matrix: pairs of state-changing operations on one payment, dispute or listing,
started at the same moment (a barrier), many times, with the marketplace invariants checked
after each round (keywords/libraries/Invariants.py, the same rules the suite's teardowns
check). Whatever order the two land in, the books must equal the gateway's: each pair also
says which answers it accepts, so a 500 or an outcome no order explains fails.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from keywords.libraries.invariant_rules import check
from tests.conftest import migrated_database
from tests.factories import make_listing, make_user
from tests.payments_stack import PaymentsStack, eventually, payments_stack

ROUNDS = 4
Call = Callable[[], requests.Response]


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


@dataclass
class Scene:
    """One round's actors and objects."""

    stack: PaymentsStack
    seller: dict[str, Any]
    buyer: dict[str, Any]
    admin: dict[str, Any]
    listing: str
    payment: str

    def post(self, user: dict[str, Any], path: str, **body: Any) -> requests.Response:
        return requests.post(
            f"{self.stack.url}{path}", headers=user["headers"], json=body, timeout=30
        )

    def confirm(self) -> requests.Response:
        return self.post(
            self.buyer, f"/api/payments/{self.payment}/confirm", payment_method="pm_card_visa"
        )

    def cancel(self) -> requests.Response:
        return self.post(self.buyer, f"/api/payments/{self.payment}/cancel")

    def refund(self, amount: int | None = None) -> requests.Response:
        body = {} if amount is None else {"amount": amount}
        return self.post(self.seller, f"/api/payments/{self.payment}/refunds", **body)

    def suspend(self) -> requests.Response:
        return self.post(
            self.admin, f"/api/admin/listings/{self.listing}/suspend", reason="race matrix"
        )

    def dispute(self) -> requests.Response:
        return self.post(self.buyer, f"/api/payments/{self.payment}/disputes", reason="other")

    def resolve(self, dispute_id: str, outcome: str) -> requests.Response:
        path = f"/api/admin/disputes/{dispute_id}/resolve"
        return self.post(self.admin, path, outcome=outcome, note="race")

    def dashboard_refund(self, amount: int) -> requests.Response:
        return self.stack.dashboard_refund(self.stack.charge_of(self.payment), amount)


def _scene(stack: PaymentsStack, *, paid: bool) -> Scene:
    seller, buyer = make_user(stack.app, "seller"), make_user(stack.app, "buyer")
    admin = make_user(stack.app, "admin")
    listing = make_listing(stack.app, seller, status="active", price_per_unit=10_000)["id"]
    payment = stack.buy(buyer, listing, 2).json()["id"]
    scene = Scene(stack, seller, buyer, admin, listing, payment)
    if paid:
        scene.confirm()
        eventually(lambda: stack.payment(payment)["status"] == "succeeded")
    return scene


def _at_once(first: Call, second: Call) -> tuple[requests.Response, requests.Response]:
    barrier = threading.Barrier(2)
    answers: dict[int, requests.Response] = {}

    def run(index: int, call: Call) -> None:
        barrier.wait()
        answers[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers[0], answers[1]


def _settled(stack: PaymentsStack, payment: str) -> None:
    """Nothing of the payment is in flight: no refund pending, webhooks applied."""
    eventually(lambda: stack.payment(payment)["refund_pending"] == 0)
    stack.app.services.outbox.wake()


def _books_equal_stripe(stack: PaymentsStack, payment: str) -> None:
    row = stack.payment(payment)
    intent = stack.intent_of(payment)
    if intent.get("latest_charge") and row["status"] not in ("canceled", "failed"):
        charge = stack.stripe_get(f"/v1/charges/{intent['latest_charge']}")
        eventually(lambda: stack.payment(payment)["amount_refunded"] == charge["amount_refunded"])
    if intent["status"] == "canceled":
        assert row["status"] == "canceled", (row["status"], intent["status"])
    if intent["status"] == "succeeded":
        assert row["status"] not in ("canceled", "failed", "pending"), row["status"]


def _invariants_hold(stack: PaymentsStack) -> None:
    report = check(stack.dsn)
    assert not report.violations, report.failure()


def _codes(*answers: requests.Response) -> list[int]:
    return sorted(a.status_code for a in answers)


PAIRS: dict[str, tuple[bool, Callable[[Scene], tuple[Call, Call]], list[list[int]]]] = {
    # name: (paid first?, the two calls, the sorted status pairs an order explains)
    "confirm-with-cancel": (
        False,
        lambda s: (s.confirm, s.cancel),
        [[200, 409], [200, 200]],
    ),
    "cancel-with-cancel": (False, lambda s: (s.cancel, s.cancel), [[200, 409]]),
    "confirm-with-suspend": (
        False,
        lambda s: (s.confirm, s.suspend),
        [[200, 200], [200, 409]],
    ),
    "refund-with-refund": (True, lambda s: (s.refund, s.refund), [[201, 409]]),
    "refund-with-dashboard-refund": (
        True,
        lambda s: (lambda: s.refund(5_000), lambda: s.dashboard_refund(7_000)),
        [[200, 201], [200, 409], [200, 502]],
    ),
    "refund-with-dispute": (True, lambda s: (s.refund, s.dispute), [[201, 409], [201, 201]]),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_two_operations_at_once_keep_the_books_and_the_invariants(stack, name, instrument):
    paid, calls, explained = PAIRS[name]
    for _ in range(ROUNDS):
        scene = _scene(stack, paid=paid)
        first, second = _at_once(*calls(scene))
        assert _codes(first, second) in explained, (name, first.text, second.text)
        _settled(stack, scene.payment)
        _books_equal_stripe(stack, scene.payment)
        _invariants_hold(stack)
    instrument("race pairs", 1)
    instrument("race rounds", ROUNDS)


@pytest.mark.parametrize(("one", "other"), [("refund", "reject"), ("refund", "refund")])
def test_two_admins_resolving_one_dispute_resolve_it_once(stack, one, other, instrument):
    for _ in range(ROUNDS):
        scene = _scene(stack, paid=True)
        dispute_id = scene.dispute().json()["id"]
        first, second = _at_once(
            functools.partial(scene.resolve, dispute_id, one),
            functools.partial(scene.resolve, dispute_id, other),
        )
        assert _codes(first, second) == [200, 409], (first.text, second.text)
        winner = first if first.status_code == 200 else second
        row = stack.payment(scene.payment)
        expected = "refunded" if winner.json()["status"] == "resolved_refund" else "succeeded"
        assert row["status"] == expected
        _books_equal_stripe(stack, scene.payment)
        _invariants_hold(stack)
    instrument("race pairs", 1)
    instrument("race rounds", ROUNDS)
