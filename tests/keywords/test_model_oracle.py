"""The model-based test's oracle stays independent of the code it judges, and agrees with it
where both are pure: two implementations of the pricing rule written apart."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from api_server.common.money import charge_amount, charge_step
from keywords.libraries.marketplace_oracle import Listing, Oracle, Payment, charge_of

ORACLE = Path(__file__).parents[2] / "keywords" / "libraries" / "marketplace_oracle.py"


def test_the_oracle_imports_nothing_of_the_api() -> None:
    tree = ast.parse(ORACLE.read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not [name for name in imported if name.startswith(("api_server", "keywords"))]


@given(
    price=st.integers(min_value=1, max_value=2_000_000),
    thousandths=st.integers(min_value=1, max_value=25_000),
    provider=st.sampled_from(["stripe", "flutterwave"]),
    rate=st.none() | st.decimals(min_value="0.0001", max_value="2000", places=6),
)
def test_the_oracle_and_the_api_price_an_order_alike(
    price: int, thousandths: int, provider: str, rate: Decimal | None
) -> None:
    quantity = Decimal(thousandths).scaleb(-3)
    value = price * quantity
    currency = "USD" if rate is None else "NGN"
    step = 1 if rate is None else charge_step(provider, currency)
    charged = charge_amount(value, "USD", currency, rate, step=step)
    assert charge_of(price, quantity, provider, rate) == charged
    # Never less than the goods' value at the rate recorded.
    assert charged >= value * (rate or 1)


def test_the_defect_example_is_not_undercharged() -> None:
    # Issue 20, defect 6: 2.31 kg at 1,000 NGN/kg at 1 USD = 1,550 NGN is worth 1.4903 USD;
    # it was charged 1.00. Priced here as the oracle's USD listing paid in NGN, the other way.
    assert charge_of(100_000, Decimal("2.31"), "stripe", Decimal(1) / 1550) == 150
    assert charge_of(100_000, Decimal("2.31"), "flutterwave", Decimal(1) / 1550) == 200


def test_a_success_heard_after_the_goods_went_is_refunded_in_full() -> None:
    oracle = Oracle()
    oracle.listings["l"] = Listing(price=100, quantity=Decimal("1.000"), status="suspended")
    late = Payment("l", "buyer1", "stripe", "USD", Decimal("1.000"), 100, status="canceled")
    oracle.payments["p"] = late
    oracle.learn_success(late)
    assert (late.status, late.refunded, late.owed_back) == ("refunded", 100, True)
    assert late.history == ["pending", "succeeded", "refunded"]
    assert oracle.available("l") == Decimal("1.000")
