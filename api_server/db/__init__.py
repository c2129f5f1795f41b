"""Database access: a connection pool, one transaction per unit of work, migrations."""

from api_server.db.pool import Database, DatabaseUnavailable

__all__ = ["Database", "DatabaseUnavailable"]
