"""The part of the composition every entry point shares: database, mail, tokens and users.

`build_services` (services.py) starts from it; the operator command `users create-admin`
builds only this. That command runs once per suite in a test run (each suite's cast has an
admin) and importing the whole API, gateway SDKs included, took 0.65 s of CPU a time against
0.25 s for this part (docs/writing-tests.md, "How long make test takes").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from api_server.auth.tokens import TokenService
from api_server.common.mail import Mailer
from api_server.common.outbox import OutboxDispatcher
from api_server.config import Config
from api_server.db import Database
from api_server.observability.tracing import Tracing
from api_server.users.passwords import Passwords
from api_server.users.service import UsersService


@dataclass(frozen=True)
class Core:
    """The collaborators below every domain service, and the users service on them."""

    config: Config
    db: Database
    outbox: OutboxDispatcher
    tokens: TokenService
    users: UsersService

    def close(self) -> None:
        """Stops the delivery thread and closes the pool."""
        self.outbox.stop()
        self.db.close()


def build_core(
    config: Config,
    *,
    db: Database | None = None,
    mailer: Mailer | None = None,
    clock: Callable[[], float] = time.time,
    tracing: Tracing | None = None,
) -> Core:
    """The real core from `config`; a database or mailer given as an argument replaces it."""
    db = db or Database(
        config.database_url,
        config.db_pool_min,
        config.db_pool_max,
        config.db_pool_timeout,
        tracing=tracing,
    )
    mailer = mailer or Mailer(
        config.smtp_host, config.smtp_port, config.mail_from, config.smtp_timeout
    )
    outbox = OutboxDispatcher(db, mailer, config.outbox_retry_seconds, tracing=tracing)
    tokens = TokenService(config, db, clock)
    users = UsersService(config, db, tokens, outbox, Passwords(config.password_hash_profile))
    return Core(config=config, db=db, outbox=outbox, tokens=tokens, users=users)
