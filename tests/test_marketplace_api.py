"""Listings through the real app and a real PostgreSQL: the rules a bug would break."""

import json
import threading
import uuid
from dataclasses import dataclass

import falcon.testing
import pytest
import urllib3

from api_server.auth.principal import Principal, Role
from api_server.common.errors import DomainError, status_of
from api_server.config import Config
from api_server.marketplace.service import MarketplaceService, parse_quantity
from api_server.marketplace.views import etag_matches
from tests.conftest import JWT_SECRET
from tests.test_marketplace_photos import JPEG, PNG, WEBP

MAX_PHOTO = 4096


@dataclass
class Actor:
    id: str
    role: str
    headers: dict

    @property
    def principal(self):
        return Principal(self.id, Role(self.role), "jti", 0)


class Market:
    """The app under test, with helpers to make actors and listings."""

    def __init__(self, app, config):
        self.app = app
        self.client = falcon.testing.TestClient(app)
        self.tokens = app.services.tokens

    def actor(self, role="seller"):
        with self.app.services.db.transaction() as cur:
            cur.execute(
                "INSERT INTO users (email, password_hash, full_name, role, status, verified_at)"
                " VALUES (%s, 'x', 'Test', %s, 'active', now())"
                " RETURNING id::text AS id, role, token_version",
                (f"{role}-{uuid.uuid4().hex}@example.com", role),
            )
            user = cur.fetchone()
        token, _ = self.tokens.issue_access(user)
        return Actor(user["id"], role, {"Authorization": f"Bearer {token}"})

    def create(self, seller, **overrides):
        body = {
            "title": "Cobalt hydroxide lot",
            "commodity": "cobalt",
            "description": "Hydroxide concentrate, 30% Co, bagged.",
            "quantity": "12.5",
            "unit": "t",
            "price_per_unit": 2_500_000,
            "currency": "USD",
            "country": "CD",
            **overrides,
        }
        result = self.client.simulate_post("/api/marketplace", json=body, headers=seller.headers)
        assert result.status_code == 201, result.json
        return result.json

    def moderate(self, admin, listing, action, reason=None, status=200):
        body = {"reason": reason} if reason is not None else None
        result = self.client.simulate_post(
            f"/api/admin/listings/{listing['id']}/{action}", json=body, headers=admin.headers
        )
        assert result.status_code == status, result.json
        return result.json

    def approved(self, seller, admin, **overrides):
        return self.moderate(admin, self.create(seller, **overrides), "approve")

    def get(self, listing, actor=None):
        headers = actor.headers if actor else None
        return self.client.simulate_get(f"/api/marketplace/{listing['id']}", headers=headers)

    def patch(self, listing, actor, changes, if_match=None):
        headers = dict(actor.headers)
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.client.simulate_patch(
            f"/api/marketplace/{listing['id']}", json=changes, headers=headers
        )

    def search(self, **params):
        result = self.client.simulate_get("/api/marketplace", params=params)
        return result

    def upload(self, listing, actor, data, declared="image/png"):
        body, content_type = urllib3.encode_multipart_formdata({"photo": ("photo", data, declared)})
        return self.client.simulate_post(
            f"/api/marketplace/{listing['id']}/photos",
            body=body,
            content_type=content_type,
            headers=actor.headers,
        )

    def row(self, sql, *params):
        with self.app.services.db.transaction() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def value(self, sql, *params):
        row = self.row(sql, *params)
        return None if row is None else next(iter(row.values()))

    def history_actions(self, listing):
        with self.app.services.db.transaction() as cur:
            cur.execute(
                "SELECT action FROM listing_history WHERE listing_id = %s ORDER BY id",
                (listing["id"],),
            )
            return [r["action"] for r in cur.fetchall()]


@pytest.fixture
def config(dsn):
    return Config(database_url=dsn, jwt_secret=JWT_SECRET, max_upload_bytes=MAX_PHOTO)


@pytest.fixture
def market(app, config):
    return Market(app, config)


@pytest.fixture
def seller(market):
    return market.actor("seller")


@pytest.fixture
def admin(market):
    return market.actor("admin")


# Creation


