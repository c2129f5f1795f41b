"""The app factory: everything the API needs comes in through `config`."""

from __future__ import annotations

import falcon

from api_server.admin import listings as admin_listings
from api_server.admin import reports as admin_reports
from api_server.admin import users as admin_users
from api_server.common import errors
from api_server.common.mail import Mailer
from api_server.common.middleware import BodyLimit, RequestId
from api_server.common.outbox import OutboxDispatcher
from api_server.common.routes import Routes
from api_server.config import Config
from api_server.db import Database
from api_server.health.resources import Liveness, OpenApi, Readiness
from api_server.marketplace import resources as marketplace
from api_server.openapi import build_document
from api_server.payments import resources as payments
from api_server.payments.disputes import DisputesService
from api_server.payments.flutterwave_gateway import FlutterwaveGateway
from api_server.payments.reconcile import Reconciler
from api_server.payments.service import PaymentsService
from api_server.payments.stripe_gateway import StripeGateway
from api_server.payments.webhooks import WebhookService
from api_server.users import resources as users
from api_server.users.service import UsersService
from api_server.users.tokens import TokenService


class MarketplaceApp(falcon.App):
    """The Falcon app, carrying its route list and database for tools and tests."""

    routes: Routes
    db: Database
    outbox: OutboxDispatcher
    users: UsersService
    payments: PaymentsService
    reconciler: Reconciler

    def start_background(self) -> None:
        """Starts this worker's delivery thread (gunicorn calls it after fork)."""
        self.outbox.start()


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
    mailer = Mailer(config.smtp_host, config.smtp_port, config.mail_from, config.smtp_timeout)
    outbox = OutboxDispatcher(db, mailer, config.outbox_retry_seconds)
    tokens = TokenService(config, db)
    users_service = UsersService(config, db, tokens, outbox)
    users.add_routes(routes, users_service, tokens, config)
    marketplace.add_routes(routes, db, tokens, config)
    admin_listings.add_routes(routes, db, tokens)
    flutterwave = FlutterwaveGateway(config)
    stripe_gateway = StripeGateway(config)
    payments_service = PaymentsService(
        config, db, outbox, stripe_gateway, flutterwave, rates=flutterwave
    )
    webhooks = WebhookService(config, db, outbox, payments_service, stripe_gateway, flutterwave)
    reconciler = Reconciler(db, payments_service)
    disputes = DisputesService(db, payments_service)
    payments.add_routes(routes, payments_service, webhooks, reconciler, tokens, disputes)
    admin_users.add_routes(routes, db, tokens)
    admin_reports.add_routes(routes, db, tokens, payments_service.gateways)
    app.routes = routes
    app.outbox = outbox
    app.users = users_service
    app.payments = payments_service
    app.reconciler = reconciler
    app.db = db
    return app
