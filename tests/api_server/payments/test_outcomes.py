"""The stored text of every outcome is a contract (the database, the webhook answers and the
suite read it): these are the texts from before outcomes had a type."""

import pytest

from api_server.payments import outcomes
from api_server.payments.outcomes import Outcome, ack, render

TEXTS = {
    Outcome.applied("succeeded"): "applied:succeeded",
    Outcome.applied("chargeback_won"): "applied:chargeback_won",
    Outcome.applied("refund_booked"): "applied:refund_booked",
    Outcome.unverified("timeout"): "unverified:timeout",
    outcomes.IGNORED: "ignored",
    outcomes.REFUND_DUE: "refund_due",
    outcomes.AMOUNT_MISMATCH: "amount_mismatch",
    outcomes.VERIFICATION_MISMATCH: "verification_mismatch",
    outcomes.FAILURE_RECORDED: "failure_recorded",
    outcomes.CHARGEBACK_RECORDED: "chargeback_recorded",
    outcomes.CHARGEBACK_CLOSED_RECORDED: "chargeback_closed_recorded",
    outcomes.UNKNOWN_REFERENCE: "unknown_reference",
    outcomes.MALFORMED: "malformed",
    outcomes.ERROR: "error",
    outcomes.DUPLICATE: "duplicate",
    outcomes.MISMATCH_ENDED: "ended:amount_mismatch",
}


@pytest.mark.parametrize(("outcome", "text"), list(TEXTS.items()), ids=list(TEXTS.values()))
def test_each_outcome_renders_its_stored_text(outcome, text):
    assert render(outcome) == text
    assert ack(outcome) == {"status": text}


def test_only_applied_outcomes_are_applied():
    assert {render(o) for o in TEXTS if o.is_applied} == {
        "applied:succeeded",
        "applied:chargeback_won",
        "applied:refund_booked",
    }


@pytest.mark.parametrize(
    ("kind", "detail"), [("applied", None), ("unverified", None), ("ignored", "x")]
)
def test_a_detail_belongs_to_the_kinds_that_need_one(kind, detail):
    with pytest.raises(ValueError):
        Outcome(kind, detail)
