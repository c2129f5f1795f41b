"""The run's spans are real OpenTelemetry traces, and none of them carries a secret.

    python -m tooling.report.trace_check DIR [--secret VALUE]... [--secret-env NAME]...

Every process of a run writes its spans to `DIR/*.jsonl`, one OTLP/JSON
ExportTraceServiceRequest a line (`api_server/observability/tracing.py`). This proves two
things of each line:

1. A real OpenTelemetry consumer loads it: the official protobuf classes
   (`opentelemetry-proto`) parse it, and it holds to `otlp_trace.schema.json`, the OTLP JSON
   encoding as a JSON schema (hex ids, integer kinds, decimal-string times, one value shape an
   attribute). Each span ends no earlier than it starts, and no span id repeats in a trace.
2. No secret went out in it: no string anywhere in the line looks like a JWT, a Bearer token, a
   Stripe key or webhook secret, a Flutterwave secret key or a card number; no URL attribute has
   a secret query parameter left unredacted; no attribute records an HTTP header; and no value
   given with `--secret` (or read from the variable `--secret-env` names) appears.

Each problem is printed as `file:line: problem`, naming the kind of secret, never the secret.
Exit 0 when every line passes, or when DIR does not exist (tracing was off); 1 on any problem,
or when DIR exists but holds no span (tracing was on and nothing was traced).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.report.trace_check.leaks import count, leaks, raw_leaks, span_label
from tooling.report.trace_check.otlp import (
    load,
    protobuf_problems,
    schema_problems,
    spans_of,
    time_problems,
)

__all__ = ["Problem", "Report", "check", "load", "main"]  # load: the consumer, for tests

# Past this much JSON a run's files are checked a process a core (see _default_workers).
PARALLEL_BYTES = 4_000_000


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        return f"{where}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    spans: int = 0
    traces: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = (
            f"{count(self.spans, 'span')} in {count(self.traces, 'trace')} "
            f"from {count(self.files, 'file')}"
        )
        return f"{counts}: {'ok' if self.ok else count(len(self.problems), 'problem')}"


@dataclass(frozen=True)
class _SpanIds:
    trace_id: str | None
    span_id: str | None
    label: str
    line: int


@dataclass(frozen=True)
class _FileCheck:
    """One file's problems, and its spans' ids: a span id may repeat in another file."""

    problems: list[Problem]
    spans: list[_SpanIds]


def check(folder: Path, secrets: Sequence[str], *, workers: int | None = None) -> Report:
    """Every span line of `folder/*.jsonl` checked; `secrets` are exact values never to appear.
    `workers`: processes checking files side by side (default: one a core for a large run)."""
    paths = sorted(folder.glob("*.jsonl"))
    checked = _map(functools.partial(_check_file, secrets=tuple(secrets)), paths, workers)
    spans = [(path, ids) for path, one in zip(paths, checked, strict=True) for ids in one.spans]
    report = Report(files=len(paths), spans=len(spans))
    report.traces = len({ids.trace_id for _, ids in spans if ids.trace_id is not None})
    report.problems = [problem for one in checked for problem in one.problems] + _repeats(spans)
    # Stable: a line's problems stay in the order they were found, a repeat after them.
    report.problems.sort(key=lambda p: (str(p.file), p.line or 0))
    if not spans and not report.problems:
        report.problems.append(Problem(folder, None, "no spans: nothing was traced"))
    return report


def _map(
    check_file: Callable[[Path], _FileCheck], paths: list[Path], workers: int | None
) -> list[_FileCheck]:
    count = _default_workers(paths) if workers is None else workers
    if count <= 1 or len(paths) <= 1:
        return [check_file(path) for path in paths]
    with ProcessPoolExecutor(count) as pool:
        return list(pool.map(check_file, paths))


def _default_workers(paths: list[Path]) -> int:
    # A whole run's spans take a core minutes (jsonschema is pure Python); a few files, a second.
    size = sum(path.stat().st_size for path in paths)
    return min(os.cpu_count() or 1, len(paths)) if size > PARALLEL_BYTES else 1


def _check_file(path: Path, secrets: Sequence[str]) -> _FileCheck:
    problems: list[Problem] = []
    spans: list[_SpanIds] = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if raw.strip():
            messages, found = _check_line(raw, secrets)
            problems += [Problem(path, number, _redact(m, secrets)) for m in messages]
            spans += [_span_ids(span, index, number) for index, span in enumerate(found, 1)]
    return _FileCheck(problems, spans)


def _span_ids(span: Mapping[str, Any], index: int, line: int) -> _SpanIds:
    trace_id, span_id = span.get("traceId"), span.get("spanId")
    return _SpanIds(
        trace_id.lower() if isinstance(trace_id, str) else None,
        span_id.lower() if isinstance(span_id, str) else None,
        span_label(span, index),
        line,
    )


def _repeats(spans: list[tuple[Path, _SpanIds]]) -> list[Problem]:
    """A span id met twice in one trace, wherever the second one was written."""
    first_seen: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for path, ids in spans:
        if ids.trace_id is None or ids.span_id is None:
            continue
        key = (ids.trace_id, ids.span_id)
        if key in first_seen:
            message = f"{ids.label} repeats a span id of its trace (first at {first_seen[key]})"
            problems.append(Problem(path, ids.line, message))
        else:
            first_seen[key] = f"{path.name}:{ids.line}"
    return problems


def _redact(message: str, secrets: Sequence[str]) -> str:
    """The message with any given secret masked: a key or a field name can be one too."""
    for number, secret in enumerate(secrets, start=1):
        if secret:
            message = message.replace(secret, f"<given secret #{number}>")
    return message


def _check_line(raw: bytes, secrets: Sequence[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """The line's problems, and its spans."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ["not UTF-8", *raw_leaks(raw.decode("utf-8", "replace"), secrets)], []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # The decoder's message names the syntax fault and its column, never the text.
        problem = f"not JSON: {error.msg} at column {error.colno}"
        return [problem, *raw_leaks(text, secrets)], []
    if not isinstance(document, dict):
        return ["not a JSON object", *raw_leaks(text, secrets)], []
    spans = list(spans_of(document))
    problems = [
        *schema_problems(document),
        *protobuf_problems(document),
        *time_problems(spans),
        *leaks(document, secrets, text),
    ]
    return problems, spans


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: the traces folder and the exact secret values to look for."""
    parser = argparse.ArgumentParser(
        prog="python -m tooling.report.trace_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--secret", action="append", default=[], metavar="VALUE")
    parser.add_argument("--secret-env", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    folder: Path = args.folder
    if not folder.exists():
        print(f"{folder}: does not exist: nothing was traced (tracing off)")
        return 0
    secrets = [*args.secret, *(os.environ.get(name, "") for name in args.secret_env)]
    report = check(folder, secrets)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    return 0 if report.ok else 1
