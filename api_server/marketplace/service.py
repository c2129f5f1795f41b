"""The rules of listings: who sees and changes what, versions, history and photos."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import psycopg2.errors
from psycopg2.extras import RealDictCursor

from api_server.auth.principal import Principal
from api_server.common.audit import record_audit
from api_server.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Stale,
    field_error,
    invalid_field,
)
from api_server.common.quantities import parse_quantity
from api_server.db import Database
from api_server.db.prepared import statement
from api_server.marketplace import queries
from api_server.marketplace.generation_watch import GenerationWatch
from api_server.marketplace.schemas import (
    LISTING_PROPERTIES,
    MAX_PHOTOS,
    TITLE_MIN_LENGTH,
)
from api_server.marketplace.search_cache import SearchCache, SearchPage
from api_server.marketplace.searcher import Searcher
from api_server.marketplace.views import etag_matches, photo_view


@dataclass(frozen=True)
class ListingText:
    """A listing as the JSON text PostgreSQL built, its version (the ETag), and whether it is
    public (active), which decides how it may be cached."""

    body: str
    version: int
    public: bool


# Fields whose changes the history records; photos are recorded by their own actions.
TRACKED = tuple(
    field
    for field in LISTING_PROPERTIES
    if field not in ("id", "seller_id", "version", "photos", "created_at", "updated_at")
)
TEXT_FIELDS = ("title", "description", "location", "grade")
# Fields an admin's approval vouches for: changing one on an active listing needs review again.
REVIEWED = ("title", "commodity")


def audit_listing(
    cur: RealDictCursor,
    actor: Principal,
    action: str,
    listing_id: str,
    details: dict[str, Any],
    request_id: str | None,
) -> None:
    """An audit row for an action on a listing, in the caller's transaction."""
    record_audit(
        cur,
        actor_id=actor.id,
        action=action,
        target_type="listing",
        target_id=listing_id,
        details=details,
        request_id=request_id,
    )


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: {old, new}} for every tracked field that differs."""
    return {
        f: {"old": before[f], "new": after[f]} for f in TRACKED if before.get(f) != after.get(f)
    }


def record_history(
    cur: RealDictCursor,
    listing_id: str,
    actor: Principal | None,
    action: str,
    version: int,
    changes: dict[str, Any],
) -> None:
    """Appends one history row in the caller's transaction."""
    cur.execute(
        queries.INSERT_HISTORY,
        (listing_id, actor.id if actor else None, action, version, json.dumps(changes)),
    )


def is_owner(listing: dict[str, Any], principal: Principal | None) -> bool:
    """The caller created the listing."""
    return principal is not None and listing["seller_id"] == principal.id


def can_view(listing: dict[str, Any], principal: Principal | None) -> bool:
    """Active listings are public; others only for their owner and admins (archived: admins)."""
    if listing["status"] == "active":
        return True
    if principal is not None and principal.is_admin:
        return True
    return listing["status"] != "archived" and is_owner(listing, principal)


def not_found() -> NotFound:
    """The one answer for missing and hidden listings, so hidden ones cannot be discovered."""
    return NotFound("listing_not_found", "No such listing.")


def load_listing(
    cur: RealDictCursor,
    listing_id: str,
    principal: Principal | None,
    *,
    lock: bool = False,
    modify: bool = False,
) -> dict[str, Any]:
    """The listing if `principal` may see it (and change it, with `modify`); 404/403/409."""
    return json.loads(visible_listing(cur, listing_id, principal, lock=lock, modify=modify).body)


def visible_listing(
    cur: RealDictCursor,
    listing_id: str,
    principal: Principal | None,
    *,
    lock: bool = False,
    modify: bool = False,
) -> ListingText:
    """The listing's JSON text and version if `principal` may see it (and change it, with
    `modify`); 404/403/409 otherwise."""
    if lock:
        cur.execute(queries.LOCK_LISTING, (listing_id,))
    statement(queries.LISTING_BY_ID).run(cur, {"id": listing_id})
    row = cur.fetchone()
    if row is None or not can_view(row, principal):
        raise not_found()
    if modify:
        if not (is_owner(row, principal) or (principal and principal.is_admin)):
            raise Forbidden("forbidden", "Only the seller or an admin may change a listing.")
        if row["status"] == "archived":
            raise Conflict("listing_archived", "The listing was deleted and is archived.")
    return ListingText(row["body"], row["version"], row["status"] == "active")


def reload_listing(cur: RealDictCursor, listing_id: str) -> dict[str, Any]:
    """The listing as it is now in this transaction, with no access check."""
    statement(queries.LISTING_BY_ID).run(cur, {"id": listing_id})
    return json.loads(cur.fetchone()["body"])


