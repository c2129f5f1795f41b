"""Listing photos through the real app: round trips, limits, a race and deletion."""

from __future__ import annotations

import threading

import pytest

from api_server.common.errors import DomainError, status_of
from tests.api_server.marketplace.support import (
    JPEG,
    MAX_PHOTO,
    PNG,
    WEBP,
    get,
    history_actions,
    photo_count,
    upload,
)
from tests.factories import make_listing, make_user, principal


@pytest.mark.parametrize(
    ("data", "kind"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")]
)
def test_a_photo_comes_back_byte_for_byte_with_its_sniffed_type(client, app, seller, data, kind):
    listing = make_listing(app, seller)
    uploaded = upload(client, listing, seller, data, declared="application/octet-stream")
    assert uploaded.status_code == 201
    assert (uploaded.json["content_type"], uploaded.json["size"]) == (kind, len(data))
    fetched = client.simulate_get(uploaded.json["url"], headers=seller["headers"])
    assert fetched.content == data
    assert fetched.headers["content-type"] == kind
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert get(client, listing, seller).json["photos"] == [uploaded.json]
    assert get(client, listing, seller).headers["etag"] == '"2"'
    assert history_actions(client, listing) == ["create", "photo_add"]
    # Pending: the bytes are as private as the listing.
    assert client.simulate_get(uploaded.json["url"]).status_code == 404


def test_photo_limits(client, app, seller):
    listing = make_listing(app, seller)
    too_big = upload(client, listing, seller, PNG + b"\x00" * (MAX_PHOTO + 1 - len(PNG)))
    assert too_big.status_code == 413
    disguised = upload(client, listing, seller, b"<html></html>", declared="image/png")
    assert disguised.status_code == 415
    for _ in range(10):
        assert upload(client, listing, seller, PNG).status_code == 201
    eleventh = upload(client, listing, seller, PNG)
    assert (eleventh.status_code, eleventh.json["code"]) == (409, "too_many_photos")
    assert photo_count(client, listing) == 10


def test_concurrent_uploads_cannot_pass_the_limit(client, app, seller):
    listing = make_listing(app, seller)
    for _ in range(8):
        assert upload(client, listing, seller, PNG).status_code == 201
    service = app.services.marketplace
    barrier = threading.Barrier(5)
    outcomes = []

    def add():
        barrier.wait()
        try:
            service.add_photo(listing["id"], principal(seller), PNG, "image/png")
            outcomes.append(201)
        except DomainError as problem:
            outcomes.append(status_of(problem))

    threads = [threading.Thread(target=add) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [201, 201, 409, 409, 409]
    assert photo_count(client, listing) == 10


def test_deleting_a_photo(client, app, seller):
    listing = make_listing(app, seller, status="active")
    photo = upload(client, listing, seller, WEBP).json
    stranger = make_user(app, "seller")
    assert upload(client, listing, stranger, PNG).status_code == 403
    assert client.simulate_delete(photo["url"], headers=stranger["headers"]).status_code == 403
    other = make_listing(app, seller)
    wrong_listing = f"/api/marketplace/{other['id']}/photos/{photo['id']}"
    assert client.simulate_get(wrong_listing, headers=seller["headers"]).status_code == 404
    assert client.simulate_delete(photo["url"], headers=seller["headers"]).status_code == 204
    assert client.simulate_get(photo["url"]).status_code == 404
    assert client.simulate_delete(photo["url"], headers=seller["headers"]).status_code == 404
    assert history_actions(client, listing)[-2:] == ["photo_add", "photo_delete"]
