"""python -m sandbox.flutterwave: the Flutterwave stand-in on its own (docs/sandboxes.md)."""

from __future__ import annotations

import sys

from sandbox.flutterwave.http import FlutterwaveSandbox
from sandbox.harness.standalone import run_standalone


def main(argv: list[str] | None = None) -> int:
    return run_standalone(
        FlutterwaveSandbox,
        argv,
        {"secret_key": "FLWSECK_TEST-sandbox", "webhook_secret": "sandbox-secret-hash"},
    )


if __name__ == "__main__":
    sys.exit(main())