def test_a_new_listing_is_pending_with_defaults_history_and_audit(market, seller):
    result = market.client.simulate_post(
        "/api/marketplace",
        json={
            "title": "  Gold dore  ",
            "commodity": "gold",
            "description": "Dore bars, 85% Au.",
            "quantity": 12.5,
            "unit": "kg",
            "price_per_unit": 5_800_000,
            "currency": "USD",
            "country": "GH",
        },
        headers=seller.headers,
    )
    assert result.status_code == 201
    listing = result.json
    assert result.headers["etag"] == '"1"'
    assert result.headers["location"] == f"/api/marketplace/{listing['id']}"
    assert listing["status"] == "pending_review"
    assert listing["seller_id"] == seller.id
    assert listing["title"] == "Gold dore"
    assert (listing["quantity"], listing["available_quantity"]) == ("12.500", "12.500")
    assert (listing["location"], listing["grade"], listing["photos"]) == (None, None, [])
    row = market.row(
        "SELECT status, version, quantity::text, available_quantity::text, seller_id::text"
        " FROM listings WHERE id = %s",
        listing["id"],
    )
    assert row == {
        "status": "pending_review",
        "version": 1,
        "quantity": "12.500",
        "available_quantity": "12.500",
        "seller_id": seller.id,
    }
    assert market.history_actions(listing) == ["create"]
    assert market.value(
        "SELECT count(*) FROM audit_log WHERE action = 'listing.create' AND target_id = %s",
        listing["id"],
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [(12.5, "12.500"), ("0.001", "0.001"), (7, "7.000"), ("12", "12.000"), (0.1, "0.100")],
)
def test_quantities_are_kept_exactly(given, stored):
    assert parse_quantity(given) == stored


@pytest.mark.parametrize(
    "given", [0, "0.000", 0.0001, "1.2345", 0.30000000000000004, 1e12, "999999999999.9999"]
)
def test_quantities_that_would_be_rounded_or_are_not_positive_are_refused(given):
    with pytest.raises(DomainError) as raised:
        parse_quantity(given)
    assert status_of(raised.value) == 422
    assert raised.value.errors[0]["field"] == "quantity"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", -1),
        ("quantity", "1e3"),
        ("quantity", " 1"),
        ("quantity", True),
        ("quantity", 0.0001),
        ("price_per_unit", 0),
        ("price_per_unit", 1.5),
        ("price_per_unit", "100"),
        ("price_per_unit", 10**13),
        ("commodity", "unobtanium"),
        ("unit", "lb"),
        ("currency", "usd"),
        ("currency", "XYZ"),
        ("country", "ZAF"),
        ("title", "   "),
        ("title", "  ab  "),
        ("title", "nul\u0000byte"),
        ("description", "lone \ud800 surrogate"),
        ("seller_id", str(uuid.uuid4())),
        ("status", "active"),
        ("available_quantity", "99"),
    ],
)
def test_each_bad_field_is_a_422_naming_it_and_nothing_is_stored(market, seller, field, value):
    body = {
        "title": "Lot",
        "commodity": "tin",
        "description": "Cassiterite",
        "quantity": "1",
        "unit": "t",
        "price_per_unit": 100,
        "currency": "USD",
        "country": "RW",
        field: value,
    }
    # json.dumps escapes the lone surrogate, as a client's JSON encoder would.
    result = market.client.simulate_post(
        "/api/marketplace",
        body=json.dumps(body),
        content_type="application/json",
        headers=seller.headers,
    )
    assert result.status_code == 422
    assert [e["field"] for e in result.json["errors"]] == [field]
    assert market.value("SELECT count(*) FROM listings WHERE seller_id = %s", seller.id) == 0


def test_buyers_and_anonymous_callers_cannot_create(market):
    buyer = market.actor("buyer")
    body = {"title": "x"}
    assert market.client.simulate_post("/api/marketplace", json=body).status_code == 401
    forbidden = market.client.simulate_post("/api/marketplace", json=body, headers=buyer.headers)
    assert forbidden.status_code == 403


# Visibility


