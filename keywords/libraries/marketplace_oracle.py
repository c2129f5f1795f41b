"""The model-based test's oracle: what the marketplace must show, worked out without the code.

No I/O here: the state machine (MarketplaceModel.py) acts on the live stack and asks this
module what every amount, stock level, status, history and failure must then be. Each rule
is written from the marketplace's documented behaviour (docs/architecture.md, "Payments"),
never read from api_server, so a wrong rule in either shows up as a disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

# Still waiting for money: the buyer may pay, retry or cancel.
OPEN = frozenset({"pending", "requires_payment_method"})
# The gateway has taken the money (whatever was refunded or disputed since).
SOLD = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})
PAID = frozenset({"succeeded", "partially_refunded"})
# docs.stripe.com/currencies#minimum-and-maximum-charge-amounts (USD); Flutterwave's
# checkout takes whole units of the currency (docs/sandboxes.md).
LIMITS = {"stripe": (50, 99_999_999), "flutterwave": (100, 10**12 - 1)}
STEP = {"stripe": 1, "flutterwave": 100}
# The rate is recorded at its column's scale (numeric(24, 10)), rounded up.
RATE_SCALE = Decimal("1e-10")


@dataclass
class Listing:
    price: int
    quantity: Decimal
    status: str = "active"  # active, suspended, archived or deleted


@dataclass
class Payment:
    listing: str
    buyer: str
    provider: str
    currency: str
    quantity: Decimal
    amount: int
    status: str = "pending"
    refunded: int = 0
    before_dispute: str | None = None
    dispute: str | None = None
    dispute_status: str | None = None
    # (code, decline_code) of the last failed attempt, as the buyer must see it.
    failure: tuple[str, str | None] | None = None
    # The gateway holds the money but we were not told (a webhook withheld or lost).
    unseen: bool = False
    # Paid after the goods were gone or withdrawn: refunded in full, its stock not taken.
    owed_back: bool = False
    # Flutterwave: the hosted page no longer takes a payment (its session ended).
    page_closed: bool = False
    # Flutterwave: the hosted page was paid (a revisit shows that payment, charges nothing).
    paid_at_gateway: bool = False
    transactions: list[int] = field(default_factory=list)
    history: list[str] = field(default_factory=lambda: ["pending"])


def charge_of(price: int, quantity: Decimal, provider: str, rate: Decimal | None = None) -> int:
    """What the buyer is charged, in minor units: the exact value rounded up to the minor
    unit; converted (both currencies have two decimals here) at the quoted rate kept at the
    column's scale and rounded up once to the gateway's step, so never less than the value."""
    value = price * quantity
    if rate is None:
        return int(value.to_integral_value(ROUND_CEILING))
    recorded = rate.quantize(RATE_SCALE, rounding=ROUND_CEILING)
    step = STEP[provider]
    return int((value * recorded / step).to_integral_value(ROUND_CEILING)) * step


@dataclass
class Member:
    """An account the console changes: its role, its status, whether its session lives."""

    role: str
    status: str = "active"
    # Disabling ends every session at once; enabling again does not bring one back.
    signed_in: bool = True

    def answer(self, roles: frozenset[str]) -> int:
        """The status an operation open to `roles` answers this account's token."""
        if not self.signed_in or self.status != "active":
            return 401
        return 200 if self.role in roles else 403


def members() -> dict[str, Member]:
    """The console's accounts at the start of a sequence; `admin` is never changed, so the
    marketplace always keeps an active admin whatever the others do."""
    return {"admin": Member("admin"), "admin2": Member("admin"), "member": Member("buyer")}


@dataclass
class Oracle:
    """Every listing and payment the sequence's actors made, as they must now stand."""

    listings: dict[str, Listing] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=members)

    def change_account(self, by: str, target: str, role: str, status: str) -> int:
        """What an admin's change of `target` answers; the change, when it is allowed."""
        answer = self.members[by].answer(frozenset({"admin"}))
        if answer != 200:
            return answer
        member = self.members[target]
        if status == "disabled":
            member.signed_in = False
        member.role, member.status = role, status
        return 200

    def log_in(self, actor: str) -> int:
        """What signing in again answers; a session again when the account is active."""
        member = self.members[actor]
        if member.status == "disabled":
            return 403
        member.signed_in = True
        return 200

    def takes_stock(self, payment: Payment) -> bool:
        if payment.status in OPEN or payment.status == "processing":
            return True
        return payment.status in SOLD and not payment.owed_back

    def available(self, listing_id: str, without: Payment | None = None) -> Decimal:
        taken = sum(
            (
                p.quantity
                for p in self.payments.values()
                if p.listing == listing_id and p is not without and self.takes_stock(p)
            ),
            Decimal(0),
        )
        return self.listings[listing_id].quantity - taken

    def for_sale(self, listing_id: str) -> bool:
        return self.listings[listing_id].status == "active"

    @staticmethod
    def move(payment: Payment, to: str) -> None:
        if payment.status != to:
            payment.history.append(to)
        payment.status = to

    def refused_purchase(
        self, listing_id: str, provider: str, quantity: Decimal, rate: Decimal | None
    ) -> str | None:
        """Why buying `quantity` at `rate` (None: no conversion) must be refused, or None."""
        listing = self.listings[listing_id]
        if listing.status == "deleted":
            return "listing_not_found"
        if listing.status != "active":
            return "listing_not_available"
        if quantity > self.available(listing_id):
            return "insufficient_quantity"
        amount, (low, high) = charge_of(listing.price, quantity, provider, rate), LIMITS[provider]
        # Without a conversion, an amount off the gateway's step is refused: rounding it up
        # would charge more than the listed value (docs/sandboxes.md).
        if amount % STEP[provider] or not low <= amount <= high:
            return "amount_not_accepted"
        return None

    def learn_success(self, payment: Payment) -> None:
        """The API hears (by webhook, return, cancel, expiry or reconciliation) that the
        gateway took the money: sold if the goods are still for sale and there, else sold
        and refunded in full, so no buyer pays for goods they do not get."""
        payment.unseen = False
        if payment.status in SOLD:
            return
        late = payment.status in ("canceled", "failed")
        there = self.for_sale(payment.listing) and (
            not late or self.available(payment.listing, without=payment) >= payment.quantity
        )
        payment.failure = None
        self.move(payment, "succeeded")
        if not there:
            payment.owed_back = True
            payment.refunded = payment.amount
            self.move(payment, "refunded")

    def decline(self, payment: Payment, failure: tuple[str, str | None]) -> None:
        """A failed attempt on an open payment: it waits for another, showing why."""
        if payment.status in OPEN:
            payment.failure = failure
            self.move(payment, "requires_payment_method")
