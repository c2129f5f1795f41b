"""POST /v3/charges?type=...: rules, answer shapes, the customer's controls and the page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.harness.standalone import WebhookReceiver
from tests.running import running
from tests.sandbox.flutterwave.support import (
    NOT_FOUND,
    SECRET_HASH,
    SECRET_KEY,
    TIMEOUT,
    Clock,
    api,
    control,
    create_payment,
    hooks_for,
    payment_body,
    settled_events,
    verified,
)

# A valid body per type, from the examples of Flutterwave's direct-charge pages.
BODIES: dict[str, dict[str, Any]] = {
    "mpesa": {"currency": "KES", "phone_number": "254709929220"},
    "mobile_money_ghana": {"currency": "GHS", "phone_number": "054709929220", "network": "MTN"},
    "mobile_money_uganda": {"currency": "UGX", "phone_number": "054709929220", "network": "MTN"},
    "mobile_money_rwanda": {"currency": "RWF", "phone_number": "054709929220"},
    "mobile_money_zambia": {"currency": "ZMW", "phone_number": "054709929220", "network": "MTN"},
    "mobile_money_tanzania": {"currency": "TZS", "phone_number": "0782835136"},
    "mobile_money_franco": {
        "currency": "XAF",
        "phone_number": "23700000020",
        "network": "MTN",
        "country": "CM",
    },
    "bank_transfer": {"currency": "NGN", "phone_number": "+2349012345678"},
    "ussd": {"currency": "NGN", "account_bank": "057"},
}
PAYMENT_TYPES = {
    "mpesa": "mpesa",
    "mobile_money_ghana": "mobilemoneygh",
    "mobile_money_uganda": "mobilemoneyuganda",
    "mobile_money_rwanda": "mobilemoneyrwanda",
    "mobile_money_zambia": "mobilemoneyzambia",
    "mobile_money_tanzania": "mobilemoneytz",
    "mobile_money_franco": "mobilemoneysn",
    "bank_transfer": "bank_transfer",
    "ussd": "ussd",
}
PROMPTED = [t for t in BODIES if t != "bank_transfer"]
REDIRECTED = ["mobile_money_ghana", "mobile_money_uganda", "mobile_money_rwanda"]
REDIRECTED.append("mobile_money_zambia")


def charge_body(kind: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tx_ref": f"ch-{uuid.uuid4().hex[:12]}",
        "amount": 1500,
        "email": "buyer@example.com",
        "fullname": "Ada Buyer",
        **BODIES[kind],
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def charge(sandbox: FlutterwaveSandbox, kind: str, **overrides: Any) -> tuple[str, dict[str, Any]]:
    body = charge_body(kind, **overrides)
    resp = api(sandbox, "POST", "/v3/charges", params={"type": kind}, json=body)
    assert resp.status_code == 200, resp.text
    return body["tx_ref"], resp.json()


def refused(sandbox: FlutterwaveSandbox, kind: str | None, **overrides: Any) -> str:
    params = {} if kind is None else {"type": kind}
    body = charge_body(kind if kind in BODIES else "mpesa", **overrides)
    resp = api(sandbox, "POST", "/v3/charges", params=params, json=body)
    assert resp.status_code == 400, resp.text
    answer = resp.json()
    assert answer["status"] == "error" and answer["data"] is None
    return str(answer["message"])


def act(sandbox: FlutterwaveSandbox, tx_ref: str, action: str, **body: Any) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/_sandbox/charges/{tx_ref}/{action}", json=body or None, timeout=TIMEOUT
    )


def done(sandbox: FlutterwaveSandbox, tx_ref: str, action: str, **body: Any) -> dict[str, Any]:
    resp = act(sandbox, tx_ref, action, **body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def by_reference(sandbox: FlutterwaveSandbox, tx_ref: str) -> requests.Response:
    return api(sandbox, "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref})


def momo(link: str, outcome: str | None = None) -> dict[str, Any]:
    params = {} if outcome is None else {"outcome": outcome}
    resp = requests.get(
        link, params=params, timeout=TIMEOUT, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


# rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (None, "type is required"),
        ("", "type is required"),
        ("card", "Invalid charge type: card. Use one of mpesa, mobile_money_ghana"),
        ("MPESA", "Invalid charge type: MPESA"),
        ("mobile_money_kenya", "Invalid charge type: mobile_money_kenya"),
    ],
)
def test_the_type_must_be_one_of_the_documented_ones(
    sandbox: FlutterwaveSandbox, kind: str | None, message: str
) -> None:
    assert refused(sandbox, kind).startswith(message)


@pytest.mark.parametrize("kind", list(BODIES))
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("tx_ref", "tx_ref is required"),
        ("amount", "amount is required and must be a number"),
        ("currency", "currency is required"),
        ("email", "email is required"),
    ],
)
def test_every_type_needs_tx_ref_amount_currency_and_email(
    sandbox: FlutterwaveSandbox, kind: str, missing: str, message: str
) -> None:
    body = charge_body(kind)
    del body[missing]
    resp = api(sandbox, "POST", "/v3/charges", params={"type": kind}, json=body)
    assert (resp.status_code, resp.json()) == (
        400,
        {"status": "error", "message": message, "data": None},
    )


REQUIRED_FIELDS = [(t, "phone_number") for t in PROMPTED if t != "ussd"] + [
    ("mobile_money_ghana", "network"),
    ("mobile_money_uganda", "network"),
    ("mobile_money_zambia", "network"),
    ("mobile_money_franco", "network"),
    ("mobile_money_franco", "country"),
    ("ussd", "account_bank"),
]


@pytest.mark.parametrize(("kind", "field"), REQUIRED_FIELDS)
def test_fields_each_type_requires(sandbox: FlutterwaveSandbox, kind: str, field: str) -> None:
    assert refused(sandbox, kind, **{field: None}) == f"{field} is required"


@pytest.mark.parametrize(
    "kind", ["mpesa", "mobile_money_rwanda", "mobile_money_tanzania", "bank_transfer", "ussd"]
)
def test_network_is_optional_where_the_docs_do_not_require_it(
    sandbox: FlutterwaveSandbox, kind: str
) -> None:
    charge(sandbox, kind, network=None)


@pytest.mark.parametrize(
    ("kind", "currency", "allowed"),
    [
        ("mpesa", "NGN", "KES"),
        ("mobile_money_ghana", "KES", "GHS"),
        ("mobile_money_uganda", "USD", "UGX"),
        ("mobile_money_rwanda", "UGX", "RWF"),
        ("mobile_money_zambia", "ZAR", "ZMW"),
        ("mobile_money_tanzania", "KES", "TZS"),
        ("mobile_money_franco", "EUR", "XOF or XAF"),
        ("bank_transfer", "GHS", "NGN"),
        ("ussd", "USD", "NGN"),
    ],
)
def test_currency_must_match_the_type(
    sandbox: FlutterwaveSandbox, kind: str, currency: str, allowed: str
) -> None:
    message = f"currency must be {allowed} for {kind} charges"
    assert refused(sandbox, kind, currency=currency) == message


def test_currency_is_matched_case_insensitively(sandbox: FlutterwaveSandbox) -> None:
    _, answer = charge(sandbox, "mpesa", currency="kes")
    assert answer["data"]["currency"] == "KES"


@pytest.mark.parametrize(
    ("kind", "currency", "network"),
    [
        ("mobile_money_ghana", "GHS", "VODAFONE"),
        ("mobile_money_ghana", "GHS", "Telecel"),
        ("mobile_money_ghana", "GHS", "tigo"),
        ("mobile_money_ghana", "GHS", "AIRTELTIGO"),
        ("mobile_money_uganda", "UGX", "Airtel"),
        ("mobile_money_zambia", "ZMW", "Zamtel"),
        ("mobile_money_rwanda", "RWF", "AIRTEL"),
        ("mobile_money_tanzania", "TZS", "HALOPESA"),
        ("mobile_money_tanzania", "TZS", "vodacom"),
        ("mpesa", "KES", "SAFARICOM"),
        ("mobile_money_franco", "XOF", "WAVE"),
        ("mobile_money_franco", "XAF", "ORANGEMONEY"),
    ],
)
def test_documented_networks_in_any_case(
    sandbox: FlutterwaveSandbox, kind: str, currency: str, network: str
) -> None:
    charge(sandbox, kind, currency=currency, network=network)


@pytest.mark.parametrize(
    ("kind", "currency", "network", "allowed"),
    [
        (
            "mobile_money_ghana",
            "GHS",
            "AIRTEL",
            "MTN, VODAFONE, TIGO, TELECEL, AIRTELTIGO, VODOFONE",
        ),
        ("mobile_money_uganda", "UGX", "VODAFONE", "MTN, AIRTEL"),
        ("mobile_money_zambia", "ZMW", "SAFARICOM", "MTN, AIRTEL, ZAMTEL"),
        ("mobile_money_rwanda", "RWF", "TIGO", "MTN, AIRTEL"),
        ("mpesa", "KES", "MTN", "SAFARICOM, AIRTEL"),
        ("mobile_money_tanzania", "TZS", "MTN", "HALOPESA, AIRTEL, TIGO, VODACOM, VODOFONE"),
        ("mobile_money_franco", "XAF", "WAVE", "MTN, ORANGEMONEY"),
        ("mobile_money_franco", "XOF", "AIRTEL", "WAVE, MTN, ORANGEMONEY"),
    ],
)
def test_undocumented_networks_are_refused(
    sandbox: FlutterwaveSandbox, kind: str, currency: str, network: str, allowed: str
) -> None:
    message = f"network must be one of {allowed} for {kind} in {currency}"
    assert refused(sandbox, kind, currency=currency, network=network) == message


def test_an_empty_network_is_a_missing_one(sandbox: FlutterwaveSandbox) -> None:
    assert refused(sandbox, "mobile_money_ghana", network="") == "network is required"


@pytest.mark.parametrize("phone", ["+254709929220", "054709929220"])
def test_phone_digits_with_an_optional_plus(sandbox: FlutterwaveSandbox, phone: str) -> None:
    _, answer = charge(sandbox, "mpesa", phone_number=phone)
    assert answer["data"]["customer"]["phone_number"] == phone


@pytest.mark.parametrize(
    ("kind", "phone"),
    [
        ("mpesa", "254 709 929 220"),
        ("mpesa", "+"),
        ("mpesa", "0709-929-220"),
        ("mpesa", "++254709929220"),
        ("mpesa", "1" * 51),
        ("mobile_money_ghana", "phone"),
        ("bank_transfer", "+234 901"),  # optional there, but checked when sent
    ],
)
def test_phone_number_should_be_digits(sandbox: FlutterwaveSandbox, kind: str, phone: str) -> None:
    assert refused(sandbox, kind, phone_number=phone) == "phone number should be digits"


@pytest.mark.parametrize("phone", [254709929220, ["254709929220"]])
def test_phone_number_must_be_a_string(sandbox: FlutterwaveSandbox, phone: Any) -> None:
    assert refused(sandbox, "mpesa", phone_number=phone) == "phone_number is required"


@pytest.mark.parametrize("country", ["CM", "SN", "BF", "CI", "ci"])
def test_franco_countries(sandbox: FlutterwaveSandbox, country: str) -> None:
    charge(sandbox, "mobile_money_franco", country=country)


@pytest.mark.parametrize("country", ["ML", "NG", "Cameroon"])
def test_franco_refuses_other_countries(sandbox: FlutterwaveSandbox, country: str) -> None:
    message = refused(sandbox, "mobile_money_franco", country=country)
    assert message == "country must be one of CM, SN, BF, CI for mobile_money_franco"


@pytest.mark.parametrize(
    "bank",
    ["044", "050", "070", "011", "214", "058", "030", "082", "303", "105", "221", "232", "032",
     "033", "215", "090110", "035", "057"],
)  # fmt: skip
def test_ussd_takes_the_18_documented_banks(sandbox: FlutterwaveSandbox, bank: str) -> None:
    charge(sandbox, "ussd", account_bank=bank)


@pytest.mark.parametrize("bank", ["999", "44", "0057", "101"])
def test_ussd_refuses_other_banks(sandbox: FlutterwaveSandbox, bank: str) -> None:
    message = refused(sandbox, "ussd", account_bank=bank)
    assert message == f"account_bank {bank} is not a bank that supports USSD charges"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "amount must be greater than 0"),
        (-5, "amount must be greater than 0"),
        ("lots", "amount must be a number"),
        (True, "amount is required and must be a number"),
        (1500.5, "amount must be a whole number of KES"),
        ("10.25", "amount must be a whole number of KES"),
    ],
)
def test_amount_rules(sandbox: FlutterwaveSandbox, amount: Any, message: str) -> None:
    assert refused(sandbox, "mpesa", amount=amount) == message


@pytest.mark.parametrize("email", ["user-42", "buyer@", "buyer@example", "a b@example.com"])
def test_email_must_be_an_address(sandbox: FlutterwaveSandbox, email: str) -> None:
    assert refused(sandbox, "ussd", email=email) == "email must be a valid email address"


def test_meta_must_be_an_object(sandbox: FlutterwaveSandbox) -> None:
    assert refused(sandbox, "mpesa", meta=["listing-42"]) == "meta must be an object"


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        (0, "expires must be a positive whole number of seconds"),
        (-1, "expires must be a positive whole number of seconds"),
        (10.5, "expires must be a positive whole number of seconds"),
        ("3600", "expires must be a positive whole number of seconds"),
        (31_536_001, "expires cannot be more than 31536000"),
    ],
)
def test_bank_transfer_expires(sandbox: FlutterwaveSandbox, expires: Any, message: str) -> None:
    assert refused(sandbox, "bank_transfer", expires=expires) == message


def test_permanent_accounts_are_not_modelled(sandbox: FlutterwaveSandbox) -> None:
    message = refused(sandbox, "bank_transfer", is_permanent=True)
    assert message == "is_permanent accounts are not modelled by the sandbox"
    charge(sandbox, "bank_transfer", is_permanent=False, expires=31_536_000)


def test_a_tx_ref_names_one_payment_checkout_or_charge(sandbox: FlutterwaveSandbox) -> None:
    duplicate = "Duplicate transaction reference. Please use a unique tx_ref"
    tx_ref, _ = charge(sandbox, "mpesa")
    assert refused(sandbox, "ussd", tx_ref=tx_ref) == duplicate
    checkout_ref, _ = create_payment(sandbox)
    assert refused(sandbox, "mpesa", tx_ref=checkout_ref) == duplicate
    resp = api(sandbox, "POST", "/v3/payments", json=payment_body(tx_ref=tx_ref))
    assert resp.status_code == 400 and resp.json()["message"] == duplicate


def test_charges_need_the_secret_key(sandbox: FlutterwaveSandbox) -> None:
    resp = api(sandbox, "POST", "/v3/charges", key="wrong", params={"type": "mpesa"}, json={})
    assert (resp.status_code, resp.json()) == (
        401,
        {"status": "error", "message": "Authorization required", "data": None},
    )


# answer shapes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payment_type", "auth_model", "response"),
    [
        ("mpesa", "mpesa", "LIPA_MPESA", "Successful"),
        (
            "mobile_money_tanzania",
            "mobilemoneytz",
            "MOBILEMONEY",
            "Payment Request has been Accepted Successfully Waiting for Confirmation",
        ),
    ],
)
def test_mpesa_and_tanzania_answer_pending_data_without_meta(
    sandbox: FlutterwaveSandbox, kind: str, payment_type: str, auth_model: str, response: str
) -> None:
    tx_ref, answer = charge(sandbox, kind)
    assert set(answer) == {"status", "message", "data"}
    assert (answer["status"], answer["message"]) == ("success", "Charge initiated")
    data = answer["data"]
    assert (data["tx_ref"], data["status"], data["payment_type"]) == (
        tx_ref,
        "pending",
        payment_type,
    )
    assert (data["auth_model"], data["processor_response"]) == (auth_model, response)
    assert (data["amount"], data["charged_amount"], data["currency"]) == (
        1500,
        1500,
        BODIES[kind]["currency"],
    )
    assert isinstance(data["id"], int) and data["flw_ref"]
    assert data["customer"]["email"] == "buyer@example.com"
    assert data["customer"]["name"] == "Ada Buyer"
    assert data["customer"]["phone_number"] == BODIES[kind]["phone_number"]


@pytest.mark.parametrize("kind", REDIRECTED)
def test_redirect_types_answer_only_an_authorization(
    sandbox: FlutterwaveSandbox, kind: str
) -> None:
    _, answer = charge(sandbox, kind)
    assert set(answer) == {"status", "message", "meta"}
    authorization = answer["meta"]["authorization"]
    assert authorization["mode"] == "redirect"
    assert authorization["redirect"].startswith(f"{sandbox.url}/momo/")


def test_franco_answers_pending_data_and_a_callback(sandbox: FlutterwaveSandbox) -> None:
    _, answer = charge(sandbox, "mobile_money_franco")
    assert answer["data"]["status"] == "pending"
    assert answer["data"]["payment_type"] == "mobilemoneysn"
    assert answer["data"]["processor_response"] == "Transaction in progress"
    assert answer["meta"] == {"authorization": {"mode": "callback", "redirect_url": None}}


def test_bank_transfer_answers_the_one_time_account(
    sandbox: FlutterwaveSandbox, clock: Clock
) -> None:
    _, answer = charge(sandbox, "bank_transfer", amount=1500, expires=600)
    assert set(answer) == {"status", "message", "meta"}
    account = answer["meta"]["authorization"]
    assert set(account) == {
        "mode",
        "transfer_reference",
        "transfer_account",
        "transfer_bank",
        "account_expiration",
        "transfer_note",
        "transfer_amount",
    }
    assert account["mode"] == "banktransfer" and account["transfer_bank"] == "Mock Bank"
    assert account["transfer_reference"].startswith("MockFLWRef-")
    assert len(account["transfer_account"]) == 10 and account["transfer_account"].isdigit()
    assert account["account_expiration"] == int((clock.now + 600) * 1000)
    assert account["transfer_note"] == "Mock note" and account["transfer_amount"] == "1500.00"


def test_bank_transfer_expires_in_an_hour_by_default(
    sandbox: FlutterwaveSandbox, clock: Clock
) -> None:
    _, answer = charge(sandbox, "bank_transfer")
    assert answer["meta"]["authorization"]["account_expiration"] == int((clock.now + 3600) * 1000)


def test_ussd_answers_the_payment_code_and_the_string_to_dial(
    sandbox: FlutterwaveSandbox,
) -> None:
    _, answer = charge(sandbox, "ussd")
    data = answer["data"]
    assert data["status"] == "pending" and data["payment_type"] == "ussd"
    assert data["auth_model"] == "USSD" and data["payment_code"] == str(data["id"])
    assert answer["meta"] == {
        "authorization": {"mode": "ussd", "note": f"*889*767*{data['payment_code']}#"}
    }


# controls, verify and webhooks ----------------------------------------------


@pytest.mark.parametrize("kind", PROMPTED)
def test_approve_settles_the_charge_verifiably_with_a_webhook(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver, kind: str
) -> None:
    tx_ref, answer = charge(sandbox, kind, meta={"listing_id": "listing-42"})
    pending = by_reference(sandbox, tx_ref).json()["data"]
    assert pending["status"] == "pending"
    if "data" in answer:
        assert pending["id"] == answer["data"]["id"]
    approved = done(sandbox, tx_ref, "approve")
    assert approved["id"] == pending["id"] and approved["event_id"].startswith("fwevt_")
    assert (approved["status"], approved["amount"]) == ("successful", 1500)
    assert approved["payment_type"] == PAYMENT_TYPES[kind]
    assert approved["processor_response"] == "Approved. Successful"
    data = verified(sandbox, approved["id"])
    assert {k: data[k] for k in ("tx_ref", "status", "amount", "currency", "meta")} == {
        "tx_ref": tx_ref,
        "status": "successful",
        "amount": 1500,
        "currency": BODIES[kind]["currency"],
        "meta": {"listing_id": "listing-42"},
    }
    assert by_reference(sandbox, tx_ref).json()["data"]["id"] == approved["id"]
    [hook] = hooks_for(receiver, tx_ref)
    assert hook["event"] == "charge.completed" and hook["data"]["status"] == "successful"
    assert hook["data"]["id"] == approved["id"]
    expected = "USSD_TRANSACTION" if kind == "ussd" else "MOBILEMONEY_TRANSACTION"
    assert hook["event.type"] == expected


@pytest.mark.parametrize(
    ("action", "response"),
    [("decline", "Declined by customer"), ("timeout", "Transaction timed out")],
)
def test_decline_and_timeout_fail_the_transaction(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver, action: str, response: str
) -> None:
    tx_ref, answer = charge(sandbox, "mpesa")
    failed = done(sandbox, tx_ref, action)
    assert failed["id"] == answer["data"]["id"]
    assert (failed["status"], failed["processor_response"]) == ("failed", response)
    assert verified(sandbox, failed["id"])["status"] == "failed"
    [hook] = hooks_for(receiver, tx_ref)
    assert hook["data"]["status"] == "failed"
    refund = api(sandbox, "POST", f"/v3/transactions/{failed['id']}/refund", json={})
    assert refund.json()["message"] == "Only successful transactions can be refunded"


def test_a_failed_prompt_can_be_answered_again_once_approved_never(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, answer = charge(sandbox, "mobile_money_franco")
    declined = done(sandbox, tx_ref, "decline")
    approved = done(sandbox, tx_ref, "approve")
    assert approved["id"] != declined["id"] == answer["data"]["id"]
    assert by_reference(sandbox, tx_ref).json()["data"]["id"] == approved["id"]
    for action in ("approve", "decline", "timeout"):
        again = act(sandbox, tx_ref, action)
        assert again.status_code == 409
        assert again.json() == {
            "error": f"{tx_ref} was already approved: a prompt is answered once"
        }
    hooks_for(receiver, tx_ref, 2)
    summary = control(sandbox, "GET", f"charges/{tx_ref}")
    assert summary["status"] == "successful"
    assert [t["status"] for t in summary["transactions"]] == ["failed", "successful"]


def test_controls_refuse_what_the_charge_cannot_do(sandbox: FlutterwaveSandbox) -> None:
    transfer_ref, _ = charge(sandbox, "bank_transfer")
    momo_ref, _ = charge(sandbox, "mpesa")
    for action in ("approve", "decline", "timeout"):
        resp = act(sandbox, transfer_ref, action)
        assert resp.status_code == 400 and "has no prompt" in resp.json()["error"]
        assert act(sandbox, "never-made", action).status_code == 404
    wrong = act(sandbox, momo_ref, "transfer", amount="1500.00")
    assert wrong.status_code == 400
    assert (
        wrong.json()["error"]
        == f"{momo_ref} is a mpesa charge: only bank_transfer charges take transfers"
    )
    assert act(sandbox, "never-made", "transfer", amount=1).status_code == 404
    missing = requests.get(f"{sandbox.url}/_sandbox/charges/never-made", timeout=TIMEOUT)
    assert missing.status_code == 404
    for bad in ({"amount": "lots"}, {"amount": 0}, {}, {"amount": "1500.50"}):
        assert act(sandbox, transfer_ref, "transfer", **bad).status_code == 400
    assert act(sandbox, momo_ref, "approve", deliver="yes").status_code == 400
    assert by_reference(sandbox, transfer_ref).json() == NOT_FOUND


def test_bank_transfers_short_over_twice_and_late(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver, clock: Clock
) -> None:
    tx_ref, _ = charge(sandbox, "bank_transfer", amount=1500, expires=600)
    assert by_reference(sandbox, tx_ref).json() == NOT_FOUND  # no money yet
    short = done(sandbox, tx_ref, "transfer", amount="1000.00")
    assert (short["status"], short["amount"], short["late"]) == ("successful", 1000, False)
    assert short["payment_type"] == "bank_transfer" and short["currency"] == "NGN"
    clock.advance(601)
    over = done(sandbox, tx_ref, "transfer", amount=2000)
    assert (over["amount"], over["charged_amount"], over["late"]) == (2000, 2000, True)
    assert over["id"] != short["id"]
    assert "late" not in verified(sandbox, over["id"])
    assert by_reference(sandbox, tx_ref).json()["data"]["id"] == over["id"]
    hooks = hooks_for(receiver, tx_ref, 2)
    assert [h["data"]["amount"] for h in hooks] == [1000, 2000]
    assert {h["event.type"] for h in hooks} == {"BANK_TRANSFER_TRANSACTION"}
    assert all("late" not in h["data"] for h in hooks)
    summary = control(sandbox, "GET", f"charges/{tx_ref}")
    assert (summary["type"], summary["status"], summary["expired"]) == (
        "bank_transfer",
        "successful",
        True,
    )
    assert [t["amount"] for t in summary["transactions"]] == [1000, 2000]


def test_a_bank_transfer_transaction_can_be_refunded(sandbox: FlutterwaveSandbox) -> None:
    tx_ref, _ = charge(sandbox, "bank_transfer", amount=1500)
    paid = done(sandbox, tx_ref, "transfer", amount="2000.00")
    refund = api(
        sandbox,
        "POST",
        f"/v3/transactions/{paid['id']}/refund",
        json={"amount": 500, "comments": "overpaid"},
    )
    assert refund.status_code == 200, refund.text
    assert refund.json()["data"]["amount_refunded"] == 500
    assert verified(sandbox, paid["id"])["amount_refunded"] == 500
    listed = api(sandbox, "GET", "/v3/refunds", params={"id": paid["id"]}).json()["data"]
    assert [(r["transaction_id"], r["amount_refunded"]) for r in listed] == [(paid["id"], 500)]


def test_deliver_false_records_the_event_without_sending_it(
    sandbox: FlutterwaveSandbox,
) -> None:
    tx_ref, _ = charge(sandbox, "ussd")
    approved = done(sandbox, tx_ref, "approve", deliver=False)
    [event] = control(sandbox, "GET", f"events?match={tx_ref}")
    assert event["id"] == approved["event_id"] and not event["attempts"]
    assert not event["delivered"] and not event["paused"]
    assert event["body"]["data"]["status"] == "successful"
    assert control(sandbox, "POST", f"events/{event['id']}/deliver")["status"] == 200


def test_webhook_controls_apply_to_charge_events(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    paused, _ = charge(sandbox, "mpesa")
    dropped, _ = charge(sandbox, "bank_transfer")
    flaky, _ = charge(sandbox, "mobile_money_ghana")
    control(sandbox, "POST", "webhooks/pause", match=paused)
    control(sandbox, "POST", "webhooks/drop", count=1, match=dropped)
    control(sandbox, "POST", "webhooks/fail", count=1, match=flaky)
    done(sandbox, paused, "approve")
    done(sandbox, dropped, "transfer", amount=1500)
    done(sandbox, flaky, "approve")
    hooks_for(receiver, flaky)
    [flaky_event] = settled_events(sandbox, flaky)
    assert [a["status"] for a in flaky_event["attempts"]] == [None, 200]
    [lost] = control(sandbox, "GET", f"events?match={dropped}")
    assert lost["dropped"] and not lost["delivered"]
    [held] = control(sandbox, "GET", f"events?match={paused}")
    assert held["paused"] and not held["attempts"]
    control(sandbox, "POST", "webhooks/resume")
    hooks_for(receiver, paused)


def test_the_charge_summary(sandbox: FlutterwaveSandbox, clock: Clock) -> None:
    tx_ref, answer = charge(sandbox, "ussd")
    summary = control(sandbox, "GET", f"charges/{tx_ref}")
    assert {k: summary[k] for k in ("tx_ref", "type", "status", "amount", "currency")} == {
        "tx_ref": tx_ref,
        "type": "ussd",
        "status": "pending",
        "amount": 1500,
        "currency": "NGN",
    }
    assert summary["expires_at"] is None and summary["expired"] is False
    assert summary["authorization"] == answer["meta"]["authorization"]
    assert [t["id"] for t in summary["transactions"]] == [answer["data"]["id"]]
    done(sandbox, tx_ref, "timeout")
    assert control(sandbox, "GET", f"charges/{tx_ref}")["status"] == "failed"
    transfer_ref, _ = charge(sandbox, "bank_transfer", expires=60)
    summary = control(sandbox, "GET", f"charges/{transfer_ref}")
    assert summary["status"] == "pending" and summary["transactions"] == []
    assert summary["expires_at"] == "2023-11-14T22:14:20.000Z"  # clock.now + 60


# the mobile money page --------------------------------------------------------


def test_the_page_shows_the_prompt_and_takes_the_customers_answer(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, answer = charge(sandbox, "mobile_money_uganda")
    link = answer["meta"]["authorization"]["redirect"]
    page = requests.get(link, timeout=TIMEOUT)
    assert page.status_code == 200 and "123456" in page.text and "outcome=approved" in page.text
    assert momo(link) == {
        "status": "pending",
        "tx_ref": tx_ref,
        "transaction_id": None,
        "redirect": None,
    }
    declined = momo(link, "declined")
    assert declined["status"] == "failed" and declined["redirect"] is None
    assert (
        verified(sandbox, declined["transaction_id"])["processor_response"]
        == "Declined by customer"
    )
    approved = momo(link, "approved")
    assert approved["status"] == "successful"
    assert verified(sandbox, approved["transaction_id"])["status"] == "successful"
    assert momo(link, "approved")["transaction_id"] == approved["transaction_id"]  # paid once
    assert len(hooks_for(receiver, tx_ref, 2)) == 2
    bad = requests.get(link, params={"outcome": "maybe"}, timeout=TIMEOUT)
    assert bad.status_code == 400
    unknown = requests.get(f"{sandbox.url}/momo/nope", timeout=TIMEOUT)
    assert unknown.status_code == 404


def test_the_page_sends_the_customer_back_to_redirect_url(sandbox: FlutterwaveSandbox) -> None:
    tx_ref, answer = charge(
        sandbox, "mobile_money_ghana", redirect_url="http://app.test/return?order=7"
    )
    link = answer["meta"]["authorization"]["redirect"]
    resp = requests.get(
        link, params={"outcome": "approved"}, timeout=TIMEOUT, allow_redirects=False
    )
    assert resp.status_code == 302
    txn = by_reference(sandbox, tx_ref).json()["data"]
    assert resp.headers["Location"] == (
        f"http://app.test/return?order=7&status=successful&tx_ref={tx_ref}&transaction_id={txn['id']}"
    )


def test_controls_off_keep_charges_and_the_page_but_not_the_controls(
    receiver: WebhookReceiver,
) -> None:
    box = FlutterwaveSandbox(
        secret_key=SECRET_KEY, webhook_secret=SECRET_HASH, webhook_url=receiver.url, controls=False
    )
    with running(box):
        tx_ref, answer = charge(box, "mobile_money_zambia")
        transfer_ref, _ = charge(box, "bank_transfer")
        for method, path in [
            ("GET", f"charges/{tx_ref}"),
            ("POST", f"charges/{tx_ref}/approve"),
            ("POST", f"charges/{tx_ref}/decline"),
            ("POST", f"charges/{tx_ref}/timeout"),
            ("POST", f"charges/{transfer_ref}/transfer"),
        ]:
            resp = requests.request(method, f"{box.url}/_sandbox/{path}", json={}, timeout=TIMEOUT)
            assert resp.status_code == 404, (method, path, resp.text)
        paid = momo(answer["meta"]["authorization"]["redirect"], "approved")
        assert verified(box, paid["transaction_id"])["payment_type"] == "mobilemoneyzambia"
        hooks_for(receiver, tx_ref)


def test_a_transaction_id_of_five_thousand_digits_is_not_found_not_a_crash(sandbox) -> None:
    # /tmp/atk2: int() of a 5,000-digit string raised, and verify answered 500.
    answer = requests.get(
        f"{sandbox.url}/v3/transactions/{'9' * 5000}/verify",
        headers={"Authorization": f"Bearer {sandbox.secret_key}"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["status"] == "error"