def _normalise(body: dict[str, Any]) -> dict[str, Any]:
    """Request values in the form the API shows them, so they compare with stored ones."""
    values = dict(body)
    for field in TEXT_FIELDS:
        if isinstance(values.get(field), str):
            values[field] = values[field].strip()
    if len(values.get("title", "...")) < TITLE_MIN_LENGTH:
        raise invalid_field("title", f"must be at least {TITLE_MIN_LENGTH} characters")
    if "quantity" in values:
        values["quantity"] = str(parse_quantity(values["quantity"]))
    if "price_per_unit" in values:
        # JSON Schema counts 100.0 as an integer; store and compare it as one.
        values["price_per_unit"] = int(values["price_per_unit"])
    return values


class MarketplaceService:
    """Listings, their photos and history, over one database."""

    def __init__(
        self,
        db: Database,
        max_photo_bytes: int,
        search_cache: SearchCache,
        watch: GenerationWatch,
        cursor_key: bytes,
    ) -> None:
        self._db = db
        self.max_photo_bytes = max_photo_bytes
        self._searcher = Searcher(db, search_cache, watch, cursor_key)

    def create(
        self, principal: Principal, body: dict[str, Any], request_id: str | None = None
    ) -> dict[str, Any]:
        """A new listing of `principal`, pending review, with its history and audit rows."""
        values = _normalise(body)
        row = {"location": None, "grade": None, **values, "seller_id": principal.id}
        with self._db.transaction() as cur:
            cur.execute(queries.INSERT_LISTING, row)
            listing_id = cur.fetchone()["id"]
            listing = reload_listing(cur, listing_id)
            created = changes_between(dict.fromkeys(TRACKED), listing)
            record_history(cur, listing_id, principal, "create", listing["version"], created)
            details = {"title": listing["title"]}
            audit_listing(cur, principal, "listing.create", listing_id, details, request_id)
        return listing

    def search(self, query: dict[str, Any]) -> SearchPage:
        """One page of active listings matching the filters (its JSON and ETag), with how many
        match (capped) and the cursor of the next page; from the search cache when it may."""
        return self._searcher.search(query)

    def read(self, listing_id: str, principal: Principal | None) -> ListingText:
        """One listing's JSON text and version, if `principal` may see it (the HTTP read)."""
        with self._db.read() as cur:
            return visible_listing(cur, listing_id, principal)

    def get(self, listing_id: str, principal: Principal | None) -> dict[str, Any]:
        """One listing, if `principal` may see it."""
        return json.loads(self.read(listing_id, principal).body)

    def update(
        self,
        listing_id: str,
        principal: Principal,
        changes: dict[str, Any],
        if_match: str | None,
    ) -> dict[str, Any]:
        """Applies a partial update; 412 when `if_match` names another version.

        Without If-Match the last writer wins, but each write is still atomic and recorded.
        """
        values = _normalise(changes)
        with self._db.transaction() as cur:
            before = load_listing(cur, listing_id, principal, lock=True, modify=True)
            if if_match is not None and not etag_matches(if_match, before["version"]):
                raise Stale(
                    "precondition_failed",
                    "The listing has changed since you read it; fetch it again.",
                    current_version=before["version"],
                )
            if all(before[field] == value for field, value in values.items()):
                return before
            assignments = [
                queries.ASSIGN_QUANTITY if field == "quantity" else f"{field} = %({field})s"
                for field in values
            ]
            if before["status"] == "active" and any(
                field in REVIEWED and before[field] != value for field, value in values.items()
            ):
                # What is sold was approved, not the seller's later words: another commodity or
                # title goes back to review (open payments then cannot be confirmed). A price,
                # its amount or its currency, is the seller's to move; payments already made
                # keep theirs, and one being priced meanwhile is refused (listing_changed).
                assignments.append(queries.BACK_TO_REVIEW)
            sql = queries.UPDATE_LISTING.format(assignments=", ".join(assignments))
            try:
                cur.execute(sql, {**values, "id": listing_id, "version": before["version"]})
            except psycopg2.errors.CheckViolation as exc:
                raise Conflict(
                    "quantity_below_sold",
                    "The quantity cannot be less than what has already been sold.",
                    errors=[field_error("quantity", "is less than the quantity already sold")],
                ) from exc
            if cur.rowcount != 1:
                raise Stale("precondition_failed", "The listing has changed; retry.")
            after = reload_listing(cur, listing_id)
            changed = changes_between(before, after)
            record_history(cur, listing_id, principal, "update", after["version"], changed)
        return after

    def delete(self, listing_id: str, principal: Principal, request_id: str | None = None) -> bool:
        """Erases the listing and its photos; archives it if payments refer to it.

        Returns True when archived. The foreign key of any referencing table decides, so
        the check cannot race with a payment being created.
        """
        with self._db.transaction() as cur:
            before = load_listing(cur, listing_id, principal, lock=True, modify=True)
            cur.execute("SAVEPOINT erase_listing")
            try:
                cur.execute(queries.DELETE_LISTING, (listing_id,))
                archived = False
            except psycopg2.errors.ForeignKeyViolation:
                cur.execute("ROLLBACK TO SAVEPOINT erase_listing")
                cur.execute(queries.DELETE_PHOTOS_OF, (listing_id,))
                cur.execute(queries.ARCHIVE_LISTING, (listing_id,))
                after = reload_listing(cur, listing_id)
                changes = changes_between(before, after)
                if before["photos"]:
                    changes["photos"] = {"old": [p["id"] for p in before["photos"]], "new": []}
                record_history(cur, listing_id, principal, "archive", after["version"], changes)
                archived = True
            details = {"title": before["title"], "archived": archived}
            audit_listing(cur, principal, "listing.delete", listing_id, details, request_id)
        return archived

    def history(self, listing_id: str, principal: Principal) -> dict[str, Any]:
        """Every recorded change of a listing its owner or an admin may see."""
        with self._db.transaction() as cur:
            listing = load_listing(cur, listing_id, principal)
            if not (is_owner(listing, principal) or principal.is_admin):
                raise Forbidden("forbidden", "Only the seller or an admin may read the history.")
            cur.execute(queries.HISTORY_OF, (listing_id,))
            rows = cur.fetchall()
        return {"items": [{**r, "created_at": r["created_at"].isoformat()} for r in rows]}

    # Photos

    def check_photo_upload(self, listing_id: str, principal: Principal) -> None:
        """Refuses early (before the body is read) what add_photo would refuse anyway."""
        with self._db.transaction() as cur:
            listing = load_listing(cur, listing_id, principal, modify=True)
        self._check_photo_room(listing)

    @staticmethod
    def _check_photo_room(listing: dict[str, Any]) -> None:
        if len(listing["photos"]) >= MAX_PHOTOS:
            raise Conflict("too_many_photos", f"A listing may have at most {MAX_PHOTOS} photos.")

    def add_photo(
        self, listing_id: str, principal: Principal, data: bytes, content_type: str
    ) -> dict[str, Any]:
        """Stores a photo; the row lock makes the per-listing limit hold under races."""
        with self._db.transaction() as cur:
            listing = load_listing(cur, listing_id, principal, lock=True, modify=True)
            self._check_photo_room(listing)
            digest = hashlib.sha256(data).hexdigest()
            cur.execute(
                queries.INSERT_PHOTO,
                (listing_id, content_type, len(data), digest, psycopg2.Binary(data)),
            )
            photo = photo_view(listing_id, cur.fetchone())
            self._photo_changed(cur, listing, principal, "photo_add", None, photo)
        return photo

    def _photo_changed(
        self,
        cur: RealDictCursor,
        listing: dict[str, Any],
        principal: Principal,
        action: str,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
    ) -> None:
        # Photos are part of the listing's representation, so its version (ETag) moves too.
        cur.execute(queries.TOUCH_LISTING, (listing["id"],))
        changes = {"photos": {"old": old, "new": new}}
        record_history(cur, listing["id"], principal, action, listing["version"] + 1, changes)

    def photo(
        self, listing_id: str, photo_id: str, principal: Principal | None
    ) -> tuple[str, str, bytes]:
        """(content type, sha256, bytes) of a photo of a listing `principal` may see."""
        with self._db.transaction() as cur:
            load_listing(cur, listing_id, principal)
            cur.execute(queries.PHOTO_DATA, (photo_id, listing_id))
            row = cur.fetchone()
        if row is None:
            raise NotFound("photo_not_found", "No such photo.")
        return row["content_type"], row["sha256"], bytes(row["data"])

    def delete_photo(self, listing_id: str, photo_id: str, principal: Principal) -> None:
        """Removes one photo of a listing `principal` may change."""
        with self._db.transaction() as cur:
            listing = load_listing(cur, listing_id, principal, lock=True, modify=True)
            cur.execute(queries.DELETE_PHOTO, (photo_id, listing_id))
            row = cur.fetchone()
            if row is None:
                raise NotFound("photo_not_found", "No such photo.")
            old = photo_view(listing_id, row)
            self._photo_changed(cur, listing, principal, "photo_delete", old, None)
