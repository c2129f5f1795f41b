"""The session database beyond cosmic-ray's tables: trial times, re-runs, report records."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from cosmic_ray.work_db import WorkDB
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

from tooling.mutation.catalogue import mutants
from tooling.mutation.trial import Outcome

TRIALS = """CREATE TABLE IF NOT EXISTS mutation_trials (
    job_id TEXT PRIMARY KEY, seconds REAL NOT NULL, timed_out INTEGER NOT NULL, killed_by TEXT)"""
NOT_SAMPLED = "not in the sample"


def _trials_table(conn: sqlite3.Connection) -> None:
    conn.execute(TRIALS)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(mutation_trials)")}
    if "killed_by" not in columns:  # a session written before the column existed
        conn.execute("ALTER TABLE mutation_trials ADD COLUMN killed_by TEXT")


def record_trial(session: Path, job_id: str, outcome: Outcome) -> None:
    """Keeps how long a mutant's trial took, whether it hit the per-mutant timeout, and
    which runner killed it."""
    with sqlite3.connect(session) as conn:
        _trials_table(conn)
        conn.execute(
            "INSERT OR REPLACE INTO mutation_trials VALUES (?, ?, ?, ?)",
            (job_id, round(outcome.seconds, 2), int(outcome.timed_out), outcome.killed_by),
        )


def trials(session: Path) -> dict[str, tuple[float, bool, str | None]]:
    """job id -> (seconds, timed out, killed by) for every trial run."""
    with sqlite3.connect(session) as conn:
        _trials_table(conn)
        rows = conn.execute("SELECT job_id, seconds, timed_out, killed_by FROM mutation_trials")
        return {job: (seconds, bool(out), killer) for job, seconds, out, killer in rows}


def forget_results(session: Path, job_ids: list[str]) -> None:
    """Makes these mutants pending again (to re-run survivors after adding tests)."""
    with sqlite3.connect(session) as conn:
        conn.executemany("DELETE FROM work_results WHERE job_id = ?", [(j,) for j in job_ids])


def status_of(result: Any, timed_out: bool) -> str:
    """killed, timeout, survived, error, skipped, no-mutation or not-run."""
    if result is None:
        return "not-run"
    if result.worker_outcome == WorkerOutcome.SKIPPED:
        return "skipped"
    if result.worker_outcome == WorkerOutcome.NO_TEST:
        return "no-mutation"
    if (
        result.worker_outcome != WorkerOutcome.NORMAL
        or result.test_outcome == TestOutcome.INCOMPETENT
    ):
        return "error"
    if result.test_outcome == TestOutcome.SURVIVED:
        return "survived"
    return "timeout" if timed_out else "killed"


def records(db: WorkDB, session: Path, root: Path) -> list[dict[str, Any]]:
    """One plain dict per mutant, for the report: where, what, status, diff, time."""
    results = dict(db.results)
    times = trials(session)
    rows = []
    for mutant in mutants(db, root, session):
        result = results.get(mutant.job_id)
        seconds, timed_out, killed_by = times.get(mutant.job_id, (None, False, None))
        status = status_of(result, timed_out)
        rows.append(
            {
                "key": mutant.key,
                "job_id": mutant.job_id,
                "module": mutant.module,
                "operator": mutant.operator,
                "occurrence": mutant.occurrence,
                "line_number": mutant.line_number,
                "line": mutant.line,
                "above": list(mutant.above),
                "status": status,
                "skip_reason": result.output if result and status == "skipped" else None,
                "diff": result.diff if result is not None else None,
                "output": result.output if result and status in ("error", "timeout") else None,
                "seconds": seconds,
                "killed_by": killed_by if status in ("killed", "timeout") else None,
            }
        )
    return rows
