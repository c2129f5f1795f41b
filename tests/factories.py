"""Test factories: apps over real services, with fakes passed in at the edges."""

from __future__ import annotations

from typing import Any

from api_server.app import MarketplaceApp, create_app
from api_server.config import Config
from api_server.services import build_services


def make_app(config: Config, **edges: Any) -> MarketplaceApp:
    """The real app on `config`; `edges` (db, mailer, stripe, flutterwave, clock) replace
    the real collaborators, as `build_services` allows."""
    return create_app(build_services(config, **edges))
