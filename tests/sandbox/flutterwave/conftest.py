"""Fixtures: a Flutterwave sandbox on port 0 with a controllable clock and a receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.harness.standalone import WebhookReceiver
from tests.running import receiver_fixture, running
from tests.sandbox.flutterwave.support import SECRET_HASH, SECRET_KEY, Clock, verify

receiver = receiver_fixture(verify)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(receiver: WebhookReceiver, clock: Clock) -> Iterator[FlutterwaveSandbox]:
    box = FlutterwaveSandbox(
        secret_key=SECRET_KEY,
        webhook_secret=SECRET_HASH,
        webhook_url=receiver.url,
        backoff=(0.02, 0.05),
        max_attempts=3,
        clock=clock,
    )
    with running(box):
        yield box