def test_a_pending_listing_is_seen_by_its_owner_and_admins_only(market, seller, admin):
    listing = market.create(seller)
    stranger = market.actor("seller")
    buyer = market.actor("buyer")
    assert market.get(listing, seller).status_code == 200
    assert market.get(listing, admin).status_code == 200
    for actor in (stranger, buyer, None):
        result = market.get(listing, actor)
        assert result.status_code == 404
        assert result.json["code"] == "listing_not_found"
    market.moderate(admin, listing, "approve")
    public = market.get(listing)
    assert public.status_code == 200
    assert public.headers["etag"] == '"2"'


def test_a_bad_token_on_a_public_read_is_still_401(market, seller, admin):
    listing = market.approved(seller, admin)
    result = market.client.simulate_get(
        f"/api/marketplace/{listing['id']}", headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert result.status_code == 401


@pytest.mark.parametrize("path", ["not-a-uuid", "1", "' OR 1=1 --", str(uuid.uuid4())])
def test_unknown_and_malformed_ids_are_404(market, path):
    assert market.client.simulate_get(f"/api/marketplace/{path}").status_code == 404
    assert market.client.simulate_get(f"/api/marketplace/{path}/photos/x").status_code == 404


# Search


def test_search_shows_active_listings_only_and_counts_past_the_end(market, seller, admin):
    for price in (300, 100, 200):
        market.approved(seller, admin, price_per_unit=price)
    market.create(seller)
    rejected = market.create(seller)
    market.moderate(admin, rejected, "reject", reason="Duplicate")
    first = market.search(seller_id=seller.id, per_page=2, sort="price_asc").json
    assert first["total"] == 3
    assert [i["price_per_unit"] for i in first["items"]] == [100, 200]
    second = market.search(seller_id=seller.id, per_page=2, page=2, sort="price_asc").json
    assert [i["price_per_unit"] for i in second["items"]] == [300]
    beyond = market.search(seller_id=seller.id, per_page=2, page=9).json
    assert beyond == {"items": [], "page": 9, "per_page": 2, "total": 3}


def test_price_bounds_are_inclusive_and_q_searches_title_and_description(market, seller, admin):
    word = "zq" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    in_title = market.approved(seller, admin, title=f"Lot {word}", price_per_unit=1000)
    in_text = market.approved(seller, admin, description=f"Also {word}.", price_per_unit=2000)
    market.approved(seller, admin, price_per_unit=1500)

    def ids(**params):
        return [i["id"] for i in market.search(seller_id=seller.id, **params).json["items"]]

    assert set(ids(q=word)) == {in_title["id"], in_text["id"]}
    assert ids(min_price=2000) == [in_text["id"]]
    assert ids(max_price=1000) == [in_title["id"]]
    assert ids(min_price=1001, max_price=1999, q=word) == []


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "101"},
        {"per_page": "0"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "1.5"},
        {"sort": "cheapest"},
        {"colour": "red"},
        {"min_price": "-1"},
        {"min_price": "10", "max_price": "9"},
        {"seller_id": "abc"},
        {"q": ""},
        {"q": "nul\u0000"},
        {"commodity": "unobtanium"},
        {"currency": "usd"},
        {"country": "zz"},
    ],
)
def test_bad_search_parameters_are_422(market, params):
    result = market.search(**params)
    assert result.status_code == 422
    assert result.json["errors"]


def test_a_superscript_digit_page_is_422_not_500(market):
    assert market.search(page="²").status_code == 422


# Updates, versions and history


def test_a_matching_if_match_applies_and_moves_the_etag(market, seller):
    listing = market.create(seller)
    result = market.patch(listing, seller, {"price_per_unit": 999, "grade": "A"}, '"1"')
    assert result.status_code == 200
    assert result.headers["etag"] == '"2"'
    assert (result.json["price_per_unit"], result.json["grade"]) == (999, "A")
    assert result.json["title"] == listing["title"]
    history = market.client.simulate_get(
        f"/api/marketplace/{listing['id']}/history", headers=seller.headers
    ).json["items"]
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["actor_id"] == seller.id
    assert history[1]["version"] == 2
    assert history[1]["changes"] == {
        "price_per_unit": {"old": 2_500_000, "new": 999},
        "grade": {"old": None, "new": "A"},
    }


@pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', '"0", "3"', "1", ""])
def test_a_stale_or_weak_if_match_is_412_and_changes_nothing(market, seller, if_match):
    listing = market.create(seller)
    result = market.patch(listing, seller, {"title": "Changed title"}, if_match)
    assert result.status_code == 412
    row = market.row("SELECT title, version FROM listings WHERE id = %s", listing["id"])
    assert row == {"title": listing["title"], "version": 1}
    assert market.history_actions(listing) == ["create"]


@pytest.mark.parametrize(
    ("if_match", "matches"), [("*", True), ('"7", "3"', True), ('"37"', False)]
)
def test_if_match_lists_and_star(if_match, matches):
    assert etag_matches(if_match, 3) is matches


def test_without_if_match_the_last_writer_wins(market, seller):
    listing = market.create(seller)
    assert market.patch(listing, seller, {"title": "First"}).status_code == 200
    second = market.patch(listing, seller, {"title": "Second"})
    assert (second.status_code, second.json["title"], second.json["version"]) == (200, "Second", 3)


def test_an_update_that_changes_nothing_keeps_the_version(market, seller):
    listing = market.create(seller)
    result = market.patch(listing, seller, {"quantity": 12.5, "title": listing["title"]}, '"1"')
    assert (result.status_code, result.headers["etag"]) == (200, '"1"')
    assert market.history_actions(listing) == ["create"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seller_id", str(uuid.uuid4())),
        ("status", "active"),
        ("available_quantity", "1"),
        ("version", 9),
        ("id", str(uuid.uuid4())),
    ],
)
def test_protected_fields_cannot_be_patched(market, seller, field, value):
    listing = market.create(seller)
    result = market.patch(listing, seller, {field: value})
    assert result.status_code == 422
    assert [e["field"] for e in result.json["errors"]] == [field]
    row = market.row("SELECT status, version FROM listings WHERE id = %s", listing["id"])
    assert row == {"status": "pending_review", "version": 1}


def test_an_empty_patch_is_422(market, seller):
    assert market.patch(market.create(seller), seller, {}).status_code == 422


def test_a_new_quantity_keeps_what_was_sold(market, seller):
    listing = market.create(seller, quantity="10")
    # What a payment does: it takes 4 from the available quantity.
    with market.app.services.db.transaction() as cur:
        cur.execute("UPDATE listings SET available_quantity = 6 WHERE id = %s", (listing["id"],))
    result = market.patch(listing, seller, {"quantity": "20"})
    assert (result.json["quantity"], result.json["available_quantity"]) == ("20.000", "16.000")
    refused = market.patch(listing, seller, {"quantity": "3"})
    assert (refused.status_code, refused.json["code"]) == (409, "quantity_below_sold")
    row = market.row("SELECT quantity::text, version FROM listings WHERE id = %s", listing["id"])
    # Created (1), the sale (2: the trigger bumps every change), the new quantity (3).
    assert row == {"quantity": "20.000", "version": 3}


