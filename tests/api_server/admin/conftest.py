"""Fixtures: the real app with fake gateways, so status checks never leave the machine."""

from __future__ import annotations

from collections.abc import Iterator

import falcon.testing
import pytest

from api_server.app import MarketplaceApp
from api_server.config import Config
from tests.api_server.admin.support import FakeGateway
from tests.factories import make_app


@pytest.fixture
def app(config: Config) -> Iterator[MarketplaceApp]:
    application = make_app(
        config, stripe=FakeGateway("ok"), flutterwave=FakeGateway("unauthorized")
    )
    yield application
    application.services.close()


@pytest.fixture
def client(app: MarketplaceApp) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(app)
