"""Flutterwave direct charges (`POST /v3/charges?type=...`): the request each method sends
and the instruction its answer becomes for the buyer.

The answers differ by type (Flutterwave's pages and its Node SDK's documented samples,
docs/sandboxes.md "Direct charges"): M-Pesa and Tanzania answer a pending `data`; Ghana,
Uganda, Rwanda and Zambia only `meta.authorization` with mode `redirect` (a page where the
customer enters the OTP before approving on the phone); francophone mobile money `data`
plus mode `callback`; a bank transfer mode `banktransfer` with the one-time account; USSD
`data.payment_code` and mode `ussd` with the code to dial in `note`. Whatever the shape,
nothing is paid until a verified transaction says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api_server.common.money import checkout_amount, to_major
from api_server.payments.gateways import Customer, GatewayError
from api_server.payments.methods import USSD_BANKS, DirectCharge
from api_server.payments.queries import PaymentRow

# Flutterwave publishes no timeout for a mobile money prompt; networks end theirs within
# minutes. The reservation of an unanswered prompt is held this long, or PAYMENT_TTL_SECONDS
# when that is shorter (our choice, docs/architecture.md "Paying in Africa").
PROMPT_WINDOW = timedelta(minutes=10)
# `expires` of a bank transfer's account: at most a year (Flutterwave's Node SDK schema).
MAX_TRANSFER_SECONDS = 31_536_000


def charge_body(
    payment: PaymentRow,
    charge: DirectCharge,
    customer: Customer,
    redirect_url: str,
    ttl_seconds: int,
) -> dict[str, Any]:
    """The JSON of the charge: the common fields and those its type requires."""
    payer = payment.get("payer") or {}
    body: dict[str, Any] = {
        "tx_ref": str(payment["id"]),
        "amount": checkout_amount(payment["amount"], payment["currency"]),
        "currency": payment["currency"],
        "email": customer.email,
        "redirect_url": redirect_url,
        "meta": {"payment_id": str(payment["id"]), "listing_id": str(payment["listing_id"])},
    }
    if customer.name:
        body["fullname"] = customer.name
    if payer.get("phone_number"):
        # E.164 without its plus, as Flutterwave's own examples write numbers.
        body["phone_number"] = str(payer["phone_number"]).lstrip("+")
    if payer.get("network"):
        body["network"] = payer["network"]
    if charge.sends_country and payer.get("country"):
        body["country"] = payer["country"]
    if charge.charge_type == "ussd":
        body["account_bank"] = payer["bank"]
    if charge.charge_type == "bank_transfer":
        # The account lives as long as the reservation: a transfer after it is late.
        body["is_permanent"] = False
        body["expires"] = max(1, min(MAX_TRANSFER_SECONDS, ttl_seconds))
    return body


def instruction(
    payment: PaymentRow, charge: DirectCharge, answer: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], datetime | None]:
    """What the buyer must do next, and until when the charge can be completed."""
    data = _object(answer.get("data"))
    auth = _object(_object(answer.get("meta")).get("authorization"))
    mode = str(auth.get("mode") or "")
    payer = payment.get("payer") or {}
    amount = f"{to_major(payment['amount'], payment['currency'])} {payment['currency']}"
    if charge.charge_type == "bank_transfer":
        if mode != "banktransfer" or not auth.get("transfer_account"):
            raise GatewayError("unavailable", "Flutterwave gave no account to transfer to.")
        until = _expiry(auth.get("account_expiration"))
        return {
            "type": "bank_transfer",
            "account_number": str(auth["transfer_account"]),
            "bank_name": str(auth.get("transfer_bank") or ""),
            "amount": str(auth.get("transfer_amount") or to_major(payment["amount"], "NGN")),
            "currency": payment["currency"],
            "reference": auth.get("transfer_reference"),
            "note": auth.get("transfer_note"),
            "expires_at": until.isoformat() if until else None,
            "message": f"Transfer exactly {amount} to this account before it expires.",
        }, until
    if charge.charge_type == "ussd":
        code = auth.get("note")
        if mode != "ussd" or not code:
            raise GatewayError("unavailable", "Flutterwave gave no USSD code to dial.")
        bank = str(payer.get("bank") or "")
        return {
            "type": "dial_ussd",
            "code": str(code),
            "payment_code": str(data.get("payment_code") or "") or None,
            "bank": bank,
            "bank_name": USSD_BANKS.get(bank),
            "message": f"Dial {code} from the phone registered with your bank to pay {amount}.",
        }, None
    phone = payer.get("phone_number")
    return {
        "type": "approve_on_phone",
        "phone_number": phone,
        "network": payer.get("network"),
        # Ghana, Uganda, Rwanda, Zambia: the page where the customer enters the OTP first.
        "authorize_url": auth.get("redirect") if mode == "redirect" else None,
        "message": f"Approve the payment of {amount} in the prompt sent to {phone}.",
    }, now + PROMPT_WINDOW


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _expiry(value: Any) -> datetime | None:
    """`account_expiration` as Flutterwave's samples write it: epoch milliseconds (the SDK
    sample) or a "YYYY-MM-DD HH:MM:SS" / ISO time; None when it is neither."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            return None
        # A time without a zone: Flutterwave does not say which; read as UTC, and the
        # reservation's own expiry still bounds the window.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
