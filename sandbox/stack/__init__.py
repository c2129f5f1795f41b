"""The local stack: the launcher (python -m sandbox up/run), embedded PostgreSQL, processes,
scratch folders."""
