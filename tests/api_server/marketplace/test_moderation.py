"""Moderating listings: the allowed transitions, and reasons kept and cleared."""

from __future__ import annotations

import pytest

from tests.api_server.marketplace.support import get, history_actions, moderate, scalar, search
from tests.factories import make_listing


@pytest.mark.parametrize(
    ("path", "action", "outcome"),
    [
        ([], "approve", "active"),
        ([], "reject", "rejected"),
        ([], "suspend", 409),
        ([], "reinstate", 409),
        (["approve"], "approve", 409),
        (["approve"], "suspend", "suspended"),
        (["approve"], "reject", 409),
        (["approve", "suspend"], "reinstate", "active"),
        (["approve", "suspend"], "approve", 409),
        (["reject"], "approve", "active"),
        (["reject"], "suspend", 409),
    ],
)
def test_moderation_moves_only_along_the_allowed_transitions(
    client, app, seller, admin, path, action, outcome
):
    listing = make_listing(app, seller)
    for step in path:
        moderate(client, admin, listing, step, reason="Because")
    expected = outcome if isinstance(outcome, int) else 200
    result = moderate(client, admin, listing, action, reason="Because", status=expected)
    version = "SELECT version FROM listings WHERE id = %s"
    if expected == 200:
        assert result["status"] == outcome
        assert result["version"] == len(path) + 2
        assert history_actions(client, listing)[-1] == action
        assert scalar(
            client,
            "SELECT count(*) FROM audit_log WHERE action = %s AND target_id = %s",
            f"listing.{action}",
            listing["id"],
        )
    else:
        assert result["code"] == "invalid_transition"
        assert scalar(client, version, listing["id"]) == len(path) + 1


def test_a_reason_is_required_stored_and_cleared(client, app, seller, admin):
    listing = make_listing(app, seller, status="active")
    for body in (None, {}, {"reason": "   "}, {"reason": "x", "extra": 1}):
        result = client.simulate_post(
            f"/api/admin/listings/{listing['id']}/suspend", json=body, headers=admin["headers"]
        )
        assert result.status_code in (400, 415, 422)
    suspended = moderate(client, admin, listing, "suspend", reason="Licence expired")
    assert (suspended["status"], suspended["status_reason"]) == ("suspended", "Licence expired")
    assert search(client, seller_id=seller["id"]).json["total"] == 0
    assert get(client, listing).status_code == 404
    assert get(client, listing, seller).json["status_reason"] == "Licence expired"
    reinstated = moderate(client, admin, listing, "reinstate")
    assert (reinstated["status"], reinstated["status_reason"]) == ("active", None)
    assert search(client, seller_id=seller["id"]).json["total"] == 1
