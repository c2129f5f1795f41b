"""Database access: a connection pool, one transaction per unit of work, migrations."""

from api_server.db.pool import DATABASE_DOWN, Database, DatabaseUnavailable

__all__ = ["DATABASE_DOWN", "Database", "DatabaseUnavailable"]
