"""The HTTP layer of the Flutterwave stand-in: routes to ``FlutterwaveSandbox`` methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from sandbox.common import read_json

if TYPE_CHECKING:
    from sandbox.flutterwave import FlutterwaveSandbox


class FlutterwaveApi:
    """/v3 routes: hosted payments, verify, refunds, transfer rates."""

    def __init__(self, sandbox: FlutterwaveSandbox) -> None:
        self._sb = sandbox

    def on_post_payments(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_payment(read_json(req))

    def on_get_verify(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.verify(ref)

    def on_get_verify_by_ref(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.verify_by_reference(req.get_param("tx_ref"))

    def on_post_refund(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.refund(ref, read_json(req))

    def on_get_refunds(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_refunds(dict(req.params))

    def on_get_rates(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.transfer_rate(
            req.get_param("amount"),
            req.get_param("source_currency"),
            req.get_param("destination_currency"),
        )


class FlutterwaveControl:
    """Flutterwave's own /_sandbox/ routes: rates, clock, overrides, crafted events, links."""

    def __init__(self, sandbox: FlutterwaveSandbox) -> None:
        self._sb = sandbox

    def on_post_rates(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.set_rate(read_json(req))

    def on_post_clock(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.advance_clock(read_json(req))

    def on_post_override(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.override(ref, read_json(req))

    def on_delete_override(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.clear_override(ref)

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.craft_event(ref, read_json(req))

    def on_get_checkout(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.checkout_link(ref)
