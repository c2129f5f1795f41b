"""The composition root: every collaborator of the API is built here, once.

`build_services(config)` makes the real ones; tests and tools pass fakes for the edges
(database, mailer, gateways, clock, search cache, commit clock) as arguments, never by
patching an app afterwards.
`create_app(services)` (app.py) only mounts them, and the CLI uses them without an app.
The database, mail, tokens and users come from `core.build_core`, which the CLI's
`users create-admin` uses alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from api_server.admin.reports import ReportsService
from api_server.auth.tokens import TokenService
from api_server.common.mail import Mailer
from api_server.common.outbox import OutboxDispatcher
from api_server.config import Config
from api_server.core import build_core
from api_server.db import Database
from api_server.db.commit_clock import CommitClock
from api_server.marketplace.generation_watch import GenerationWatch
from api_server.marketplace.moderation import ModerationService
from api_server.marketplace.search import cursor_key_of
from api_server.marketplace.search_cache import SearchCache
from api_server.marketplace.service import MarketplaceService
from api_server.observability.tracing import Tracing
from api_server.payments.disputes import DisputesService
from api_server.payments.flutterwave_gateway import FlutterwaveGateway
from api_server.payments.gateways import CardGateway, Gateway
from api_server.payments.reconcile import Reconciler
from api_server.payments.service import PaymentsService
from api_server.payments.stripe_gateway import StripeGateway
from api_server.payments.webhooks import WebhookService
from api_server.users.accounts import AccountsService
from api_server.users.service import UsersService


@dataclass(frozen=True)
class Services:
    """Everything the API's resources and the operator commands call."""

    config: Config
    db: Database
    outbox: OutboxDispatcher
    tokens: TokenService
    users: UsersService
    accounts: AccountsService
    marketplace: MarketplaceService
    moderation: ModerationService
    payments: PaymentsService
    webhooks: WebhookService
    reconciler: Reconciler
    disputes: DisputesService
    reports: ReportsService
    search_cache: SearchCache
    generation_watch: GenerationWatch
    commit_clock: CommitClock

    def close(self) -> None:
        """Stops the delivery and watch threads and closes the pool."""
        self.generation_watch.stop()
        self.outbox.stop()
        self.db.close()


def build_services(
    config: Config,
    *,
    db: Database | None = None,
    mailer: Mailer | None = None,
    stripe: CardGateway | None = None,
    flutterwave: Gateway | None = None,
    clock: Callable[[], float] = time.time,
    search_cache: SearchCache | None = None,
    commit_clock: CommitClock | None = None,
    tracing: Tracing | None = None,
) -> Services:
    """The real services from `config`; any edge given as an argument replaces the real one.

    A replaced gateway replaces its payment calls only: rates and the verification of
    webhooks stay with the real clients, which talk to the configured API bases.
    """
    core = build_core(config, db=db, mailer=mailer, clock=clock, tracing=tracing)
    db, outbox = core.db, core.outbox
    flutterwave_client = FlutterwaveGateway(config)
    stripe_client = StripeGateway(config)
    payments = PaymentsService(
        config,
        db,
        outbox,
        stripe or stripe_client,
        flutterwave or flutterwave_client,
        rates=flutterwave_client,
    )
    search_cache = search_cache or SearchCache(
        config.search_cache_entries, config.search_cache_bytes
    )
    commit_clock = commit_clock or CommitClock(config.commit_clock_fd)
    db.after_commit(commit_clock.mark)
    watch = GenerationWatch(config.database_url, config.search_watch_seconds, commit_clock)
    marketplace = MarketplaceService(
        db, config.max_upload_bytes, search_cache, watch, cursor_key_of(config.jwt_secret)
    )
    return Services(
        config=config,
        db=db,
        outbox=outbox,
        tokens=core.tokens,
        users=core.users,
        accounts=AccountsService(db),
        marketplace=marketplace,
        moderation=ModerationService(db),
        payments=payments,
        webhooks=WebhookService(config, db, outbox, payments, stripe_client, flutterwave_client),
        reconciler=Reconciler(db, payments, tracing),
        disputes=DisputesService(db, payments),
        reports=ReportsService(db, payments.gateways, search_cache, watch),
        search_cache=search_cache,
        generation_watch=watch,
        commit_clock=commit_clock,
    )
