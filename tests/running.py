"""Loopback services for the length of a test: sandboxes and verifying webhook receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import pytest

from sandbox.harness.standalone import WebhookReceiver


class Service(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> Any: ...


S = TypeVar("S", bound=Service)


@contextmanager
def running(service: S) -> Iterator[S]:
    """Starts `service`, yields it, and stops it however the test ends."""
    service.start()
    try:
        yield service
    finally:
        service.stop()


def receiver_fixture(verify: Callable[[dict[str, str], bytes], int]) -> Any:
    """A `receiver` fixture: a webhook endpoint answering what `verify` says of each POST."""

    @pytest.fixture
    def receiver() -> Iterator[WebhookReceiver]:
        with running(WebhookReceiver(verify)) as hook:
            yield hook

    return receiver
