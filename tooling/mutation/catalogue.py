"""The session: every mutant cosmic-ray can plant in the mapped modules, and the filters.

cosmic-ray's `init` lists the mutants into its session database (one work item each); the
filters then mark as skipped, in that database, what is no fault by construction: operators
the map excludes, mutations inside type annotations (never evaluated: every module has
`from __future__ import annotations`) and lines marked `# pragma: no mutate`.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cosmic_ray.commands
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkItem, WorkResult

from tooling.mutation.settings import PACKAGE, ModuleMap

PRAGMA = "pragma: no mutate"
Span = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class Mutant:
    """One work item of the session, with a key that stays the same across sessions."""

    job_id: str
    module: str
    operator: str
    occurrence: int
    line_number: int
    line: str
    above: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`api_server/x.py:core/AddNot:3`: what the sample and reports name a mutant by."""
        return f"{self.module}:{self.operator}:{self.occurrence}"


def module_paths(module_map: ModuleMap, only: Iterable[str] = ()) -> list[Path]:
    """The mapped modules as paths relative to the root, optionally only those named."""
    wanted = set(only)
    unknown = wanted - set(module_map.suites)
    if unknown:
        raise ValueError(f"not in the module map: {sorted(unknown)}")
    return [Path(PACKAGE, m) for m in sorted(module_map.suites) if not wanted or m in wanted]


def create(session: Path, root: Path, modules: list[Path]) -> None:
    """A new session database listing every mutant of `modules` (paths relative to `root`),
    with a digest of each module's source."""
    session.parent.mkdir(parents=True, exist_ok=True)
    session.unlink(missing_ok=True)
    # Relative paths in the session: a mutant is only ever applied to a copy of the tree.
    with contextlib.chdir(root), use_db(str(session.resolve()), WorkDB.Mode.create) as db:
        cosmic_ray.commands.init(modules, db, {})
    with sqlite3.connect(session) as conn:
        conn.execute(
            "CREATE TABLE mutation_sources (module TEXT PRIMARY KEY, sha256 TEXT, source TEXT)"
        )
        conn.executemany(
            "INSERT INTO mutation_sources VALUES (?, ?, ?)",
            [(m.as_posix(), _digest(root / m), (root / m).read_text()) for m in modules],
        )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def changed_modules(session: Path, root: Path) -> list[str]:
    """The session's modules whose source changed since it was made: a mutant is an
    occurrence number in the source it was listed from, so those cannot be re-run."""
    with sqlite3.connect(session) as conn:
        rows = conn.execute("SELECT module, sha256 FROM mutation_sources").fetchall()
    return sorted(m for m, digest in rows if _digest(root / m) != digest)


def session_sources(session: Path) -> dict[str, list[str]]:
    """The lines of each module as the session listed its mutants (none for older sessions)."""
    with sqlite3.connect(session) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(mutation_sources)")}
        if "source" not in columns:
            return {}
        rows = conn.execute("SELECT module, source FROM mutation_sources").fetchall()
    return {module: text.splitlines() for module, text in rows}


def mutants(db: WorkDB, root: Path, session: Path | None = None) -> list[Mutant]:
    """Every work item of the session as a Mutant, in a stable order; the lines come from the
    session's copy of the sources when it has one, else from `root`."""
    sources = session_sources(session) if session is not None else {}
    found = []
    for item in db.work_items:
        found.append(_mutant(item, root, sources))
    return sorted(found, key=lambda m: (m.module, m.operator, m.occurrence))


def _mutant(item: WorkItem, root: Path, sources: dict[str, list[str]]) -> Mutant:
    spec = item.mutations[0]
    module = Path(spec.module_path).as_posix()
    if module not in sources:
        sources[module] = (root / module).read_text().splitlines()
    line_number = spec.start_pos[0]
    return Mutant(
        item.job_id,
        module,
        spec.operator_name,
        spec.occurrence,
        line_number,
        sources[module][line_number - 1],
        tuple(sources[module][max(0, line_number - 11) : line_number - 1]),
    )


def annotation_spans(source: str) -> list[Span]:
    """(start, end) of every annotation, as (line, column) pairs the way cosmic-ray counts."""
    lines = source.splitlines()
    spans: list[Span] = []
    for node in ast.walk(ast.parse(source)):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for note in annotations:
            if note is not None and note.end_lineno is not None and note.end_col_offset is not None:
                start = (note.lineno, _chars(lines, note.lineno, note.col_offset))
                end = (note.end_lineno, _chars(lines, note.end_lineno, note.end_col_offset))
                spans.append((start, end))
    return spans


def _chars(lines: list[str], line_number: int, byte_offset: int) -> int:
    """ast counts columns in UTF-8 bytes, cosmic-ray (parso) in characters."""
    return len(lines[line_number - 1].encode()[:byte_offset].decode(errors="ignore"))


def in_spans(position: tuple[int, int], spans: list[Span]) -> bool:
    """True when `position` lies within one of `spans` (end exclusive)."""
    return any(start <= position < end for start, end in spans)


def filter_reason(
    mutant: Mutant, start: tuple[int, int], module_map: ModuleMap, spans: list[Span]
) -> str | None:
    """Why this mutant is no fault to test for, or None when it is one."""
    if module_map.operator_excluded(mutant.operator):
        return "operator excluded by the map"
    if PRAGMA in mutant.line:
        return PRAGMA
    if in_spans(start, spans):
        return "inside a type annotation"
    if mutant.operator.startswith("core/ReplaceBinaryOperator_Mul_") and _bare_star(
        mutant.line, start[1]
    ):
        return "the keyword-only marker of a signature, not an operator"
    return None


def _bare_star(line: str, column: int) -> bool:
    """`def f(a, *, b)`: a `*` followed by `,` or `)` multiplies nothing."""
    rest = line[column:]
    return rest.startswith("*") and rest[1:].lstrip()[:1] in (",", ")", "")


def apply_filters(db: WorkDB, root: Path, module_map: ModuleMap) -> dict[str, int]:
    """Marks filtered mutants as skipped in the session; returns the count per reason."""
    spans: dict[str, list[Span]] = {}
    starts = {item.job_id: item.mutations[0].start_pos for item in db.work_items}
    counts: dict[str, int] = {}
    for mutant in mutants(db, root):
        if mutant.module not in spans:
            spans[mutant.module] = annotation_spans((root / mutant.module).read_text())
        reason = filter_reason(
            mutant, tuple(starts[mutant.job_id]), module_map, spans[mutant.module]
        )
        if reason is not None:
            skip(db, [mutant.job_id], reason)
            counts[reason] = counts.get(reason, 0) + 1
    return counts


def skip(db: WorkDB, job_ids: list[str], reason: str) -> None:
    """Records the mutants as skipped, with the reason as their output."""
    if job_ids:
        db.set_multiple_results(
            job_ids, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED)
        )
