"""The objects the Stripe stand-in returns and emits, shaped as in Stripe's API reference.

Test payment methods follow docs.stripe.com/testing; object fields follow the object pages of
docs.stripe.com/api (ids where Stripe puts ids, objects where Stripe puts objects).
"""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass

from sandbox.harness.common import new_id
from sandbox.stripe.errors import Obj, stripe_error, words


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str
    message: str
    param: str | None = None


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    decline: Decline | None = None
    # 3-D Secure must be completed before the charge (docs.stripe.com/testing#regulatory-cards).
    three_ds: bool = False


_GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
_FUNDS = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
_EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")
_CVC = Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc")
_PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)

# Stripe's test-mode PaymentMethod shortcuts (docs.stripe.com/testing).
TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_visa_chargeDeclined": TestCard("visa", "0002", _GENERIC),
    "pm_card_chargeDeclined": TestCard("visa", "0002", _GENERIC),
    "pm_card_visa_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", _FUNDS),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", _FUNDS),
    "pm_card_chargeDeclinedExpiredCard": TestCard("visa", "0069", _EXPIRED),
    "pm_card_chargeDeclinedIncorrectCvc": TestCard("visa", "0127", _CVC),
    "pm_card_chargeDeclinedProcessingError": TestCard("visa", "0119", _PROCESSING),
    # "Test 3D Secure authentication" (docs.stripe.com/testing#authentication-and-setup and
    # docs.stripe.com/payments/3d-secure/authentication-flow#three-ds-cards).
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", three_ds=True),
    "pm_card_threeDSecureRequiredChargeDeclined": TestCard("visa", "1629", _GENERIC, True),
    "pm_card_threeDSecureOptional": TestCard("visa", "3055"),
    "pm_card_amex_threeDSecureNotSupported": TestCard("amex", "0005"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", three_ds=True),
    "pm_card_authenticationRequiredOnSetup": TestCard("visa", "3155", three_ds=True),
    "pm_card_authenticationRequiredSetupForOffSession": TestCard("visa", "0446", three_ds=True),
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": TestCard(
        "visa", "3178", _FUNDS, True
    ),
}

# docs.stripe.com/api/payment_intents/object: the fields marked "retrievable with publishable
# key"; a publishable-key answer carries only these ("it only returns a subset of properties").
PUBLISHABLE_FIELDS = words(
    "id amount automatic_payment_methods canceled_at cancellation_reason capture_method "
    "client_secret confirmation_method created currency description last_payment_error "
    "livemode next_action object payment_method payment_method_types processing "
    "receipt_email setup_future_usage shipping status"
)


def publishable_view(pi: Obj) -> Obj:
    return {k: v for k, v in pi.items() if k in PUBLISHABLE_FIELDS}


def payment_intent(pi_id: str, amount: int, currency: str, params: Obj, meta: Obj) -> Obj:
    automatic = params.get("automatic_payment_methods")
    enabled = isinstance(automatic, dict) and automatic.get("enabled") == "true"
    redirects = automatic.get("allow_redirects") if isinstance(automatic, dict) else None
    unused = (
        "application",
        "application_fee_amount",
        "canceled_at",
        "cancellation_reason",
        "customer",
        "last_payment_error",
        "latest_charge",
        "next_action",
        "on_behalf_of",
        "payment_method",
        "processing",
        "review",
        "shipping",
        "source",
        "statement_descriptor",
        "transfer_data",
        "transfer_group",
    )
    return {
        **dict.fromkeys(unused),
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "automatic_payment_methods": {"allow_redirects": redirects or "always", "enabled": True}
        if enabled
        else None,
        "capture_method": params.get("capture_method") or "automatic",
        "client_secret": f"{pi_id}_secret_{secrets.token_hex(12)}",
        "confirmation_method": "automatic",
        "created": int(time.time()),
        "currency": currency,
        "description": params.get("description") or None,
        "livemode": False,
        "metadata": meta,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        # docs.stripe.com/changelog/dahlia/2026-07-29: the compatible subset is reflected in
        # `payment_method_types`; the sandbox's only payment method type is the card.
        "allowed_payment_method_types": params.get("allowed_payment_method_types"),
        "payment_method_types": ["card"],
        "receipt_email": params.get("receipt_email") or None,
        "setup_future_usage": params.get("setup_future_usage") or None,
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix") or None,
        "status": "requires_payment_method",
    }


