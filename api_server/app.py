"""The app factory: everything the API needs comes in through `config`."""

from __future__ import annotations

import falcon

from api_server.common import errors
from api_server.common.middleware import BodyLimit, RequestId
from api_server.common.routes import Routes
from api_server.config import Config
from api_server.db import Database
from api_server.health.resources import Liveness, OpenApi, Readiness
from api_server.openapi import build_document


class MarketplaceApp(falcon.App):
    """The Falcon app, carrying its route list and database for tools and tests."""

    routes: Routes
    db: Database


def create_app(config: Config, db: Database | None = None) -> MarketplaceApp:
    """Builds the WSGI app; `db` may be given by tests, else a pool is made from config."""
    db = db or Database(
        config.database_url, config.db_pool_min, config.db_pool_max, config.db_pool_timeout
    )
    cors = falcon.CORSMiddleware(
        allow_origins=list(config.cors_origins) or "*",
        expose_headers=["X-Request-ID", "ETag", "Retry-After", "Location"],
    )
    app = MarketplaceApp(
        middleware=[RequestId(), cors, BodyLimit(config.max_body_bytes, config.max_upload_bytes)]
    )
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    routes = Routes(app)
    routes.add("/api/health", Liveness())
    routes.add("/api/health/ready", Readiness(db))
    routes.add("/api/openapi.json", OpenApi(lambda: build_document(routes)))
    app.routes = routes
    app.db = db
    return app
