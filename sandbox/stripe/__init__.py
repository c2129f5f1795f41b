"""The Stripe stand-in: state and rules without HTTP (state, control, events, refunds, rules,
params, lists, objects, errors), the edge both share (edge), and the HTTP layer that mounts
the state on Stripe's routes (http). ``StripeSandbox`` is the whole of it."""

from sandbox.stripe.http import StripeSandbox

__all__ = ["StripeSandbox"]
