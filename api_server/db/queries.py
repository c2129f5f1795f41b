"""SQL of the migration runner."""

ADVISORY_LOCK_KEY = 7_246_113_001

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""

LOCK = "SELECT pg_advisory_xact_lock(%s)"

APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"

RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)"

TABLE_EXISTS = "SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present"
