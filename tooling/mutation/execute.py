"""Runs the pending mutants, side by side when asked, until done or out of time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from cosmic_ray.work_db import WorkDB
from cosmic_ray.work_item import WorkItem

from tooling.mutation import session, trial, workspace
from tooling.mutation.settings import ModuleMap

Progress = Callable[[str], None]


def _judge(
    tree: Path, item: WorkItem, suites: tuple[str, ...], env: dict[str, str], timeout: float
) -> trial.Outcome:
    """One mutant's trial, on a database of its own when its module writes the schema's
    bookkeeping."""
    if str(item.mutations[0].module_path) not in workspace.OWN_DATABASE:
        return trial.mutate_and_run(tree, item, suites, env, timeout)
    with workspace.private_database(env["DATABASE_URL"]) as own:
        return trial.mutate_and_run(tree, item, suites, {**env, "DATABASE_URL": own}, timeout)


def run_pending(
    db: WorkDB,
    session_file: Path,
    trees: dict[Path, dict[str, str]],
    module_map: ModuleMap,
    timeout: float,
    deadline: float | None,
    progress: Progress = print,
) -> int:
    """Runs each pending mutant in a free tree (one trial per tree at a time, each tree with its
    own environment and database) and records its result as it ends; starts no new one after
    `deadline` (monotonic). Returns how many ran."""
    pending: Iterable[WorkItem] = sorted(
        db.pending_work_items,
        key=lambda i: (
            str(i.mutations[0].module_path),
            i.mutations[0].operator_name,
            i.mutations[0].occurrence,
        ),
    )
    queue = iter(pending)
    total = db.num_work_items - db.num_results
    free = list(trees)
    running: dict[Future[trial.Outcome], tuple[Path, WorkItem]] = {}
    done = 0
    with ThreadPoolExecutor(max_workers=len(trees)) as pool:
        try:
            while True:
                while free and (deadline is None or time.monotonic() < deadline):
                    item = next(queue, None)
                    if item is None:
                        break
                    tree = free.pop()
                    suites = module_map.suites_for(str(item.mutations[0].module_path))
                    running[pool.submit(_judge, tree, item, suites, trees[tree], timeout)] = (
                        tree,
                        item,
                    )
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    tree, item = running.pop(future)
                    free.append(tree)
                    outcome = future.result()
                    db.set_result(item.job_id, outcome.result)
                    session.record_trial(session_file, item.job_id, outcome)
                    done += 1
                    spec = item.mutations[0]
                    verdict = (
                        "timeout"
                        if outcome.timed_out
                        else (outcome.result.test_outcome or outcome.result.worker_outcome).value
                    )
                    progress(
                        f"[{done}/{total}] {verdict:9} {outcome.seconds:5.1f}s "
                        f"{spec.module_path} {spec.operator_name} #{spec.occurrence}"
                    )
        except BaseException:
            trial.stop_all()
            raise
    return done
