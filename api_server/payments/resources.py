"""HTTP resources of /api/payments (and the admin reconcile call)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import falcon

from api_server.auth.principal import ANY_ROLE, Role
from api_server.common.errors import DomainError, Problem, status_of
from api_server.common.routes import Resource, Routes
from api_server.common.validation import operation
from api_server.payments import schemas
from api_server.payments.disputes import DisputesService
from api_server.payments.outcomes import ack
from api_server.payments.reconcile import Reconciler
from api_server.payments.service import PaymentsService
from api_server.payments.webhooks import WebhookService

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,255}\Z")


class Payments(Resource[PaymentsService]):
    """POST and GET /api/payments."""

    @operation(
        "Buy from a listing",
        request=schemas.CREATE,
        responses={201: schemas.PAYMENT, 200: schemas.PAYMENT},
        roles=(Role.BUYER,),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Reserves the quantity and opens a checkout; replays by Idempotency-Key."""
        key = req.get_header("Idempotency-Key")
        if not key or not _KEY.match(key):
            raise Problem(
                400,
                "idempotency_key_required",
                "Send an Idempotency-Key header (8-255 letters, digits, -_.:).",
            )
        principal = req.context.principal
        stored = self.service.idempotency.begin(principal.id, key, req.context.body)
        if stored is not None:
            resp.set_header("Idempotent-Replayed", "true")
            status, body = stored
            if status >= 400:
                raise Problem(
                    status, body["code"], body["detail"], headers={"Idempotent-Replayed": "true"}
                )
            resp.status, resp.media = status, body
            return
        try:
            body = self.service.create(principal, req.context.body)
        except DomainError as exc:
            self.service.idempotency.finish(
                principal.id, key, status_of(exc), {"code": exc.code, "detail": exc.detail}
            )
            raise
        except Exception:
            self.service.idempotency.finish(principal.id, key, 500, None)
            raise
        self.service.idempotency.finish(principal.id, key, 201, body)
        resp.status = falcon.HTTP_201
        resp.media = body

    @operation(
        "List my payments",
        query=schemas.LIST_QUERY,
        responses={200: schemas.PAYMENT_PAGE},
        roles=ANY_ROLE,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """As buyer or seller; admins see all."""
        resp.media = self.service.list(req.context.principal, req.context.query)


class Payment(Resource[PaymentsService]):
    """GET /api/payments/{id}."""

    @operation(
        "Read a payment with its history",
        responses={200: schemas.PAYMENT},
        roles=ANY_ROLE,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, payment_id: UUID) -> None:
        """The buyer, the seller and admins; 404 for anyone else."""
        resp.media = self.service.get(req.context.principal, str(payment_id))


class Confirm(Resource[PaymentsService]):
    """POST /api/payments/{id}/confirm."""

    @operation(
        "Pay a Stripe payment with a payment method",
        request=schemas.CONFIRM,
        responses={200: schemas.PAYMENT},
        roles=(Role.BUYER,),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, payment_id: UUID) -> None:
        """402 with Stripe's code and decline_code when the card is declined."""
        resp.media = self.service.confirm(
            req.context.principal, str(payment_id), req.context.body["payment_method"]
        )


class Cancel(Resource[PaymentsService]):
    """POST /api/payments/{id}/cancel."""

    @operation("Cancel an unpaid payment", responses={200: schemas.PAYMENT}, roles=(Role.BUYER,))
    def on_post(self, req: falcon.Request, resp: falcon.Response, payment_id: UUID) -> None:
        """Releases the reservation."""
        resp.media = self.service.cancel(req.context.principal, str(payment_id))


# Answers a retry with the same key should not replay: the refund could not be tried yet.
_RETRY_LATER = frozenset({"refund_outcome_pending"})


class Refunds(Resource[PaymentsService]):
    """POST /api/payments/{id}/refunds."""

    @operation(
        "Refund a payment",
        request=schemas.REFUND,
        responses={201: schemas.REFUND_RESULT},
        roles=(Role.SELLER, Role.ADMIN),
        headers={"Idempotency-Key": schemas.REFUND_IDEMPOTENCY_KEY},
        response_headers={201: {"Idempotent-Replayed": schemas.IDEMPOTENT_REPLAYED}},
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, payment_id: UUID) -> None:
        """Partial refunds allowed until the paid amount; replays by Idempotency-Key."""
        key = req.get_header("Idempotency-Key")
        if key is None:
            resp.media = self._refund(req, str(payment_id))
            resp.status = falcon.HTTP_201
            return
        if not _KEY.match(key):
            raise Problem(
                400,
                "idempotency_key_invalid",
                "An Idempotency-Key is 8-255 letters, digits, -_.:.",
            )
        user = req.context.principal.id
        # The payment is part of the request: the same key and body for another payment is
        # another request (422), never a replay of this one.
        request = {"refund_of": str(payment_id), "body": req.context.body}
        stored = self.service.idempotency.begin(user, key, request)
        if stored is not None:
            stored = self._still_true(user, key, request, str(payment_id), stored)
        if stored is not None:
            resp.set_header("Idempotent-Replayed", "true")
            status, body = stored
            if status >= 400:
                extra = {k: v for k, v in body.items() if k not in ("code", "detail")}
                raise Problem(
                    status,
                    body["code"],
                    body["detail"],
                    headers={"Idempotent-Replayed": "true"},
                    **extra,
                )
            resp.status, resp.media = status, body
            return
        try:
            refund = self._refund(req, str(payment_id))
        except DomainError as exc:
            answer = {"code": exc.code, "detail": exc.detail, **exc.extra}
            # A refund of unknown outcome keeps its key: a retry must not refund again.
            unknown = exc.code == "refund_outcome_unknown"
            retryable = exc.code in _RETRY_LATER or (status_of(exc) >= 500 and not unknown)
            self.service.idempotency.finish(user, key, status_of(exc), answer, retryable=retryable)
            raise
        except Exception:
            self.service.idempotency.finish(user, key, 500, None)
            raise
        self.service.idempotency.finish(user, key, 201, refund)
        resp.status = falcon.HTTP_201
        resp.media = refund

    def _refund(self, req: falcon.Request, payment_id: str) -> dict[str, Any]:
        body = req.context.body
        return self.service.refund(
            req.context.principal,
            payment_id,
            body.get("amount"),
            body.get("reason"),
            req.context.request_id,
        )

    def _still_true(
        self,
        user: str,
        key: str,
        request: dict[str, Any],
        payment_id: str,
        stored: tuple[int, dict[str, Any]],
    ) -> tuple[int, dict[str, Any]] | None:
        """A stored `refund_outcome_unknown` is answered as the refund stands now: booked,
        the refund (stored in its place); still pending, the same problem; failed (not made
        at the gateway), the key is freed and the request runs anew (None)."""
        status, body = stored
        refund_id = body.get("refund_id") if status >= 500 else None
        if not isinstance(refund_id, str):
            return stored
        refund = self.service.refund_as_booked(payment_id, refund_id)
        if refund is None or refund["status"] == "pending":
            return stored
        if refund["status"] == "succeeded":
            self.service.idempotency.finish(user, key, 201, refund)
            return 201, refund
        self.service.idempotency.release(user, key)
        return self.service.idempotency.begin(user, key, request)


class Disputes(Resource[DisputesService]):
    """POST /api/payments/{id}/disputes."""

    @operation(
        "Dispute a paid payment",
        request=schemas.DISPUTE_OPEN,
        responses={201: schemas.DISPUTE},
        roles=(Role.BUYER,),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, payment_id: UUID) -> None:
        """The buyer of a succeeded payment opens a dispute; the payment becomes disputed."""
        body = req.context.body
        resp.media = self.service.open(
            req.context.principal,
            str(payment_id),
            body["reason"],
            body.get("details"),
            req.context.request_id,
        )
        resp.status = falcon.HTTP_201


class AdminDisputes(Resource[DisputesService]):
    """GET /api/admin/disputes."""

    @operation(
        "List disputes",
        query=schemas.DISPUTE_QUERY,
        responses={200: schemas.DISPUTE_PAGE},
        roles=(Role.ADMIN,),
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Newest first, optionally by status."""
        resp.media = self.service.list(req.context.query)


class ResolveDispute(Resource[DisputesService]):
    """POST /api/admin/disputes/{id}/resolve."""

    @operation(
        "Resolve a dispute",
        request=schemas.DISPUTE_RESOLVE,
        responses={200: schemas.DISPUTE},
        roles=(Role.ADMIN,),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, dispute_id: UUID) -> None:
        """`refund` refunds what is left through the gateway; `reject` restores the payment."""
        body = req.context.body
        resp.media = self.service.resolve(
            req.context.principal,
            str(dispute_id),
            body["outcome"],
            body["note"],
            req.context.request_id,
        )


class StripeWebhook(Resource[WebhookService]):
    """POST /api/payments/webhooks/stripe."""

    @operation(
        "Stripe webhook (Stripe-Signature)",
        responses={200: schemas.ACK},
        content_type="application/json",
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """400 on a bad signature; the raw body is verified before it is parsed."""
        payload = req.bounded_stream.read()
        resp.media = self.service.stripe(payload, req.get_header("Stripe-Signature"))


class FlutterwaveWebhook(Resource[WebhookService]):
    """POST /api/payments/webhooks/flutterwave."""

    @operation(
        "Flutterwave webhook (verif-hash)",
        responses={200: schemas.ACK},
        content_type="application/json",
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """401 on a wrong verif-hash; value only after the transaction is re-verified."""
        payload = req.bounded_stream.read()
        resp.media = self.service.flutterwave(payload, req.get_header("verif-hash"))


class FlutterwaveReturn(Resource[WebhookService]):
    """GET /api/payments/flutterwave/return: where the hosted checkout sends the customer."""

    @operation(
        "Return from Flutterwave's hosted checkout",
        query=schemas.RETURN_QUERY,
        responses={200: schemas.ACK},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Verifies the transaction like a webhook would; the query string is never trusted."""
        query = req.context.query
        if not query.get("transaction_id"):
            resp.media = ack(self.service.abandon_flutterwave(query["tx_ref"]))
            return
        outcome = self.service.settle_flutterwave(
            query["transaction_id"], query["tx_ref"], "return:redirect"
        )
        resp.media = ack(outcome)


class Reconcile(Resource[Reconciler]):
    """POST /api/admin/payments/reconcile."""

    @operation(
        "Reconcile unfinished payments with the gateways",
        responses={200: schemas.RECONCILE_REPORT},
        roles=(Role.ADMIN,),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Applies what lost webhooks would have; reports every change."""
        resp.media = self.service.run(
            actor_id=req.context.principal.id, request_id=req.context.request_id
        )


def add_routes(
    routes: Routes,
    service: PaymentsService,
    webhooks: WebhookService,
    reconciler: Reconciler,
    disputes: DisputesService,
) -> None:
    """Mounts /api/payments, and the admin routes of payment rules (disputes, reconcile)."""
    for path, cls in (
        ("/api/payments", Payments),
        ("/api/payments/{payment_id:uuid}", Payment),
        ("/api/payments/{payment_id:uuid}/confirm", Confirm),
        ("/api/payments/{payment_id:uuid}/cancel", Cancel),
        ("/api/payments/{payment_id:uuid}/refunds", Refunds),
    ):
        routes.add(path, cls(service))
    routes.add("/api/payments/webhooks/stripe", StripeWebhook(webhooks))
    routes.add("/api/payments/webhooks/flutterwave", FlutterwaveWebhook(webhooks))
    routes.add("/api/payments/flutterwave/return", FlutterwaveReturn(webhooks))
    routes.add("/api/payments/{payment_id:uuid}/disputes", Disputes(disputes))
    routes.add("/api/admin/disputes", AdminDisputes(disputes))
    routes.add("/api/admin/disputes/{dispute_id:uuid}/resolve", ResolveDispute(disputes))
    routes.add("/api/admin/payments/reconcile", Reconcile(reconciler))