def test_concurrent_updates_with_one_if_match_have_one_winner(market, seller, config):
    listing = market.create(seller)
    service = MarketplaceService(market.app.services.db, MAX_PHOTO)
    barrier = threading.Barrier(8)
    outcomes = []

    def update(index):
        barrier.wait()
        try:
            service.update(listing["id"], seller.principal, {"title": f"Writer {index}"}, '"1"')
            outcomes.append(200)
        except DomainError as problem:
            outcomes.append(status_of(problem))

    threads = [threading.Thread(target=update, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200] + [412] * 7
    assert market.value("SELECT version FROM listings WHERE id = %s", listing["id"]) == 2
    assert market.history_actions(listing) == ["create", "update"]


def test_only_the_owner_and_admins_may_change_or_read_history(market, seller, admin):
    listing = market.approved(seller, admin)
    stranger = market.actor("seller")
    buyer = market.actor("buyer")
    assert market.patch(listing, stranger, {"title": "Mine now"}).status_code == 403
    assert market.patch(listing, buyer, {"title": "Mine now"}).status_code == 403
    history = f"/api/marketplace/{listing['id']}/history"
    assert market.client.simulate_get(history, headers=stranger.headers).status_code == 403
    assert market.client.simulate_get(history).status_code == 401
    assert market.patch(listing, admin, {"title": "Admin fix"}).status_code == 200
    assert market.client.simulate_get(history, headers=admin.headers).status_code == 200


# Deletion


def test_delete_erases_the_listing_and_its_photos_but_keeps_the_audit(market, seller):
    listing = market.create(seller)
    assert market.upload(listing, seller, PNG).status_code == 201
    result = market.client.simulate_delete(
        f"/api/marketplace/{listing['id']}", headers=seller.headers
    )
    assert result.status_code == 204
    assert market.value("SELECT count(*) FROM listings WHERE id = %s", listing["id"]) == 0
    photos = "SELECT count(*) FROM listing_photos WHERE listing_id = %s"
    assert market.value(photos, listing["id"]) == 0
    audit = market.row(
        "SELECT details FROM audit_log WHERE action = 'listing.delete' AND target_id = %s",
        listing["id"],
    )
    assert audit["details"]["archived"] is False
    assert market.get(listing, seller).status_code == 404


def test_delete_archives_a_listing_that_other_rows_refer_to(market, seller, admin):
    listing = market.approved(seller, admin)
    assert market.upload(listing, seller, JPEG).status_code == 201
    # Any referencing row (a payment in production) must keep the listing in place.
    with market.app.services.db.transaction() as cur:
        cur.execute("CREATE TABLE purchases (listing_id uuid NOT NULL REFERENCES listings (id))")
        cur.execute("INSERT INTO purchases VALUES (%s)", (listing["id"],))
    result = market.client.simulate_delete(
        f"/api/marketplace/{listing['id']}", headers=seller.headers
    )
    assert result.status_code == 204
    row = market.row("SELECT status, version FROM listings WHERE id = %s", listing["id"])
    assert row == {"status": "archived", "version": 4}
    photos = "SELECT count(*) FROM listing_photos WHERE listing_id = %s"
    assert market.value(photos, listing["id"]) == 0
    assert market.history_actions(listing)[-1] == "archive"
    audit = market.row(
        "SELECT details FROM audit_log WHERE action = 'listing.delete' AND target_id = %s",
        listing["id"],
    )
    assert audit["details"]["archived"] is True
    assert market.get(listing, seller).status_code == 404
    assert market.get(listing, admin).json["status"] == "archived"
    assert market.patch(listing, admin, {"title": "Back"}).status_code == 409
    assert market.search(seller_id=seller.id).json["total"] == 0


# Photos


@pytest.mark.parametrize(
    ("data", "kind"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")]
)
def test_a_photo_comes_back_byte_for_byte_with_its_sniffed_type(market, seller, data, kind):
    listing = market.create(seller)
    uploaded = market.upload(listing, seller, data, declared="application/octet-stream")
    assert uploaded.status_code == 201
    assert (uploaded.json["content_type"], uploaded.json["size"]) == (kind, len(data))
    fetched = market.client.simulate_get(uploaded.json["url"], headers=seller.headers)
    assert fetched.content == data
    assert fetched.headers["content-type"] == kind
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert market.get(listing, seller).json["photos"] == [uploaded.json]
    assert market.get(listing, seller).headers["etag"] == '"2"'
    assert market.history_actions(listing) == ["create", "photo_add"]
    # Pending: the bytes are as private as the listing.
    assert market.client.simulate_get(uploaded.json["url"]).status_code == 404


def test_photo_limits(market, seller):
    listing = market.create(seller)
    too_big = market.upload(listing, seller, PNG + b"\x00" * (MAX_PHOTO + 1 - len(PNG)))
    assert too_big.status_code == 413
    assert market.upload(listing, seller, b"<html></html>", declared="image/png").status_code == 415
    for _ in range(10):
        assert market.upload(listing, seller, PNG).status_code == 201
    eleventh = market.upload(listing, seller, PNG)
    assert (eleventh.status_code, eleventh.json["code"]) == (409, "too_many_photos")
    photos = "SELECT count(*) FROM listing_photos WHERE listing_id = %s"
    assert market.value(photos, listing["id"]) == 10


def test_concurrent_uploads_cannot_pass_the_limit(market, seller):
    listing = market.create(seller)
    for _ in range(8):
        assert market.upload(listing, seller, PNG).status_code == 201
    service = MarketplaceService(market.app.services.db, MAX_PHOTO)
    barrier = threading.Barrier(5)
    outcomes = []

    def add():
        barrier.wait()
        try:
            service.add_photo(listing["id"], seller.principal, PNG, "image/png")
            outcomes.append(201)
        except DomainError as problem:
            outcomes.append(status_of(problem))

    threads = [threading.Thread(target=add) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [201, 201, 409, 409, 409]
    photos = "SELECT count(*) FROM listing_photos WHERE listing_id = %s"
    assert market.value(photos, listing["id"]) == 10


def test_deleting_a_photo(market, seller, admin):
    listing = market.approved(seller, admin)
    photo = market.upload(listing, seller, WEBP).json
    stranger = market.actor("seller")
    assert market.upload(listing, stranger, PNG).status_code == 403
    assert market.client.simulate_delete(photo["url"], headers=stranger.headers).status_code == 403
    other = market.create(seller)
    wrong_listing = f"/api/marketplace/{other['id']}/photos/{photo['id']}"
    assert market.client.simulate_get(wrong_listing, headers=seller.headers).status_code == 404
    assert market.client.simulate_delete(photo["url"], headers=seller.headers).status_code == 204
    assert market.client.simulate_get(photo["url"]).status_code == 404
    assert market.client.simulate_delete(photo["url"], headers=seller.headers).status_code == 404
    assert market.history_actions(listing)[-2:] == ["photo_add", "photo_delete"]


# Moderation


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
    market, seller, admin, path, action, outcome
):
    listing = market.create(seller)
    for step in path:
        market.moderate(admin, listing, step, reason="Because")
    expected = outcome if isinstance(outcome, int) else 200
    result = market.moderate(admin, listing, action, reason="Because", status=expected)
    if expected == 200:
        assert result["status"] == outcome
        assert result["version"] == len(path) + 2
        assert market.history_actions(listing)[-1] == action
        assert market.value(
            "SELECT count(*) FROM audit_log WHERE action = %s AND target_id = %s",
            f"listing.{action}",
            listing["id"],
        )
    else:
        assert result["code"] == "invalid_transition"
        assert market.value("SELECT version FROM listings WHERE id = %s", listing["id"]) == (
            len(path) + 1
        )


def test_a_reason_is_required_stored_and_cleared(market, seller, admin):
    listing = market.approved(seller, admin)
    for body in (None, {}, {"reason": "   "}, {"reason": "x", "extra": 1}):
        result = market.client.simulate_post(
            f"/api/admin/listings/{listing['id']}/suspend", json=body, headers=admin.headers
        )
        assert result.status_code in (400, 415, 422)
    suspended = market.moderate(admin, listing, "suspend", reason="Licence expired")
    assert (suspended["status"], suspended["status_reason"]) == ("suspended", "Licence expired")
    assert market.search(seller_id=seller.id).json["total"] == 0
    assert market.get(listing).status_code == 404
    assert market.get(listing, seller).json["status_reason"] == "Licence expired"
    reinstated = market.moderate(admin, listing, "reinstate")
    assert (reinstated["status"], reinstated["status_reason"]) == ("active", None)
    assert market.search(seller_id=seller.id).json["total"] == 1


def test_only_admins_moderate(market, seller):
    listing = market.create(seller)
    for actor in (seller, market.actor("buyer")):
        market.moderate(actor, listing, "approve", status=403)
    result = market.client.simulate_post(f"/api/admin/listings/{listing['id']}/approve")
    assert result.status_code == 401
    unknown = {"id": str(uuid.uuid4())}
    market.moderate(market.actor("admin"), unknown, "approve", status=404)
    assert market.value("SELECT status FROM listings WHERE id = %s", listing["id"]) == (
        "pending_review"
    )
