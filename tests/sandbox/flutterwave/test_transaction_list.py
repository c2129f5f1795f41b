"""GET /v3/transactions: every transaction of the account, filtered as Flutterwave's SDK
documents (tx_ref, status, currency, customer, dates), newest first, in pages of ten."""

from __future__ import annotations

import pytest

from sandbox.flutterwave import FlutterwaveSandbox
from tests.sandbox.flutterwave.support import api, create_payment, pay


def _listed(sandbox: FlutterwaveSandbox, **params: object) -> dict:
    resp = api(sandbox, "GET", "/v3/transactions", params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success"
    return body


def test_every_transaction_of_one_tx_ref_newest_first(sandbox: FlutterwaveSandbox):
    tx_ref, link = create_payment(sandbox)
    failed = pay(link, "failed")["transaction_id"]
    paid = pay(link, "successful")["transaction_id"]
    create_payment(sandbox)  # another tx_ref, filtered out
    pay(create_payment(sandbox)[1], "successful")
    body = _listed(sandbox, tx_ref=tx_ref)
    assert [t["id"] for t in body["data"]] == [paid, failed]
    assert body["meta"]["page_info"] == {
        "total": 2,
        "current_page": 1,
        "total_pages": 1,
        "page_size": 10,
    }
    verified = api(sandbox, "GET", f"/v3/transactions/{paid}/verify").json()["data"]
    assert body["data"][0] == verified  # listed as verify shows it


def test_an_unknown_tx_ref_lists_nothing(sandbox: FlutterwaveSandbox):
    body = _listed(sandbox, tx_ref="tx-nobody-paid")
    assert body["data"] == [] and body["meta"]["page_info"]["total"] == 0


def test_filtered_by_status_currency_customer_and_dates(sandbox: FlutterwaveSandbox):
    tx_ref, link = create_payment(sandbox)
    pay(link, "failed")
    pay(link, "successful")
    day = _listed(sandbox, tx_ref=tx_ref)["data"][0]["created_at"][:10]

    def count(**params: str) -> int:
        return len(_listed(sandbox, tx_ref=tx_ref, **params)["data"])

    assert count(status="successful") == 1 and count(status="failed") == 1
    assert count(currency="ngn") == 2 and count(currency="USD") == 0
    assert count(customer_email="BUYER@example.com") == 2 and count(customer_email="x@y.z") == 0
    assert count(customer_fullname="Ada Buyer") == 2 and count(customer_fullname="Ada") == 0
    assert count(**{"from": day, "to": day}) == 2 and count(**{"from": "2999-01-01"}) == 0


def test_pages_of_ten(sandbox: FlutterwaveSandbox):
    for _ in range(11):
        pay(create_payment(sandbox, currency="KES")[1], "successful")
    first = _listed(sandbox, currency="KES")
    second = _listed(sandbox, currency="KES", page=2)
    assert first["meta"]["page_info"]["total_pages"] == 2
    assert len(first["data"]) == 10 and len(second["data"]) == 1
    assert second["data"][0]["id"] < min(t["id"] for t in first["data"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "pending"}, "status must be one of successful, failed"),
        ({"from": "07-12-2026"}, "from must be a date (YYYY-MM-DD)"),
        ({"page": "0"}, "page must be a whole number of at least 1"),
        ({"txref": "tx-1"}, "Unknown query parameter: txref"),
    ],
)
def test_refusals(sandbox: FlutterwaveSandbox, params: dict, message: str):
    resp = api(sandbox, "GET", "/v3/transactions", params=params)
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"status": "error", "message": message, "data": None}


def test_the_list_needs_the_secret_key(sandbox: FlutterwaveSandbox):
    resp = api(sandbox, "GET", "/v3/transactions", key="FLWSECK_TEST-wrong")
    assert resp.status_code == 401
