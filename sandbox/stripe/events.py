"""Events of the Stripe stand-in: emitted, listed and read (docs.stripe.com/api/events).

A mixin of ``StripeState``: events go out through its ``webhooks`` deliverer.
"""

from __future__ import annotations

import copy
import time

from sandbox.harness.common import new_id
from sandbox.harness.webhooks import EventRecord, WebhookDeliverer
from sandbox.stripe.errors import Obj, no_such
from sandbox.stripe.lists import created_filter, page, type_matches
from sandbox.stripe.params import boolean
from sandbox.stripe.rules import API_VERSION


class EventsMixin:
    """``_emit``, ``list_events`` and ``get_event`` for ``StripeState``."""

    webhooks: WebhookDeliverer

    def _emit(self, type_: str, obj: Obj, ctx: Obj, deliver: bool = True) -> Obj:
        event_id, created = new_id("evt_"), int(time.time())
        event: Obj = {
            "id": event_id,
            "object": "event",
            "api_version": ctx.get("api_version") or API_VERSION,
            "created": created,
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": ctx.get("request_id"), "idempotency_key": ctx.get("idempotency_key")},
            "type": type_,
        }
        self.webhooks.publish(
            EventRecord(event_id, type_, obj["id"], created, event), deliver=deliver
        )
        return event

    def list_events(self, params: Obj) -> Obj:
        records = list(reversed(self.webhooks.records()))
        if params.get("delivery_success") is not None:
            wanted = boolean(params, "delivery_success")
            records = [r for r in records if r.delivered == wanted]
        items = [self._event_view(r) for r in records]
        if params.get("type"):
            items = [e for e in items if type_matches(str(params["type"]), e["type"])]
        if params.get("types") is not None:
            items = [e for e in items if e["type"] in params["types"]]
        items = created_filter(items, params.get("created"))
        return page(items, "/v1/events", params, "event")

    def get_event(self, event_id: str) -> Obj:
        record = self.webhooks.get(event_id)
        if record is None:
            raise no_such("event", event_id)
        return self._event_view(record)

    @staticmethod
    def _event_view(record: EventRecord) -> Obj:
        event = copy.deepcopy(record.body)
        event["pending_webhooks"] = 0 if record.delivered or record.gave_up else 1
        return event
