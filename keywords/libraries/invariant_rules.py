"""Checks the marketplace's bookkeeping over every row: stock, money, history and disputes.

The rules, each checked on every row it applies to:

listings
  - `available_quantity >= 0` and `available_quantity <= quantity`.
  - available + held + sold = quantity, where held is the quantity of the listing's reserved
    payments in an open status (pending, requires_action, requires_payment_method,
    processing) and sold that of its reserved payments in a paid status (succeeded,
    partially_refunded, refunded, disputed). A payment takes its stock when it is made
    (`RESERVE`), gives it back when it fails or is canceled (`RELEASE`: reserved = false)
    and takes it again only when a late success finds the stock still there
    (`RESERVE_AGAIN`); a refund gives nothing back, so a refunded sale stays sold. A late
    success that found the stock gone is succeeded but not reserved, and counts nowhere.
payments
  - 0 <= amount_refunded + refund_pending <= amount.
  - status refunded means amount_refunded = amount; succeeded means nothing refunded;
    partially_refunded means 0 < amount_refunded < amount (the status says what the books say).
  - amount_refunded >= the sum of its succeeded refunds rows. Not equal: a refund made in
    Stripe's dashboard reaches us as `charge.refunded` and is booked as the charge's new
    refunded total (`SET_REFUNDED_TOTAL`) without a refunds row, and a chargeback the seller
    lost books the whole amount (`SET_CHARGED_BACK`) without one.
  - refund_pending = the sum of its pending refunds rows.
  - reserved only in an open or a paid status (never failed or canceled).
  - status = the to_status of its last payment_transitions row.
  - disputed means exactly one open dispute.
payment_transitions
  - the move is the creation (NULL -> pending) or allowed by `settlement.ALLOWED`.
  - from_status = the previous row's to_status for the payment (NULL for the first row).
disputes
  - an open dispute's payment is disputed.
gateway_receipts (money a transfer brought that is not its payment's, payments/transfers.py)
  - a short transfer is given back whole and never pays its payment;
  - an excess is what its paid payment's own transfer brought beyond the amount;
  - a second transfer is given back whole and is not the payment's.

Everything is read in one read-only repeatable-read transaction: one snapshot, so the
payments of suites running in parallel are seen either before or after each of their
transactions, never in the middle of one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2.extras import RealDictCursor

from api_server.payments.settlement import ALLOWED, OPEN

Row = Mapping[str, Any]
PAID = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})

# Each listing with the quantity its open and its paid payments hold.
LISTINGS_SQL = """
SELECT l.id::text AS id, l.quantity, l.available_quantity,
       COALESCE(sum(p.quantity) FILTER (WHERE p.reserved AND p.status = ANY(%(open)s)), 0)
           AS held,
       COALESCE(sum(p.quantity) FILTER (WHERE p.reserved AND p.status = ANY(%(paid)s)), 0)
           AS sold
FROM listings l LEFT JOIN payments p ON p.listing_id = l.id
GROUP BY l.id
ORDER BY l.id
"""

# Each payment with the sums of its refunds, its open disputes and its last recorded move.
PAYMENTS_SQL = """
SELECT p.id::text AS id, p.status, p.amount, p.amount_refunded, p.refund_pending, p.reserved,
       COALESCE(r.succeeded, 0) AS refunds_succeeded, COALESCE(r.pending, 0) AS refunds_pending,
       COALESCE(d.open, 0) AS open_disputes,
       (SELECT t.to_status FROM payment_transitions t WHERE t.payment_id = p.id
        ORDER BY t.id DESC LIMIT 1) AS last_to_status
FROM payments p
LEFT JOIN (
    SELECT payment_id, sum(amount) FILTER (WHERE status = 'succeeded') AS succeeded,
           sum(amount) FILTER (WHERE status = 'pending') AS pending
    FROM refunds GROUP BY payment_id
) r ON r.payment_id = p.id
LEFT JOIN (
    SELECT payment_id, count(*) AS open FROM disputes WHERE status = 'open' GROUP BY payment_id
) d ON d.payment_id = p.id
ORDER BY p.id
"""

# Each move with the payment's previous move (NULL for its first).
TRANSITIONS_SQL = """
SELECT t.id, t.payment_id::text AS payment_id, t.from_status, t.to_status,
       lag(t.to_status) OVER (PARTITION BY t.payment_id ORDER BY t.id) AS previous_to_status
