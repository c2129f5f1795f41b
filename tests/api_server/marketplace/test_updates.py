"""Updating and deleting listings: ETags, versions, history, races and archiving."""

from __future__ import annotations

import threading

import pytest

from api_server.common.errors import DomainError, status_of
from tests.api_server.marketplace.support import (
    JPEG,
    PNG,
    delete,
    get,
    history_actions,
    patch,
    photo_count,
    scalar,
    search,
    upload,
)
from tests.factories import make_listing, make_user, principal, sql


def version_row(client, listing):
    return sql(client.app, "SELECT title, version FROM listings WHERE id = %s", listing["id"])[0]


# Updates, versions and history


def test_a_matching_if_match_applies_and_moves_the_etag(client, app, seller):
    listing = make_listing(app, seller, price_per_unit=250_000)
    result = patch(client, listing, seller, {"price_per_unit": 999, "grade": "A"}, '"1"')
    assert result.status_code == 200
    assert result.headers["etag"] == '"2"'
    assert (result.json["price_per_unit"], result.json["grade"]) == (999, "A")
    assert result.json["title"] == listing["title"]
    history = client.simulate_get(
        f"/api/marketplace/{listing['id']}/history", headers=seller["headers"]
    ).json["items"]
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["actor_id"] == seller["id"]
    assert history[1]["version"] == 2
    assert history[1]["changes"] == {
        "price_per_unit": {"old": 250_000, "new": 999},
        "grade": {"old": None, "new": "A"},
    }


@pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', '"0", "3"', "1", ""])
def test_a_stale_or_weak_if_match_is_412_and_changes_nothing(client, app, seller, if_match):
    listing = make_listing(app, seller)
    result = patch(client, listing, seller, {"title": "Changed title"}, if_match)
    assert result.status_code == 412
    assert version_row(client, listing) == {"title": listing["title"], "version": 1}
    assert history_actions(client, listing) == ["create"]


def test_concurrent_updates_with_one_if_match_have_one_winner(client, app, seller):
    listing = make_listing(app, seller)
    service = app.services.marketplace
    barrier = threading.Barrier(8)
    outcomes = []

    def update(index):
        barrier.wait()
        try:
            service.update(listing["id"], principal(seller), {"title": f"Writer {index}"}, '"1"')
            outcomes.append(200)
        except DomainError as problem:
            outcomes.append(status_of(problem))

    threads = [threading.Thread(target=update, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200] + [412] * 7
    assert version_row(client, listing)["version"] == 2
    assert history_actions(client, listing) == ["create", "update"]


def test_only_the_owner_and_admins_may_change_or_read_history(client, app, seller, admin):
    listing = make_listing(app, seller, status="active")
    stranger, buyer = make_user(app, "seller"), make_user(app, "buyer")
    assert patch(client, listing, stranger, {"title": "Mine now"}).status_code == 403
    assert patch(client, listing, buyer, {"title": "Mine now"}).status_code == 403
    history = f"/api/marketplace/{listing['id']}/history"
    assert client.simulate_get(history, headers=stranger["headers"]).status_code == 403
    assert client.simulate_get(history).status_code == 401
    assert patch(client, listing, admin, {"title": "Admin fix"}).status_code == 200
    assert client.simulate_get(history, headers=admin["headers"]).status_code == 200


# Deletion


def deletion_audit(client, listing):
    return scalar(
        client,
        "SELECT details FROM audit_log WHERE action = 'listing.delete' AND target_id = %s",
        listing["id"],
    )


def test_delete_erases_the_listing_and_its_photos_but_keeps_the_audit(client, app, seller):
    listing = make_listing(app, seller)
    assert upload(client, listing, seller, PNG).status_code == 201
    assert delete(client, listing, seller).status_code == 204
    assert scalar(client, "SELECT count(*) FROM listings WHERE id = %s", listing["id"]) == 0
    assert photo_count(client, listing) == 0
    assert deletion_audit(client, listing)["archived"] is False
    assert get(client, listing, seller).status_code == 404


def test_delete_archives_a_listing_that_other_rows_refer_to(client, app, seller, admin):
    listing = make_listing(app, seller, status="active")
    assert upload(client, listing, seller, JPEG).status_code == 201
    # Any referencing row (a payment in production) must keep the listing in place.
    sql(app, "CREATE TABLE purchases (listing_id uuid NOT NULL REFERENCES listings (id))")
    sql(app, "INSERT INTO purchases VALUES (%s)", listing["id"])
    assert delete(client, listing, seller).status_code == 204
    row = sql(app, "SELECT status, version FROM listings WHERE id = %s", listing["id"])[0]
    assert row == {"status": "archived", "version": 4}
    assert photo_count(client, listing) == 0
    assert history_actions(client, listing)[-1] == "archive"
    assert deletion_audit(client, listing)["archived"] is True
    assert get(client, listing, seller).status_code == 404
    assert get(client, listing, admin).json["status"] == "archived"
    assert patch(client, listing, admin, {"title": "Back"}).status_code == 409
    assert search(client, seller_id=seller["id"]).json["total"] == 0
