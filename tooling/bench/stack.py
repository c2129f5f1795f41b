"""A throwaway stack for a benchmark: its own PostgreSQL in a temporary folder, never shared."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sandbox.stack.launcher import Stack


def bench_env(tmp: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a stack in `tmp`: nothing pointing at someone else's services."""
    source = dict(os.environ if environ is None else environ)
    env = {k: v for k, v in source.items() if k not in ("DATABASE_URL", "API_URL")}
    env.update(PGDATA_DIR=f"{tmp}/pg", API_LOG_DIR=tmp, API_ACCESS_LOG="/dev/null")
    env.setdefault("API_LOG_LEVEL", "warning")
    # A login costs what it costs in production (the suite's stacks use the cheapest profile).
    env.setdefault("PASSWORD_HASH_PROFILE", "rfc_9106_low_memory")
    # Off unless asked for (BENCH_TRACING=on): the figures are the API's, not its tracing's.
    # On, the API writes its spans as the suite's stack does, to files in the stack's folder.
    for name in (
        "OTEL_TRACES_DIR",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ):
        env.pop(name, None)
    if source.get("BENCH_TRACING") == "on":
        env["OTEL_TRACES_DIR"] = f"{tmp}/traces"
    return env


@contextmanager
def fresh_stack(prefix: str, workers: int | None = None) -> Iterator[Stack]:
    """Starts a stack in a new temporary folder; stops it and removes the folder afterwards.

    gunicorn's workers come from `workers`, else API_WORKERS, else gunicorn.conf.py's sizing to
    the machine; API_THREADS passes through.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, Stack(bench_env(tmp), workers) as stack:
        yield stack
