"""GET /v3/refunds: the refunds Flutterwave made, filtered as its reference page documents."""

from __future__ import annotations

import pytest
import requests

from sandbox.flutterwave import FlutterwaveSandbox
from tests.sandbox.flutterwave.support import SECRET_KEY, api, control, create_payment, pay


def _refunded(sandbox: FlutterwaveSandbox, *amounts: int, paid: int = 1000) -> int:
    _, link = create_payment(sandbox, amount=paid)
    txn_id = pay(link, "successful")["transaction_id"]
    for amount in amounts:
        made = api(
            sandbox,
            "POST",
            f"/v3/transactions/{txn_id}/refund",
            json={"amount": amount, "comments": f"refund of {amount}"},
        )
        assert made.status_code == 200, made.text
    return txn_id


def test_refunds_of_one_transaction_with_the_documented_fields(sandbox: FlutterwaveSandbox):
    txn_id = _refunded(sandbox, 300, 200)
    _refunded(sandbox, 100)  # another transaction's refund, filtered out by `id`
    resp = api(sandbox, "GET", "/v3/refunds", params={"id": txn_id})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success"
    assert body["meta"]["page_info"] == {
        "total": 2,
        "current_page": 1,
        "total_pages": 1,
        "page_size": 20,
    }
    assert {r["amount_refunded"] for r in body["data"]} == {300, 200}
    first = body["data"][0]
    assert set(first) == {
        "id",
        "amount_refunded",
        "status",
        "flw_ref",
        "comment",
        "settlement_id",
        "meta",
        "created_at",
        "account_id",
        "transaction_id",
    }
    assert first["transaction_id"] == txn_id and first["status"] == "completed"
    assert {r["comment"] for r in body["data"]} == {"refund of 300", "refund of 200"}


def test_refunds_filtered_by_flw_ref_status_currency_and_dates(sandbox: FlutterwaveSandbox):
    txn_id = _refunded(sandbox, 300)
    listed = api(sandbox, "GET", "/v3/refunds", params={"id": txn_id}).json()["data"]
    ref = listed[0]["flw_ref"]
    day = listed[0]["created_at"][:10]

    def count(**params: str) -> int:
        resp = api(sandbox, "GET", "/v3/refunds", params={"id": txn_id, **params})
        assert resp.status_code == 200, resp.text
        return len(resp.json()["data"])

    assert count(flw_ref=ref) == 1 and count(flw_ref="URF_other") == 0
    assert count(status="completed") == 1 and count(status="failed") == 0
    assert count(currency="NGN") == 1 and count(currency="USD") == 0
    assert count(**{"from": day, "to": day}) == 1
    assert count(**{"from": "2999-01-01"}) == 0


def test_pages_of_twenty(sandbox: FlutterwaveSandbox):
    txn_id = _refunded(sandbox, *([10] * 21))
    second = api(sandbox, "GET", "/v3/refunds", params={"id": txn_id, "page": 2}).json()
    assert second["meta"]["page_info"]["current_page"] == 2
    assert second["meta"]["page_info"]["total_pages"] == 2
    assert len(second["data"]) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "01-02-2024"}, "from must be a date (YYYY-MM-DD)"),
        ({"to": "2024-13-01"}, "to must be a date (YYYY-MM-DD)"),
        ({"page": "0"}, "page must be a whole number of at least 1"),
        ({"status": "refunded"}, "status must be one of successful, failed, completed"),
        ({"transaction_id": "1"}, "Unknown query parameter: transaction_id"),
    ],
)
def test_malformed_filters_are_refused(sandbox: FlutterwaveSandbox, params, message):
    resp = api(sandbox, "GET", "/v3/refunds", params=params)
    assert resp.status_code == 400
    assert resp.json() == {"status": "error", "message": message, "data": None}


def test_the_list_needs_the_secret_key(sandbox: FlutterwaveSandbox):
    resp = api(sandbox, "GET", "/v3/refunds", key="FLWSECK_TEST-wrong")
    assert resp.status_code == 401


def test_a_late_refund_is_listed_although_its_answer_was_lost(sandbox: FlutterwaveSandbox):
    _, link = create_payment(sandbox, amount=1000)
    txn_id = pay(link, "successful")["transaction_id"]
    control(sandbox, "POST", "faults", mode="late", seconds=1, match=f"{txn_id}/refund")
    with pytest.raises(requests.Timeout):  # the client gives up; Flutterwave carries on
        requests.post(
            f"{sandbox.url}/v3/transactions/{txn_id}/refund",
            json={"amount": 50},
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
            timeout=0.2,
        )
    listed = api(sandbox, "GET", "/v3/refunds", params={"id": txn_id}).json()["data"]
    assert [r["amount_refunded"] for r in listed] == [50]
