"""Fixtures: a Stripe sandbox on port 0, a verifying webhook receiver, SDK clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from sandbox.harness.standalone import WebhookReceiver
from sandbox.stripe import StripeSandbox
from tests.running import receiver_fixture, running
from tests.sandbox.stripe.support import SECRET_KEY, WEBHOOK_SECRET, verify

receiver = receiver_fixture(verify)


@pytest.fixture
def sandbox(receiver: WebhookReceiver) -> Iterator[StripeSandbox]:
    box = StripeSandbox(
        secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, backoff=(0.02, 0.05), max_attempts=4
    )
    with running(box):
        box.set_webhook_url(receiver.url)
        yield box


@pytest.fixture
def client(sandbox: StripeSandbox) -> stripe.StripeClient:
    return stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0
    )


@pytest.fixture
def browser(sandbox: StripeSandbox) -> stripe.StripeClient:
    """What Stripe.js is: a client holding only the publishable key."""
    return stripe.StripeClient(
        sandbox.publishable_key, base_addresses={"api": sandbox.url}, max_network_retries=0
    )
