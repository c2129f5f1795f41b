"""HTTP resources of /api/marketplace, and the moderation routes under /api/admin/listings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import falcon

from api_server.auth.principal import Role
from api_server.common.routes import Resource, Routes
from api_server.common.validation import binary, operation
from api_server.marketplace import schemas
from api_server.marketplace.moderation import TRANSITIONS, ModerationService
from api_server.marketplace.photos import read_photo
from api_server.marketplace.service import MarketplaceService
from api_server.marketplace.views import PUBLIC_CACHE, etag, none_match

SELLERS = (Role.SELLER, Role.ADMIN)


def send_listing(resp: falcon.Response, listing: dict[str, Any]) -> None:
    """The listing as the body, its version as the ETag."""
    resp.media = listing
    resp.set_header("ETag", etag(listing["version"]))


def send_cached(
    req: falcon.Request, resp: falcon.Response, body: str | bytes, tag: str, *, public: bool
) -> None:
    """A read with its validator: 304 with no body when If-None-Match already names it.

    Public reads (active listings, searches) may be kept by shared caches for a few seconds;
    what only an owner or admin sees is private. Either way the validator lets a client
    revalidate for the price of the database read, without the body on the wire.
    """
    resp.set_header("ETag", tag)
    resp.cache_control = [PUBLIC_CACHE if public else "private, no-cache"]
    resp.vary = ["Authorization"]
    if none_match(req.get_header("If-None-Match"), tag):
        resp.status = falcon.HTTP_304
        return
    resp.content_type = falcon.MEDIA_JSON
    if isinstance(body, bytes):
        resp.data = body
    else:
        resp.text = body


class Listings(Resource[MarketplaceService]):
    """POST and GET /api/marketplace."""

    @operation(
        "Create a listing (pending review until an admin approves it)",
        request=schemas.CREATE,
        responses={201: schemas.LISTING},
        roles=SELLERS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Creates a listing owned by the caller."""
        listing = self.service.create(
            req.context.principal, req.context.body, req.context.request_id
        )
        send_listing(resp, listing)
        resp.location = f"/api/marketplace/{listing['id']}"
        resp.status = falcon.HTTP_201

    @operation(
        "Search active listings",
        query=schemas.SEARCH_QUERY,
        responses={200: schemas.PAGE, 304: None},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """One page of active listings; q is full-text over title and description."""
        page = self.service.search(req.context.query)
        send_cached(req, resp, page.body, page.etag, public=True)


class Listing(Resource[MarketplaceService]):
    """GET, PATCH and DELETE /api/marketplace/{listing_id}."""

    @operation(
        "Read a listing (others than active: owner and admins only)",
        responses={200: schemas.LISTING, 304: None},
        auth="optional",
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, listing_id: UUID) -> None:
        """The listing with its ETag; 404 when the caller may not see it."""
        listing = self.service.read(str(listing_id), req.context.principal)
        send_cached(req, resp, listing.body, etag(listing.version), public=listing.public)

    @operation(
        "Update a listing (If-Match optional; a stale one is 412)",
        request=schemas.UPDATE,
        responses={200: schemas.LISTING},
        roles=SELLERS,
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response, listing_id: UUID) -> None:
        """Changes the given fields; the new version is the new ETag."""
        listing = self.service.update(
            str(listing_id), req.context.principal, req.context.body, req.get_header("If-Match")
        )
        send_listing(resp, listing)

    @operation(
        "Delete a listing (archived instead when payments refer to it)",
        responses={204: None},
        roles=SELLERS,
    )
    def on_delete(self, req: falcon.Request, resp: falcon.Response, listing_id: UUID) -> None:
        """Removes the listing and its photos."""
        self.service.delete(str(listing_id), req.context.principal, req.context.request_id)
        resp.status = falcon.HTTP_204


class Photos(Resource[MarketplaceService]):
    """POST /api/marketplace/{listing_id}/photos."""

    @operation(
        "Add a photo (multipart field `photo`: JPEG, PNG or WebP, at most 5 MiB, 10 a listing)",
        responses={201: schemas.PHOTO},
        roles=SELLERS,
        content_type="multipart/form-data",
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, listing_id: UUID) -> None:
        """Stores the photo with the type its bytes show."""
        principal = req.context.principal
        self.service.check_photo_upload(str(listing_id), principal)
        data, content_type = read_photo(req, self.service.max_photo_bytes)
        photo = self.service.add_photo(str(listing_id), principal, data, content_type)
        resp.media = photo
        resp.location = photo["url"]
        resp.status = falcon.HTTP_201


class Photo(Resource[MarketplaceService]):
    """GET and DELETE /api/marketplace/{listing_id}/photos/{photo_id}."""

    @operation(
        "Fetch a photo's bytes (visible like its listing)",
        responses={200: binary("image/jpeg", "image/png", "image/webp")},
        auth="optional",
    )
    def on_get(
        self, req: falcon.Request, resp: falcon.Response, listing_id: UUID, photo_id: UUID
    ) -> None:
        """The stored bytes with their sniffed content type."""
        content_type, digest, data = self.service.photo(
            str(listing_id), str(photo_id), req.context.principal
        )
        resp.content_type = content_type
        resp.data = data
        resp.set_header("ETag", f'"{digest}"')
        # The type was sniffed on upload; browsers must not guess another from the bytes.
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.cache_control = ["private"]

    @operation("Delete a photo", responses={204: None}, roles=SELLERS)
    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, listing_id: UUID, photo_id: UUID
    ) -> None:
        """Removes one photo."""
        self.service.delete_photo(str(listing_id), str(photo_id), req.context.principal)
        resp.status = falcon.HTTP_204


