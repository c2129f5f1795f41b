"""SQL of the health checks."""

PING = "SELECT 1 AS ok"
