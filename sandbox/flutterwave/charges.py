"""Direct charges (`POST /v3/charges`) as the stand-in models them: the charge, its
transactions and the answers Flutterwave documents for each type. No HTTP, no store.

The answer shapes are the "Sample Response" blocks of Flutterwave's Node SDK documentation
(github.com/Flutterwave/Node-v3 `documentation/collections.md`); docs/sandboxes.md ("Direct
charges") lists what is Flutterwave's and what is the sandbox's choice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from sandbox.flutterwave.charge_rules import ChargeType
from sandbox.flutterwave.checkout import APP_FEE_RATE, CENT, iso, with_query
from sandbox.flutterwave.rules import Obj, number

# Not published: Flutterwave documents no failure texts; these are the sandbox's.
APPROVED = "Approved. Successful"
DECLINED = "Declined by customer"
TIMED_OUT = "Transaction timed out"
# The customer's answers on the mobile money page: (transaction status, processor_response).
PAGE_OUTCOMES = {"approved": ("successful", APPROVED), "declined": ("failed", DECLINED)}
# The third-party bank-transfer webhook capture shows processor_response 'success'.
TRANSFER_RECEIVED = "success"
# Generic prefix for every bank: the docs say the code "vary by bank" and list none.
USSD_PREFIX = "*889*767*"
# What a charge answers while pending (from the samples where one is published).
PENDING_RESPONSE = {
    "mpesa": "Successful",
    "mobile_money_tanzania": "Payment Request has been Accepted Successfully Waiting for "
    "Confirmation",
}
IN_PROGRESS = "Transaction in progress"  # the franco and USSD samples
# Types whose initiation answer carries `data` (the pending transaction), per the samples.
ANSWERS_DATA = ("mpesa", "mobile_money_tanzania", "mobile_money_franco", "ussd")
# Types whose customer approves on a page Flutterwave hosts (`meta.authorization.redirect`).
REDIRECTED = (
    "mobile_money_ghana",
    "mobile_money_uganda",
    "mobile_money_rwanda",
    "mobile_money_zambia",
)
# The fields of a pending `data` in the samples (section "Charge" of each method).
_INITIATION_FIELDS = (
    "id",
    "tx_ref",
    "flw_ref",
    "device_fingerprint",
    "amount",
    "charged_amount",
    "app_fee",
    "merchant_fee",
    "processor_response",
    "auth_model",
    "currency",
    "ip",
    "narration",
    "status",
    "payment_type",
    "fraud_status",
    "charge_type",
    "created_at",
    "account_id",
    "customer",
)


@dataclass
class DirectCharge:
    """One `POST /v3/charges` and the transactions the customer's actions produced."""

    kind: ChargeType
    spec: Obj  # sandbox.flutterwave.charge_rules.checked_charge
    created_at: float
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    transactions: list[int] = field(default_factory=list)  # ids, oldest first
    # bank transfer: the one-time account, as meta.authorization shows it
    account: Obj | None = None

    @property
    def tx_ref(self) -> str:
        return str(self.spec["tx_ref"])

    @property
    def expires_at(self) -> float | None:
        expires = self.spec["expires"]
        return None if expires is None else self.created_at + expires

    def open_account(self) -> None:
        """The test-mode account of the bank-transfer sample ("Mock Bank", "Mock note")."""
        ms = int(self.created_at * 1000)
        expires_at = self.expires_at
        assert expires_at is not None
        self.account = {
            "transfer_reference": f"MockFLWRef-{ms}",
            "transfer_account": "".join(secrets.choice("0123456789") for _ in range(10)),
            "transfer_bank": "Mock Bank",
            # Epoch milliseconds, as in the SDK's sample (`1689847855598`).
            "account_expiration": int(expires_at * 1000),
            "transfer_note": "Mock note",
            "transfer_amount": f"{self.spec['amount']:.2f}",
            "mode": "banktransfer",
        }

    def authorization(self, base_url: str, payment_code: int | None) -> Obj | None:
        """`meta.authorization` of the initiation answer, for the types that have one."""
        name = self.kind.name
        if name in REDIRECTED:
            return {"mode": "redirect", "redirect": f"{base_url}/momo/{self.token}"}
        if name == "mobile_money_franco":
            return {"mode": "callback", "redirect_url": None}
        if name == "bank_transfer":
            return self.account
        if name == "ussd":
            return {"mode": "ussd", "note": f"{USSD_PREFIX}{payment_code}#"}
        return None


