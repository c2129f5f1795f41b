"""Fixtures: the real app with a small photo limit, a client, a seller and an admin."""

from __future__ import annotations

from typing import Any

import falcon.testing
import pytest

from api_server.app import MarketplaceApp
from api_server.config import Config
from tests.api_server.marketplace.support import MAX_PHOTO
from tests.factories import app_config, make_user


@pytest.fixture
def config(dsn: str) -> Config:
    return app_config(dsn, max_upload_bytes=MAX_PHOTO)


@pytest.fixture
def client(app: MarketplaceApp) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(app)


@pytest.fixture
def seller(app: MarketplaceApp) -> dict[str, Any]:
    return make_user(app, "seller")


@pytest.fixture
def admin(app: MarketplaceApp) -> dict[str, Any]:
    return make_user(app, "admin")
