"""Resolving a dispute by refund uses one pooled connection at a time.

The resolution holds the dispute's lock and the payment's lock across the gateway call; if
the refund took a second connection from the pool while the first was held, a pool of N
connections would starve under N resolutions at once (each holding one, waiting for a
second) until the pool's timeout answered 503 to all of them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from api_server.app import MarketplaceApp
from api_server.config import Config
from api_server.payments.gateways import Checkout, GatewayStatus, Health, PaymentRow
from tests.factories import app_config, make_app, make_payment, make_user, principal, sql


class SlowCardGateway:
    """Stripe at the edge: refunds succeed once `released` (so resolutions overlap)."""

    name = "stripe"

    def __init__(self, together: int) -> None:
        self._barrier = threading.Barrier(together, timeout=5)
        self.refunds: list[str] = []

    def refund(self, payment: PaymentRow, *, amount: int, refund_id: str) -> str:
        # Every resolution reaches the gateway before any books its answer.
        with contextlib.suppress(threading.BrokenBarrierError):
            self._barrier.wait()
        self.refunds.append(refund_id)
        return f"re_{refund_id[:8]}"

    def create(self, payment: PaymentRow, **_: Any) -> Checkout:
        raise NotImplementedError

    def cancel(self, payment: PaymentRow, *, reason: str) -> GatewayStatus:
        raise NotImplementedError

    def confirm(self, payment: PaymentRow, *, payment_method: str) -> GatewayStatus:
        raise NotImplementedError

    def status(self, payment: PaymentRow) -> GatewayStatus:
        raise NotImplementedError

    def history(self, payment: PaymentRow) -> list[GatewayStatus]:
        raise NotImplementedError

    def probe(self) -> Health:
        return Health("ok", "fake")


def _app(dsn: str, pool: int, gateway: SlowCardGateway) -> MarketplaceApp:
    config: Config = app_config(dsn, db_pool_min=0, db_pool_max=pool, db_pool_timeout=1.0)
    return make_app(config, stripe=gateway)


@pytest.fixture
def apps(dsn: str) -> Iterator[list[MarketplaceApp]]:
    made: list[MarketplaceApp] = []
    yield made
    for app in made:
        app.services.close()


def _open_dispute(app: MarketplaceApp) -> str:
    payment = make_payment(app, amount=10_000, status="disputed")
    buyer = sql(app, "SELECT buyer_id::text AS id FROM payments WHERE id = %s", payment)[0]
    return sql(
        app,
        "INSERT INTO disputes (payment_id, source, opened_by, reason, status_before) "
        "VALUES (%s, 'buyer', %s, 'other', 'succeeded') RETURNING id::text AS id",
        payment,
        buyer["id"],
    )[0]["id"]


@pytest.mark.parametrize("size", [1, 3])
def test_as_many_resolutions_by_refund_as_the_pool_has_connections_all_go_through(dsn, apps, size):
    gateway = SlowCardGateway(together=size)
    app = _app(dsn, size, gateway)
    apps.append(app)
    admin = principal(make_user(app, "admin"))
    disputes = [_open_dispute(app) for _ in range(size)]
    answers: dict[str, Any] = {}

    def resolve(dispute_id: str) -> None:
        try:
            answers[dispute_id] = app.services.disputes.resolve(
                admin, dispute_id, "refund", "refunded by the test", None
            )
        except Exception as exc:  # the answer is what the test judges
            answers[dispute_id] = exc

    threads = [threading.Thread(target=resolve, args=(d,)) for d in disputes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(a, dict) for a in answers.values()), answers
    assert {a["status"] for a in answers.values()} == {"resolved_refund"}
    rows = sql(
        app,
        "SELECT p.status, p.amount_refunded, p.refund_pending FROM payments p "
        "JOIN disputes d ON d.payment_id = p.id WHERE d.id = ANY(%s::uuid[])",
        disputes,
    )
    assert [(r["status"], r["amount_refunded"], r["refund_pending"]) for r in rows] == [
        ("refunded", 10_000, 0)
    ] * size
    assert app.services.db.in_use == 0
