"""python -m tooling.mutation: plant faults in api_server/ and see which the Robot suites catch.

    make mutation                       # MUTATION_SAMPLE=200 MUTATION_SEED=1 MUTATION_TIME=3600
    MUTATION_SAMPLE=all MUTATION_TIME=0 make mutation   # every mutant (the nightly job)
    python -m tooling.mutation --resume          # run what an earlier, time-bound run left pending
    python -m tooling.mutation --rerun-survivors # after adding tests, judge the survivors again
    python -m tooling.mutation --report-only     # rebuild report.json and index.html

Writes results/mutation/session.sqlite (cosmic-ray's session: `cosmic-ray dump` and
`cr-report` read it), report.json and index.html. Exit status 0 whatever the score (it is a
measurement); 2 when the unmutated suites fail (no mutant can be judged then).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from cosmic_ray.work_db import WorkDB, use_db

from tooling.mutation import (
    catalogue,
    execute,
    report,
    report_html,
    sample,
    session,
    trial,
    workspace,
)
from tooling.mutation.settings import ROOT, Settings, load_equivalents, load_map, relative_module

OUT = ROOT / "results" / "mutation"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def prepare(db: WorkDB, settings: Settings) -> dict[str, Any]:
    """Filters the new session and keeps only the sample pending; returns the counts."""
    module_map = load_map()
    filtered = catalogue.apply_filters(db, ROOT, module_map)
    skipped = {job for job, _ in db.results}
    candidates = [m for m in catalogue.mutants(db, ROOT) if m.job_id not in skipped]
    by_module: dict[str, list[str]] = {}
    for m in candidates:
        by_module.setdefault(m.module, []).append(m.key)
    chosen = set(sample.draw(by_module, settings.sample, settings.seed))
    catalogue.skip(db, [m.job_id for m in candidates if m.key not in chosen], session.NOT_SAMPLED)
    return {"population": len(candidates), "sampled": len(chosen), "filtered": filtered}


def reopen(db: WorkDB, session_file: Path, rerun_survivors: bool) -> bool:
    """Makes the last session's survivors pending again when asked (those not listed as
    equivalent), except in modules changed
    since (their mutants name occurrences in the old source); False when a pending mutant
    is in such a module."""
    changed = set(catalogue.changed_modules(session_file, ROOT))
    if rerun_survivors:
        again = [r for r in session.records(db, session_file, ROOT) if r["status"] == "survived"]
        report.mark_equivalents(again, load_equivalents())
        again = [r for r in again if not r["equivalent"]]
        stale = sorted({r["module"] for r in again if r["module"] in changed})
        if stale:
            print(f"changed since the session, survivors not re-run: {stale}")
        session.forget_results(
            session_file, [r["job_id"] for r in again if r["module"] not in changed]
        )
    pending = {str(i.mutations[0].module_path) for i in db.pending_work_items} & changed
    if pending:
        print(f"changed since the session, start a new run: {sorted(pending)}", file=sys.stderr)
    return not pending


def sampled_suites(db: WorkDB) -> tuple[str, ...]:
    """Every suite some pending mutant needs, each once, in map order."""
    module_map = load_map()
    suites: dict[str, None] = {}
    for item in db.pending_work_items:
        for suite in module_map.suites_for(str(item.mutations[0].module_path)):
            suites[suite] = None
    return tuple(suites)


def run(args: argparse.Namespace, settings: Settings, session_file: Path) -> int:
    """Creates or reopens the session, checks the baseline, runs the mutants."""
    started = time.monotonic()
    deadline = None if settings.time_budget is None else started + settings.time_budget
    module_map = load_map()
    run_info: dict[str, Any] = {}
    if not (args.resume or args.rerun_survivors):
        catalogue.create(session_file, ROOT, catalogue.module_paths(module_map, settings.modules))
    with use_db(str(session_file), WorkDB.Mode.open) as db:
        if not (args.resume or args.rerun_survivors):
            run_info = prepare(db, settings)
            sampled, population = run_info["sampled"], run_info["population"]
            print(f"{sampled} of {population} mutants sampled (seed {settings.seed})")
        if (args.resume or args.rerun_survivors) and not reopen(
            db, session_file, args.rerun_survivors
        ):
            return 2
        suites = sampled_suites(db)
        with (
            workspace.workspaces(ROOT, settings.jobs) as trees,
            workspace.shared_database(os.environ.get("DATABASE_URL")) as database_url,
            contextlib.ExitStack() as databases,
        ):
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "API_LOG_DIR": str(trees[0].parent / "logs"),
            }
            if suites and not args.no_baseline:
                print(f"baseline: {len(suites)} suites on the unmutated tree")
                passed, output, seconds = trial.baseline(
                    trees[0], suites, env, settings.timeout * len(suites)
                )
                print(f"baseline {'passed' if passed else 'FAILED'} in {seconds:.0f} s")
                if not passed:
                    print(output, file=sys.stderr)
                    return 2
            # Side by side, each tree gets a database of its own: a suite that reads every
            # row (reconciliation, report totals) must not see the other tree's trial.
            envs = {
                tree: env
                if len(trees) == 1
                else {
                    **env,
                    "DATABASE_URL": databases.enter_context(
                        workspace.private_database(database_url)
                    ),
                }
                for tree in trees
            }
            execute.run_pending(db, session_file, envs, module_map, settings.timeout, deadline)
    run_info = {"seconds": round(time.monotonic() - started), "filtered": run_info.get("filtered")}
    mode = "rerun" if args.rerun_survivors else "resume" if args.resume else "new"
    write_report(session_file, settings, run_info, mode)
    return 0


def write_report(
    session_file: Path, settings: Settings, run_info: dict[str, Any], mode: str | None
) -> dict[str, Any]:
    """report.json and index.html from the session database. `mode` (new, resume, rerun; None
    for --report-only) is added to the session's history of runs, kept in the report."""
    with use_db(str(session_file), WorkDB.Mode.open) as db:
        rows = session.records(db, session_file, ROOT)
    previous_file = OUT / "report.json"
    previous = json.loads(previous_file.read_text())["run"] if previous_file.exists() else {}
    history = [] if mode == "new" else list(previous.get("history", []))
    if mode is not None:
        history.append(
            {
                "mode": mode,
                "seconds": run_info.get("seconds"),
                "jobs": settings.jobs,
                "time_budget": settings.time_budget,
            }
        )
    tried = [r for r in rows if r["status"] not in ("skipped", "no-mutation")]
    info = {
        "sample": len(tried),
        "requested_sample": "all" if settings.sample is None else settings.sample,
        "population": len(tried) + sum(r["skip_reason"] == session.NOT_SAMPLED for r in rows),
        "seed": settings.seed,
        "timeout": settings.timeout,
        "modules": sorted({relative_module(r["module"]) for r in tried}),
        "filtered": run_info.get("filtered") or previous.get("filtered"),
        "history": history,
        "seconds": sum(h["seconds"] or 0 for h in history),
        "trial_seconds": round(sum(r["seconds"] or 0 for r in tried)),
    }
    result = report.build(rows, load_equivalents(), info)
    report.write_json(result, OUT / "report.json")
    report_html.write(result, OUT / "index.html")
    print("\n".join(report.summary_lines(result)))
    print(f"Report: {OUT / 'index.html'}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m tooling.mutation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--resume", action="store_true", help="run the pending mutants of the last session"
    )
    parser.add_argument(
        "--rerun-survivors", action="store_true", help="judge the last session's survivors again"
    )
    parser.add_argument("--report-only", action="store_true", help="only rebuild the report")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated run of the suites"
    )
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in CI logs
    settings = Settings.from_env()
    session_file = OUT / "session.sqlite"
    if args.report_only:
        write_report(session_file, settings, {}, None)
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run(args, settings, session_file)
    except KeyboardInterrupt:
        print("interrupted: the source tree was never touched; --resume continues", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
