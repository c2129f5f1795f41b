"""SQL of the admin console: accounts, transactions, audit log, system status, reports."""

from api_server.payments.queries import PAYMENT_COLUMNS


# Every list filter is "parameter is NULL or column matches", so one statement serves any
# combination of filters; `until` is an exclusive upper bound.
def _period(column: str) -> str:
    return f"""
  AND (%(from)s::timestamptz IS NULL OR {column} >= %(from)s)
  AND (%(until)s::timestamptz IS NULL OR {column} < %(until)s)
"""


# Reports that run several statements see one snapshot, so their parts add up.
READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"

# Transactions

_PAYMENTS_WHERE = f"""
WHERE (%(status)s::text IS NULL OR p.status = %(status)s)
  AND (%(provider)s::text IS NULL OR p.provider = %(provider)s)
{_period("p.created_at")}
"""

LIST_TRANSACTIONS = f"""
SELECT {PAYMENT_COLUMNS} FROM payments p
{_PAYMENTS_WHERE}
ORDER BY p.created_at DESC, p.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""

# The totals also give the page's `total`: the sum of the per-currency counts.
TRANSACTION_TOTALS = f"""
SELECT p.currency, count(*) AS count, sum(p.amount)::bigint AS amount,
       sum(p.amount_refunded)::bigint AS refunded
FROM payments p
{_PAYMENTS_WHERE}
GROUP BY p.currency ORDER BY p.currency
"""

# Audit log

_AUDIT_WHERE = f"""
WHERE (%(actor)s::uuid IS NULL OR actor_id = %(actor)s::uuid)
  AND (%(action)s::text IS NULL OR action = %(action)s)
  AND (%(target)s::text IS NULL OR target_id = %(target)s)
{_period("created_at")}
"""

LIST_AUDIT = f"""
SELECT id, actor_id::text AS actor_id, action, target_type, target_id, details, request_id,
       created_at, count(*) OVER () AS total
FROM audit_log
{_AUDIT_WHERE}
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""

COUNT_AUDIT = f"SELECT count(*) AS total FROM audit_log {_AUDIT_WHERE}"

# System status

PING = "SELECT 1"

MIGRATION_VERSION = "SELECT max(version) AS version FROM schema_migrations"

OUTBOX_BACKLOG = """
SELECT count(*) AS pending,
       extract(epoch FROM now() - min(created_at))::float8 AS oldest_pending_age_seconds
FROM outbox WHERE status = 'pending'
"""

# Payments a webhook should long have settled, and events the API could not apply.
WEBHOOK_BACKLOG = """
SELECT
    (SELECT count(*) FROM payments
     WHERE status IN ('pending', 'processing')
       AND created_at < now() - make_interval(secs => %(stale_after)s)) AS stale_payments,
    (SELECT count(*) FROM payment_events
     WHERE outcome IN ('amount_mismatch', 'verification_mismatch', 'unknown_reference'))
        AS unmatched_events
"""

# Reports

# One scan, two groupings: rows with a role (status NULL) and rows with a status.
USERS_BY_ROLE_AND_STATUS = """
SELECT role, status, count(*) AS count FROM users GROUP BY GROUPING SETS ((role), (status))
"""

LISTINGS_BY_STATUS = "SELECT status, count(*) AS count FROM listings GROUP BY status"

# A sale is a payment that was paid, whatever happened to it afterwards; it counts in the
# period in which it was paid.
SALES = f"""
SELECT currency, count(*) AS count, sum(amount)::bigint AS amount FROM payments
WHERE status IN ('succeeded', 'partially_refunded', 'refunded', 'disputed')
{_period("paid_at")}
GROUP BY currency ORDER BY currency
"""

# A refund counts when the gateway confirmed it (its row's last update).
REFUNDS = f"""
SELECT currency, count(*) AS count, sum(amount)::bigint AS amount FROM refunds
WHERE status = 'succeeded'
{_period("updated_at")}
GROUP BY currency ORDER BY currency
"""
