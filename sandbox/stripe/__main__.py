"""python -m sandbox.stripe: the Stripe stand-in on its own (docs/sandboxes.md)."""

from __future__ import annotations

import sys

from sandbox.harness.standalone import run_standalone
from sandbox.stripe.http import StripeSandbox


def main(argv: list[str] | None = None) -> int:
    return run_standalone(
        StripeSandbox, argv, {"secret_key": "sk_test_sandbox", "webhook_secret": "whsec_sandbox"}
    )


if __name__ == "__main__":
    sys.exit(main())