class History(Resource[MarketplaceService]):
    """GET /api/marketplace/{listing_id}/history."""

    @operation(
        "Every change of a listing: who, when, which fields, old and new values",
        responses={200: schemas.HISTORY},
        roles=SELLERS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, listing_id: UUID) -> None:
        """The history, oldest first."""
        resp.media = self.service.history(str(listing_id), req.context.principal)


def _moderate(action: str) -> Callable[..., None]:
    """The POST responder of one moderation action; a reason body only where it needs one."""
    transition = TRANSITIONS[action]

    @operation(
        transition.summary,
        request=schemas.REASON if transition.needs_reason else None,
        responses={200: schemas.LISTING},
        roles=(Role.ADMIN,),
    )
    def responder(
        self: Moderation, req: falcon.Request, resp: falcon.Response, listing_id: UUID
    ) -> None:
        body = getattr(req.context, "body", None) or {}
        listing = self.service.moderate(
            str(listing_id),
            action,
            req.context.principal,
            body.get("reason"),
            req.context.request_id,
        )
        send_listing(resp, listing)

    responder.__doc__ = f"{' or '.join(transition.sources)} -> {transition.target}."
    return responder


class Moderation(Resource[ModerationService]):
    """POST /api/admin/listings/{listing_id}/{action}, one responder per action."""

    on_post_approve = _moderate("approve")
    on_post_reject = _moderate("reject")
    on_post_suspend = _moderate("suspend")
    on_post_reinstate = _moderate("reinstate")


def add_routes(routes: Routes, service: MarketplaceService, moderation: ModerationService) -> None:
    """Mounts /api/marketplace and the moderation of listings under /api/admin/listings."""
    for path, cls in (
        ("/api/marketplace", Listings),
        ("/api/marketplace/{listing_id:uuid}", Listing),
        ("/api/marketplace/{listing_id:uuid}/photos", Photos),
        ("/api/marketplace/{listing_id:uuid}/photos/{photo_id:uuid}", Photo),
        ("/api/marketplace/{listing_id:uuid}/history", History),
    ):
        routes.add(path, cls(service))
    resource = Moderation(moderation)
    for action in TRANSITIONS:
        routes.add(f"/api/admin/listings/{{listing_id:uuid}}/{action}", resource, suffix=action)