def payment_method(card: TestCard) -> Obj:
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "type": "card",
        "allow_redisplay": "unspecified",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": None,
            },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": time.gmtime().tm_year + 3,
            "funding": "credit",
            "last4": card.last4,
            "three_d_secure_usage": {"supported": card.brand != "amex"},
            "wallet": None,
        },
        "created": int(time.time()),
        "customer": None,
        "livemode": False,
        "metadata": {},
    }


def next_action(pi_id: str, return_url: str | None, challenge_url: str) -> Obj:
    """docs.stripe.com/payments/3d-secure/authentication-flow: `redirect_to_url` when the
    confirm carried a `return_url`, otherwise `use_stripe_sdk` (whose contents "are only
    intended to be used by Stripe.js")."""
    if return_url:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": challenge_url, "return_url": return_url},
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": challenge_url,
            "source": new_id("src_"),
        },
    }


def authentication_failure(method: Obj) -> Obj:
    """`last_payment_error` after a failed 3-D Secure challenge (docs.stripe.com/error-codes
    #payment-intent-authentication-failure); `payment_method` is the object, as in Stripe."""
    error = stripe_error(
        402,
        "The provided PaymentMethod has failed authentication. You can provide "
        "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
        "again.",
        code="payment_intent_authentication_failure",
    ).body["error"]
    return {**error, "payment_method": copy.deepcopy(method)}


def charge(pi: Obj, method: Obj, card: TestCard, *, authenticated: bool = False) -> Obj:
    decline = card.decline
    charge_id = new_id("ch_")
    details = dict(method["card"])
    for key in ("display_brand", "three_d_secure_usage"):
        details.pop(key, None)
    details["three_d_secure"] = (
        {
            "authentication_flow": "challenge",
            "result": "authenticated",
            "result_reason": None,
            "version": "2.2.0",
        }
        if authenticated
        else None
    )
    nulls = (
        "application",
        "application_fee",
        "application_fee_amount",
        "failure_balance_transaction",
        "on_behalf_of",
        "receipt_number",
        "review",
        "shipping",
        "source_transfer",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_data",
        "transfer_group",
    )
    return {
        **dict.fromkeys(nulls),
        "id": charge_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": 0 if decline else pi["amount"],
        "amount_refunded": 0,
        "balance_transaction": None if decline else new_id("txn_"),
        "billing_details": dict(method["billing_details"]),
        "calculated_statement_descriptor": "SANDBOX",
        "captured": decline is None,
        "created": int(time.time()),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "outcome": {
            "network_status": "declined_by_network" if decline else "approved_by_network",
            "reason": decline.decline_code if decline else None,
            "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline."
            if decline
            else "Payment complete.",
            "type": "issuer_declined" if decline else "authorized",
        },
        "paid": decline is None,
        "payment_intent": pi["id"],
        "payment_method": method["id"],
        "payment_method_details": {"type": "card", "card": details},
        "receipt_email": pi.get("receipt_email"),
        "receipt_url": None,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "status": "failed" if decline else "succeeded",
    }


def refund(charge: Obj, amount: int, reason: str | None, meta: Obj) -> Obj:
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "charge": charge["id"],
        "created": int(time.time()),
        "currency": charge["currency"],
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": meta,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def dispute(charge: Obj, reason: str) -> Obj:
    now = int(time.time())
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "evidence": {},
        "evidence_details": {
            "due_by": now + 7 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "status": "needs_response",
    }
