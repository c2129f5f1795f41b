"""The HTTP layer of the Flutterwave stand-in: routes to ``FlutterwaveState`` methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from sandbox.flutterwave.charges import PAGE_OUTCOMES, momo_page
from sandbox.flutterwave.checkout import OUTCOMES, page
from sandbox.flutterwave.state import FlutterwaveState
from sandbox.harness.common import read_json


class FlutterwaveApi:
    """/v3 routes: hosted payments, direct charges, verify, refunds, transfer rates."""

    def __init__(self, sandbox: FlutterwaveState) -> None:
        self._sb = sandbox

    def on_post_payments(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_payment(read_json(req))

    def on_post_charges(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_charge(req.get_param("type"), read_json(req))

    def on_get_verify(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.verify(ref)

    def on_get_verify_by_ref(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.verify_by_reference(req.get_param("tx_ref"))

    def on_post_refund(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.refund(ref, read_json(req))

    def on_get_refunds(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_refunds({name: req.get_param(name) or "" for name in req.params})

    def on_get_transactions(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_transactions(
            {name: req.get_param(name) or "" for name in req.params}
        )

    def on_get_rates(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.transfer_rate(
            req.get_param("amount"),
            req.get_param("source_currency"),
            req.get_param("destination_currency"),
        )


class FlutterwaveControl:
    """Flutterwave's own /_sandbox/ routes: rates, clock, overrides, crafted events, links,
    and the customer's side of direct charges."""

    def __init__(self, sandbox: FlutterwaveState) -> None:
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

    def on_get_charge(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.charge_summary(ref)

    def on_post_approve(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.answer_prompt(ref, "approve", read_json(req))

    def on_post_decline(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.answer_prompt(ref, "decline", read_json(req))

    def on_post_timeout(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.answer_prompt(ref, "timeout", read_json(req))

    def on_post_transfer(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.transfer_in(ref, read_json(req))


def answer_page(
    req: falcon.Request,
    resp: falcon.Response,
    result: dict[str, Any],
    render: Callable[[str, dict[str, Any]], str],
) -> None:
    """A customer's page as a browser or a test reads it: JSON when asked for, else the
    redirect the visit ends in, or the page itself."""
    if req.client_prefers([falcon.MEDIA_HTML, falcon.MEDIA_JSON]) == falcon.MEDIA_JSON:
        resp.media = result
    elif result["redirect"]:
        resp.status = falcon.HTTP_302
        resp.location = result["redirect"]
    else:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = render(req.path, result)


class CheckoutPage:
    """Stands in for the customer on Flutterwave's hosted page (no auth, not a control)."""

    def __init__(self, sandbox: FlutterwaveState) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        outcome = req.get_param("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            raise falcon.HTTPBadRequest(description=f"outcome must be one of {OUTCOMES}")
        answer_page(req, resp, self._sb.checkout(token, outcome), page)


class MomoPage:
    """Stands in for the customer on the page a redirect-mode mobile money charge sends
    them to: the OTP, then the prompt on the phone (no auth, not a control)."""

    def __init__(self, sandbox: FlutterwaveState) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        outcome = req.get_param("outcome")
        if outcome is not None and outcome not in PAGE_OUTCOMES:
            raise falcon.HTTPBadRequest(
                description=f"outcome must be one of {tuple(PAGE_OUTCOMES)}"
            )
        answer_page(req, resp, self._sb.momo(token, outcome), momo_page)


class FlutterwaveSandbox(FlutterwaveState):
    """The Flutterwave stand-in: its state, mounted on Flutterwave's routes, its hosted page
    and the sandbox controls."""

    def add_routes(self, app: falcon.App) -> None:
        api = FlutterwaveApi(self)
        for path, suffix in (
            ("/v3/payments", "payments"),
            ("/v3/charges", "charges"),
            ("/v3/transactions/{ref}/verify", "verify"),
            ("/v3/transactions/verify_by_reference", "verify_by_ref"),
            ("/v3/transactions/{ref}/refund", "refund"),
            ("/v3/refunds", "refunds"),
            ("/v3/transactions", "transactions"),
            ("/v3/transfers/rates", "rates"),
        ):
            app.add_route(path, api, suffix=suffix)
        # Flutterwave's own page, not a control: it stays when controls are off.
        app.add_route("/checkout/{token}", CheckoutPage(self))
        app.add_route("/momo/{token}", MomoPage(self))

    def add_control_routes(self, app: falcon.App) -> None:
        control = FlutterwaveControl(self)
        app.add_route("/_sandbox/rates", control, suffix="rates")
        app.add_route("/_sandbox/clock", control, suffix="clock")
        app.add_route("/_sandbox/transactions/{ref}/override", control, suffix="override")
        app.add_route("/_sandbox/transactions/{ref}/events", control, suffix="events")
        app.add_route("/_sandbox/checkouts/{ref}", control, suffix="checkout")
        app.add_route("/_sandbox/charges/{ref}", control, suffix="charge")
        for action in ("approve", "decline", "timeout", "transfer"):
            app.add_route(f"/_sandbox/charges/{{ref}}/{action}", control, suffix=action)