def charge_transaction(txn_id: int, charge: DirectCharge, amount: Decimal, now: float) -> Obj:
    """A pending transaction of `charge`, shaped like verify's `data` (major units)."""
    spec, kind = charge.spec, charge.kind
    txn: Obj = {
        "id": txn_id,
        "tx_ref": charge.tx_ref,
        "flw_ref": f"FLW-MOCK-{secrets.token_hex(16)}",
        "device_fingerprint": "N/A",
        "amount": number(amount),
        "currency": spec["currency"],
        "charged_amount": number(amount),
        "app_fee": number((amount * APP_FEE_RATE).quantize(CENT, ROUND_HALF_UP)),
        "merchant_fee": 0,
        "processor_response": PENDING_RESPONSE.get(kind.name, IN_PROGRESS),
        "auth_model": kind.auth_model,
        "ip": "127.0.0.1",
        "narration": "FLW-PBF MPESA Transaction "
        if kind.name == "mpesa"
        else f"{kind.payment_type.upper()} Transaction",
        "status": "pending",
        "payment_type": kind.payment_type,
        "fraud_status": "ok",
        "charge_type": "normal",
        "created_at": iso(now),
        "account_id": 17321,
        "amount_settled": 0,
        "amount_refunded": 0,
        "meta": spec["meta"],
        "customer": {
            "id": 200_000 + txn_id % 100_000,
            "name": spec["fullname"] or "Anonymous",
            "phone_number": spec["phone_number"],
            "email": spec["email"],
            "created_at": iso(now),
        },
    }
    if kind.name == "ussd":
        txn["payment_code"] = str(txn_id)  # the sample's payment_code equals its data.id
    return txn


def settle(txn: Obj, status: str, processor_response: str) -> None:
    """The customer's answer (or the money's arrival) decides a pending transaction."""
    txn["status"] = status
    txn["processor_response"] = processor_response
    if status == "successful":
        paid = Decimal(str(txn["amount"])) - Decimal(str(txn["app_fee"]))
        txn["amount_settled"] = number(paid)


def initiation_answer(charge: DirectCharge, pending: Obj | None, base_url: str) -> Obj:
    """The documented `{"status", "message": "Charge initiated", data?, meta?}` of a type."""
    answer: Obj = {"status": "success", "message": "Charge initiated"}
    if pending is not None and charge.kind.name in ANSWERS_DATA:
        data = {name: pending[name] for name in _INITIATION_FIELDS}
        if charge.kind.name == "mpesa":
            data["auth_url"] = "N/A"  # in the M-PESA sample
        if charge.kind.name == "ussd":
            data["payment_code"] = pending["payment_code"]
        answer["data"] = data
    authorization = charge.authorization(base_url, pending["id"] if pending else None)
    if authorization is not None:
        answer["meta"] = {"authorization": authorization}
    return answer


def charge_status(transactions: list[Obj]) -> str:
    """A charge is successful once any of its transactions is, else as its latest says."""
    if any(t["status"] == "successful" for t in transactions):
        return "successful"
    return transactions[-1]["status"] if transactions else "pending"


def summary(charge: DirectCharge, transactions: list[Obj], base_url: str, now: float) -> Obj:
    """GET /_sandbox/charges/{tx_ref}: the charge as the sandbox holds it."""
    expires_at = charge.expires_at
    first = transactions[0]["id"] if transactions and charge.kind.name == "ussd" else None
    return {
        "tx_ref": charge.tx_ref,
        "type": charge.kind.name,
        "status": charge_status(transactions),
        "amount": number(charge.spec["amount"]),
        "currency": charge.spec["currency"],
        "created_at": iso(charge.created_at),
        "expires_at": None if expires_at is None else iso(expires_at),
        "expired": expires_at is not None and now >= expires_at,
        "authorization": charge.authorization(base_url, first),
        "transactions": transactions,
    }


def page_result(
    charge: DirectCharge, status: str, txn_id: int | None, *, stay: bool = False
) -> Obj:
    """One visit of the mobile money page. After an answer the customer goes back to the
    charge's `redirect_url`, when it sent one, with the hosted checkout's parameters (not
    published for mobile money: the sandbox's choice)."""
    redirect_url = charge.spec["redirect_url"]
    redirect = None
    if redirect_url and not stay:
        query: Obj = {"status": status, "tx_ref": charge.tx_ref}
        if txn_id is not None and status == "successful":
            query["transaction_id"] = txn_id
        redirect = with_query(redirect_url, query)
    return {
        "status": status,
        "tx_ref": charge.tx_ref,
        "transaction_id": txn_id,
        "redirect": redirect,
    }


def momo_page(path: str, result: Obj) -> str:
    """The prompt, for people: the OTP the docs give for test mode and the two answers."""
    links = "".join(f'<li><a href="{path}?outcome={o}">{o}</a></li>' for o in PAGE_OUTCOMES)
    state = escape(str(result["status"]))
    return (
        "<!doctype html><title>Sandbox mobile money</title>"
        f"<h1>Authorize {escape(str(result['tx_ref']))}</h1><p>Status: {state}.</p>"
        "<p>Enter the OTP (123456 in test mode), then approve or decline on the phone:</p>"
        f"<ul>{links}</ul>"
    )