FROM payment_transitions t
ORDER BY t.payment_id, t.id
"""

DISPUTES_SQL = """
SELECT d.id::text AS id, d.payment_id::text AS payment_id, d.status,
       p.status AS payment_status
FROM disputes d JOIN payments p ON p.id = d.payment_id
ORDER BY d.id
"""

# Each receipt (money a transfer brought that is not its payment's) with its payment.
RECEIPTS_SQL = """
SELECT r.id::text AS id, r.kind, r.received, r.amount, r.transaction_id, r.status,
       p.status AS payment_status, p.amount AS payment_amount, p.provider_txn_id
FROM gateway_receipts r JOIN payments p ON p.id = r.payment_id
ORDER BY r.id
"""


@dataclass(frozen=True)
class Rule:
    """One invariant of one table: what must hold, on which rows, and what to show if not."""

    name: str
    holds: Callable[[Row], bool]
    shows: tuple[str, ...]
    applies: Callable[[Row], bool] = lambda row: True


@dataclass(frozen=True)
class Violation:
    """A row that breaks a rule, with the values the rule read."""

    table: str
    id: str
    rule: str
    values: dict[str, Any]

    def __str__(self) -> str:
        shown = ", ".join(f"{key}={value}" for key, value in self.values.items())
        return f"{self.table} {self.id}: {self.rule} ({shown})"


@dataclass(frozen=True)
class Report:
    """What one check read and found."""

    rows: dict[str, int]
    rules: int
    checks: int
    violations: list[Violation]

    def summary(self) -> str:
        """One line: rows per table, rules, checks and violations."""
        tables = ", ".join(f"{count} {table}" for table, count in self.rows.items())
        return (
            f"{self.checks} checks of {self.rules} rules over {tables}: "
            f"{len(self.violations)} violations"
        )

    def failure(self) -> str:
        """The failure message: every broken row, one a line."""
        lines = [f"Marketplace invariants broken: {self.summary()}"]
        return "\n".join(lines + [f"  {violation}" for violation in self.violations])


def allowed_move(row: Row) -> bool:
    """The creation of a payment, or a move the state machine allows."""
    if row["from_status"] is None:
        return row["to_status"] == "pending"
    return row["to_status"] in ALLOWED.get(row["from_status"], frozenset())


LISTING_RULES = (
    Rule(
        "available_quantity >= 0", lambda r: r["available_quantity"] >= 0, ("available_quantity",)
    ),
    Rule(
        "available_quantity <= quantity",
        lambda r: r["available_quantity"] <= r["quantity"],
        ("available_quantity", "quantity"),
    ),
    Rule(
        "available + held + sold = quantity",
        lambda r: r["available_quantity"] + r["held"] + r["sold"] == r["quantity"],
        ("available_quantity", "held", "sold", "quantity"),
    ),
)

PAYMENT_RULES = (
    Rule(
        "0 <= amount_refunded + refund_pending <= amount",
        lambda r: 0 <= r["amount_refunded"] + r["refund_pending"] <= r["amount"],
        ("amount_refunded", "refund_pending", "amount"),
    ),
    Rule(
        "refunded means amount_refunded = amount",
        lambda r: r["amount_refunded"] == r["amount"],
        ("status", "amount_refunded", "amount"),
        lambda r: r["status"] == "refunded",
    ),
    Rule(
        "succeeded means nothing refunded",
        lambda r: r["amount_refunded"] == 0,
        ("status", "amount_refunded"),
        lambda r: r["status"] == "succeeded",
    ),
    Rule(
        "partially_refunded means 0 < amount_refunded < amount",
        lambda r: 0 < r["amount_refunded"] < r["amount"],
        ("status", "amount_refunded", "amount"),
        lambda r: r["status"] == "partially_refunded",
    ),
    Rule(
        "amount_refunded >= succeeded refunds",
        lambda r: r["amount_refunded"] >= r["refunds_succeeded"],
        ("amount_refunded", "refunds_succeeded"),
    ),
    Rule(
        "refund_pending = pending refunds",
        lambda r: r["refund_pending"] == r["refunds_pending"],
        ("refund_pending", "refunds_pending"),
    ),
    Rule(
        "reserved only while open or paid",
        lambda r: r["status"] in OPEN | PAID,
        ("status", "reserved"),
        lambda r: r["reserved"],
    ),
    Rule(
        "status = last transition's to_status",
        lambda r: r["status"] == r["last_to_status"],
        ("status", "last_to_status"),
    ),
    Rule(
        "disputed means exactly one open dispute",
        lambda r: r["open_disputes"] == 1,
        ("status", "open_disputes"),
        lambda r: r["status"] == "disputed",
    ),
)

TRANSITION_RULES = (
    Rule("move allowed by settlement.ALLOWED", allowed_move, ("from_status", "to_status")),
    Rule(
        "from_status = previous to_status",
        lambda r: r["from_status"] == r["previous_to_status"],
        ("payment_id", "from_status", "previous_to_status"),
    ),
)

DISPUTE_RULES = (
    Rule(
        "open dispute's payment is disputed",
        lambda r: r["payment_status"] == "disputed",
        ("payment_id", "payment_status"),
        lambda r: r["status"] == "open",
    ),
)

RECEIPT_RULES = (
    Rule(
        "a short transfer is given back whole and never pays its payment",
        lambda r: (
            r["amount"] == r["received"] < r["payment_amount"]
            and r["transaction_id"] != r["provider_txn_id"]
        ),
        ("received", "amount", "payment_amount", "transaction_id", "provider_txn_id"),
        lambda r: r["kind"] == "short",
    ),
    Rule(
        "an excess is what its paid payment's own transfer brought beyond the amount",
        lambda r: (
            r["payment_status"] in PAID
            and r["transaction_id"] == r["provider_txn_id"]
            and r["received"] - r["amount"] == r["payment_amount"]
        ),
        ("payment_status", "received", "amount", "payment_amount", "transaction_id"),
        lambda r: r["kind"] == "excess",
    ),
    Rule(
        "a second transfer is given back whole and is not the payment's",
        lambda r: r["amount"] == r["received"] and r["transaction_id"] != r["provider_txn_id"],
        ("received", "amount", "transaction_id", "provider_txn_id"),
        lambda r: r["kind"] == "duplicate",
    ),
)

# table -> (its query, the rules of its rows)
TABLES: dict[str, tuple[str, tuple[Rule, ...]]] = {
    "listings": (LISTINGS_SQL, LISTING_RULES),
    "payments": (PAYMENTS_SQL, PAYMENT_RULES),
    "payment_transitions": (TRANSITIONS_SQL, TRANSITION_RULES),
    "disputes": (DISPUTES_SQL, DISPUTE_RULES),
    "gateway_receipts": (RECEIPTS_SQL, RECEIPT_RULES),
}
STATUSES = {"open": sorted(OPEN), "paid": sorted(PAID)}


def broken(table: str, rows: Iterable[Row], rules: Sequence[Rule]) -> tuple[int, list[Violation]]:
    """How many (row, rule) checks were made, and the rows that broke a rule."""
    checks, violations = 0, []
    for row in rows:
        for rule in rules:
            if not rule.applies(row):
                continue
            checks += 1
            if not rule.holds(row):
                values = {column: row[column] for column in rule.shows}
                violations.append(Violation(table, str(row["id"]), rule.name, values))
    return checks, violations


def read_snapshot(database_url: str) -> dict[str, list[Row]]:
    """Every table's rows from one read-only repeatable-read snapshot."""
    connection = psycopg2.connect(database_url)
    try:
        connection.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        with connection.cursor(cursor_factory=RealDictCursor) as cur:
            snapshot = {}
            for table, (sql, _) in TABLES.items():
                cur.execute(sql, STATUSES)
                snapshot[table] = cur.fetchall()
        connection.rollback()
    finally:
        connection.close()
    return snapshot


def check(database_url: str) -> Report:
    """Reads one snapshot of `database_url` and checks every rule on every row."""
    snapshot = read_snapshot(database_url)
    checks, violations = 0, []
    for table, (_, rules) in TABLES.items():
        made, found = broken(table, snapshot[table], rules)
        checks += made
        violations += found
    rows = {table: len(snapshot[table]) for table in TABLES}
    rules = sum(len(table_rules) for _, table_rules in TABLES.values())
    return Report(rows, rules, checks, violations)
