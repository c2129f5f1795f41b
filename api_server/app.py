"""The app factory: mounts the services it is given; it builds none of them."""

from __future__ import annotations

import falcon

from api_server.admin import reports
from api_server.auth.middleware import Authentication
from api_server.common import errors
from api_server.common.middleware import BodyLimit, RequestId
from api_server.common.routes import Routes
from api_server.common.validation import strict_json_handler
from api_server.health.resources import Liveness, OpenApi, Readiness
from api_server.marketplace import resources as marketplace
from api_server.observability.falcon import SpanRoute
from api_server.openapi import build_document
from api_server.payments import resources as payments
from api_server.services import Services
from api_server.users import resources as users


class MarketplaceApp(falcon.App):
    """The Falcon app, carrying its routes and services for tools and tests."""

    routes: Routes
    services: Services

    def start_background(self) -> None:
        """Starts this worker's delivery thread (gunicorn calls it after fork)."""
        self.services.outbox.start()


def create_app(services: Services) -> MarketplaceApp:
    """The WSGI app over `services`.

    Who mounts what: each domain package mounts its own routes, including the `/api/admin/...`
    routes of the rules it owns (accounts in users/, moderation in marketplace/, disputes and
    reconciliation in payments/); admin/ mounts only the console (reports, system, audit log).
    """
    config = services.config
    cors: falcon.CORSMiddleware = falcon.CORSMiddleware(
        allow_origins=list(config.cors_origins) or "*",
        expose_headers=["X-Request-ID", "ETag", "Retry-After", "Location"],
    )
    app = MarketplaceApp(
        middleware=[
            SpanRoute(),
            RequestId(),
            cors,
            BodyLimit(config.max_body_bytes, config.max_upload_bytes),
        ]
    )
    routes = Routes(app)
    app.add_middleware(Authentication(services.tokens, routes.operation))
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.media_handlers[falcon.MEDIA_JSON] = strict_json_handler()
    errors.install(app)
    routes.add("/api/health", Liveness())
    routes.add("/api/health/ready", Readiness(services.db))
    routes.add("/api/openapi.json", OpenApi(lambda: build_document(routes)))
    users.add_routes(routes, services.users, services.accounts, config)
    marketplace.add_routes(routes, services.marketplace, services.moderation)
    payments.add_routes(
        routes, services.payments, services.webhooks, services.reconciler, services.disputes
    )
    reports.add_routes(routes, services.reports)
    app.routes = routes
    app.services = services
    return app
