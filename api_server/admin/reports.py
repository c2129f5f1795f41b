"""The admin console's read side: transactions, audit log, system status, summary report."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import falcon

from api_server.admin import console_queries as queries
from api_server.admin import schemas
from api_server.admin.console import Period, admin_operation
from api_server.auth.principal import Principal
from api_server.common.pagination import fetch_page, page_body, paging
from api_server.common.routes import Resource, Routes
from api_server.db import Database
from api_server.db.migrate import MIGRATIONS_DIR
from api_server.marketplace.generation_watch import GenerationWatch
from api_server.marketplace.search_cache import SearchCache
from api_server.payments.gateways import Health
from api_server.payments.views import public_payment

# A payment still open this long after it was made means a webhook went missing.
STALE_PAYMENT_SECONDS = 600
_log = logging.getLogger("api_server.admin")


class Probed(Protocol):
    """What the status page needs of a payment gateway."""

    def probe(self) -> Health:
        """One valid, authenticated call: usable, wrong key, unreachable or failing."""
        ...


def _per_currency(rows: list[dict[str, Any]], *fields: str) -> dict[str, dict[str, int]]:
    return {r["currency"].strip(): {f: int(r[f]) for f in fields} for r in rows}


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


class ReportsService:
    """Read-only views over the whole marketplace, for admins."""

    def __init__(
        self,
        db: Database,
        gateways: Mapping[str, Probed],
        search_cache: SearchCache,
        watch: GenerationWatch,
        migrations_dir: Path = MIGRATIONS_DIR,
    ) -> None:
        self._db = db
        self._gateways = gateways
        self._search_cache = search_cache
        self._watch = watch
        self._migrations_dir = migrations_dir

    def transactions(self, viewer: Principal, query: Mapping[str, Any]) -> dict[str, Any]:
        """Payments, newest first, with per-currency totals over every filtered payment."""
        page, per_page, offset = paging(query)
        params = {
            "status": query.get("status"),
            "provider": query.get("provider"),
            **Period.of(query).params,
            "limit": per_page,
            "offset": offset,
        }
        # One snapshot for both statements, so the page always agrees with its totals.
        with self._db.transaction() as cur:
            cur.execute(queries.READ_ONLY_SNAPSHOT)
            cur.execute(queries.TRANSACTION_TOTALS, params)
            totals = _per_currency(cur.fetchall(), "count", "amount", "refunded")
            cur.execute(queries.LIST_TRANSACTIONS, params)
            rows = cur.fetchall()
        body = page_body(
            [public_payment(r, viewer=viewer) for r in rows],
            page,
            per_page,
            sum(t["count"] for t in totals.values()),
        )
        body["totals"] = totals
        return body

    def audit_log(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """Audit rows, newest first."""
        page, per_page, offset = paging(query)
        params = {
            "actor": query.get("actor"),
            "action": query.get("action"),
            "target": query.get("target"),
            **Period.of(query).params,
            "limit": per_page,
            "offset": offset,
        }
        with self._db.transaction() as cur:
            rows, total = fetch_page(cur, queries.LIST_AUDIT, queries.COUNT_AUDIT, params)
        items = [_iso({k: v for k, v in r.items() if k != "total"}) for r in rows]
        return page_body(items, page, per_page, total)

    def system(self) -> dict[str, Any]:
        """Database, migrations, outbox and webhook backlogs, gateway reachability, and the
        answering worker's search cache."""
        # The gateways are asked in parallel: each may take its whole timeout when down.
        with ThreadPoolExecutor(max_workers=max(1, len(self._gateways))) as pool:
            checks = {name: pool.submit(_probe, name, g) for name, g in self._gateways.items()}
            with self._db.transaction() as cur:
                started = time.perf_counter()
                cur.execute(queries.PING)
                cur.fetchone()
                latency_ms = (time.perf_counter() - started) * 1000
                pool_state = {"size": self._db.size, "in_use": self._db.in_use}
                cur.execute(queries.MIGRATION_VERSION)
                version = cur.fetchone()["version"]
                cur.execute(queries.OUTBOX_BACKLOG)
                outbox = cur.fetchone()
                cur.execute(queries.WEBHOOK_BACKLOG, {"stale_after": STALE_PAYMENT_SECONDS})
                webhooks = cur.fetchone()
            gateways = {name: check.result() for name, check in checks.items()}
        return {
            "database": {"latency_ms": round(latency_ms, 3), "pool": pool_state},
            "migrations": {
                "version": version,
                "files": len(list(self._migrations_dir.glob("*.sql"))),
            },
            "outbox": {
                "pending": outbox["pending"],
                "oldest_pending_age_seconds": outbox["oldest_pending_age_seconds"],
            },
            "webhooks": dict(webhooks),
            "gateways": gateways,
            # Per process: the worker that answered (its pid tells the workers apart).
            "search_cache": {
                "worker": os.getpid(),
                **self._search_cache.stats(),
                "generation_watch": self._watch.stats(),
            },
        }

    def summary(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """Accounts and listings as they are now; sales and refunds in the period."""
        period = Period.of(query)
        users = {
            "by_role": dict.fromkeys(schemas.ROLES, 0),
            "by_status": dict.fromkeys(schemas.ACCOUNT_STATUSES, 0),
        }
        listings = dict.fromkeys(schemas.LISTING_STATUSES, 0)
        with self._db.transaction() as cur:
            cur.execute(queries.READ_ONLY_SNAPSHOT)
            cur.execute(queries.USERS_BY_ROLE_AND_STATUS)
            for row in cur.fetchall():
                if row["role"] is not None:
                    users["by_role"][row["role"]] = row["count"]
                else:
                    users["by_status"][row["status"]] = row["count"]
            cur.execute(queries.LISTINGS_BY_STATUS)
            listings.update({r["status"]: r["count"] for r in cur.fetchall()})
            cur.execute(queries.SALES, period.params)
            sales = _per_currency(cur.fetchall(), "count", "amount")
            cur.execute(queries.REFUNDS, period.params)
            refunds = _per_currency(cur.fetchall(), "count", "amount")
        return {
            "period": {"from": query.get("from"), "to": query.get("to")},
            "users": users,
            "listings": {"by_status": listings},
            "sales": sales,
            "refunds": refunds,
        }


def _probe(name: str, gateway: Probed) -> dict[str, Any]:
    # A status page must answer even when a gateway client misbehaves in a new way.
    try:
        health = gateway.probe()
    except Exception:
        _log.exception("probe of %s failed", name)
        health = Health("error", "The check itself failed; see the server log.")
    return {"status": health.status, "ok": health.status == "ok", "detail": health.detail}


class Transactions(Resource[ReportsService]):
    """GET /api/admin/transactions."""

    @admin_operation(
        "List every payment, with totals per currency",
        query=schemas.TRANSACTIONS_QUERY,
        responses={200: schemas.TRANSACTION_PAGE},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Filtered by status, provider and creation period; newest first."""
        resp.media = self.service.transactions(req.context.principal, req.context.query)


class AuditLog(Resource[ReportsService]):
    """GET /api/admin/audit-log (read only: the log has no other operation)."""

    @admin_operation(
        "Read the audit log",
        query=schemas.AUDIT_QUERY,
        responses={200: schemas.AUDIT_PAGE},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Filtered by actor, action, target id and period; newest first."""
        resp.media = self.service.audit_log(req.context.query)


class SystemStatus(Resource[ReportsService]):
    """GET /api/admin/system."""

    @admin_operation(
        "Read the system status",
        responses={200: schemas.SYSTEM},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Database, migrations, backlogs and gateways, measured now."""
        resp.media = self.service.system()
        resp.cache_control = ["no-store"]


class Summary(Resource[ReportsService]):
    """GET /api/admin/reports/summary."""

    @admin_operation(
        "Summary report: accounts, listings, sales and refunds",
        query=schemas.SUMMARY_QUERY,
        responses={200: schemas.SUMMARY},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Sales and refunds in the period given by `from` and `to`."""
        resp.media = self.service.summary(req.context.query)


def add_routes(routes: Routes, service: ReportsService) -> None:
    """Mounts the console under /api/admin: reports, system view and audit log."""
    routes.add("/api/admin/transactions", Transactions(service))
    routes.add("/api/admin/audit-log", AuditLog(service))
    routes.add("/api/admin/system", SystemStatus(service))
    routes.add("/api/admin/reports/summary", Summary(service))
