"""SQL of the outbox."""

ENQUEUE = "INSERT INTO outbox (kind, payload, traceparent) VALUES (%s, %s::jsonb, %s)"

CLAIM_DUE = """
SELECT id, kind, payload, attempts, traceparent FROM outbox
WHERE status = 'pending' AND available_at <= now()
ORDER BY id
LIMIT %s
FOR UPDATE SKIP LOCKED
"""

MARK_SENT = """
UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = %s
"""

RETRY_LATER = """
UPDATE outbox SET attempts = attempts + 1, last_error = %s,
                  available_at = now() + make_interval(secs => %s)
WHERE id = %s
"""

MARK_FAILED = """
UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = %s WHERE id = %s
"""
