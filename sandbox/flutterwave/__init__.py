"""The Flutterwave stand-in: state and rules without HTTP (state, checkout, refunds, rules),
direct charges (charge_rules, charges) and the HTTP layer that mounts the state on
Flutterwave's routes, its hosted page and its mobile money page (http).
``FlutterwaveSandbox`` is the whole of it."""

from sandbox.flutterwave.http import FlutterwaveSandbox
from sandbox.flutterwave.rules import AMOUNT_DECIMALS, DEFAULT_AMOUNT_DECIMALS

__all__ = ["AMOUNT_DECIMALS", "DEFAULT_AMOUNT_DECIMALS", "FlutterwaveSandbox"]
