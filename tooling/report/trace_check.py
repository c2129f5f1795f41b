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
import base64
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import parse_qsl, urlsplit

import fastjsonschema
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from jsonschema import Draft202012Validator, ValidationError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

SCHEMA_PATH = Path(__file__).with_name("otlp_trace.schema.json")
REDACTED = "REDACTED"
URL_ATTRIBUTES = frozenset({"url.full", "url.query", "http.url", "http.target"})
SECRET_PARAMETERS = frozenset(
    {"token", "password", "secret", "key", "api_key", "access_token", "signature"}
    # The scrubber redacts these two as well: one left in clear is as much a leak.
    | {"refresh_token", "client_secret"}
)
# Past this much JSON a run's files are checked a process a core (see _default_workers).
PARALLEL_BYTES = 4_000_000
HEADER_PREFIXES = ("http.request.header.", "http.response.header.")
ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})
# Ids and nanosecond times are long digit runs by design: a card check there only finds noise.
NOT_CARDS = ID_FIELDS | {"startTimeUnixNano", "endTimeUnixNano", "timeUnixNano"}

_HEX = re.compile(r"[0-9a-fA-F]*")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")
_SAFE_LABEL = re.compile(r"[A-Za-z0-9_.:/-]{1,80}")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("JWT", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")),
    ("Stripe key", re.compile(r"(?<![A-Za-z0-9])(?:sk|rk)_(?:test|live)_[A-Za-z0-9]+")),
    ("Stripe webhook secret", re.compile(r"(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/=]+")),
    ("Flutterwave secret key", re.compile(r"FLWSECK")),
)
_BEARER = re.compile(r"(?i)\bBearer\s+([A-Za-z0-9._~+/-]+=*)")
# A whole token of 13 to 19 digits: a run inside a longer number or a hex id is not a card.
_CARD = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9][ -])(?:[0-9][ -]?){12,18}[0-9](?![0-9A-Za-z])(?![ -][0-9])"
)
# Each pattern above needs one of these: most strings have none and are done with in one search.
_CLUE = re.compile(r"eyJ|(?i:bearer)|_(?:test|live)_|whsec_|FLWSECK|[0-9](?:[ -]?[0-9]){12}")
# What the other checks of a line need: a header attribute, a query parameter that could be
# a secret one (or %-encoded: parse_qsl decodes its name), a field no encoding has.
# Searched in the lowered line: a case-insensitive alternation costs five times as much.
_LINE_CLUE = re.compile(
    r"http\.(?:request|response)\.header\.|%[0-9a-f]{2}|(?:token|password|secret|key|signature)="
)
_LABELLED_FIELDS = frozenset({"resource", "scope", "status"})
_PROTOBUF_FIELD = re.compile(r"Failed to parse (\w+) field")
# What a broken line's raw text holds by design (ids, times), masked before a card check.
_RAW_NOT_CARDS = re.compile(r'"(?:\w*Id|\w*[Tt]imeUnixNano)"\s*:\s*"[^"]*"')


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
            f"{_count(self.spans, 'span')} in {_count(self.traces, 'trace')} "
            f"from {_count(self.files, 'file')}"
        )
        return f"{counts}: {'ok' if self.ok else _count(len(self.problems), 'problem')}"


@dataclass(frozen=True)
class _Leaf:
    """One string of a line, with where it sits (ids and keys only, never a value)."""

    text: str
    where: str
    field: str
    attribute: str | None


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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@functools.cache
def _fast() -> Callable[[Any], Any]:
    """The schema compiled to Python: a whole run's lines in a second where jsonschema, pure
    interpretation, takes a core half a minute. It uses no keyword newer than draft 7, so both
    validators read it alike; jsonschema then explains a line this one refuses."""
    return fastjsonschema.compile(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # The same schema with its $refs written out: jsonschema resolves a $ref at every use, and
    # that is 40% of validating a run's spans. Only the recursive ones (AnyValue) stay.
    return Draft202012Validator(_inlined(schema, schema["$defs"], ()))


def _inlined(node: Any, defs: Mapping[str, Any], expanding: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inlined(item, defs, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    name = str(node.get("$ref", "")).removeprefix("#/$defs/")
    if len(node) == 1 and name in defs:
        return node if name in expanding else _inlined(defs[name], defs, (*expanding, name))
    return {k: v if k == "$defs" else _inlined(v, defs, expanding) for k, v in node.items()}


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
        _span_label(span, index),
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
        return ["not UTF-8", *_raw_leaks(raw.decode("utf-8", "replace"), secrets)], []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # The decoder's message names the syntax fault and its column, never the text.
        problem = f"not JSON: {error.msg} at column {error.colno}"
        return [problem, *_raw_leaks(text, secrets)], []
    if not isinstance(document, dict):
        return ["not a JSON object", *_raw_leaks(text, secrets)], []
    spans = list(_spans(document))
    problems = [
        *_schema_problems(document),
        *_protobuf_problems(document),
        *_time_problems(spans),
        *_leaks(document, secrets, text),
    ]
    return problems, spans


def _schema_problems(document: dict[str, Any]) -> list[str]:
    try:
        _fast()(document)
    except fastjsonschema.JsonSchemaValueException as refused:
        errors = _validator().iter_errors(document)
        found = [f"schema: {error.json_path}: {_schema_reason(error)}" for error in errors]
        # Its message quotes the value; the path it names is the schema's side only.
        return found or [f"schema: {refused.path}: refused"]
    return []


def _schema_reason(error: ValidationError) -> str:
    """Why, from the schema's side only: jsonschema's own messages quote the offending value."""
    instance, expected = error.instance, error.validator_value
    match error.validator:
        case "required":
            missing = [k for k in expected if isinstance(instance, dict) and k not in instance]
            return f"missing {', '.join(missing)}"
        case "additionalProperties":
            known = error.schema.get("properties", {})
            unknown = [k for k in instance if k not in known] if isinstance(instance, dict) else []
            return f"unknown field {', '.join(_label(k, '?') for k in unknown)}"
        case "pattern":
            return f"does not match {expected}"
        case "minLength":
            return "is empty"
        case "type":
            return f"is not of type {expected}"
        case "minimum" | "maximum":
            return f"is out of range ({error.validator} {expected})"
        case "not":
            return "is all zeroes, an invalid id"
        case "maxProperties":
            return f"has more than {_count(expected, 'field')}"
        case "minProperties":
            return f"has fewer than {_count(expected, 'field')}"
        case "oneOf" | "anyOf":
            return "matches none of the shapes the encoding allows"
        case _:
            return f"fails {error.validator}"


def load(document: dict[str, Any]) -> ExportTraceServiceRequest:
    """One line as OpenTelemetry's own protobuf classes read it; ParseError if they cannot.
    Strict: a field the encoding does not have is refused, not dropped unseen."""
    return json_format.ParseDict(_ids_as_base64(document), ExportTraceServiceRequest())


def _protobuf_problems(document: dict[str, Any]) -> list[str]:
    try:
        load(document)
    except json_format.ParseError as error:
        # Only the field path: protobuf's message quotes the value it refused.
        where = ".".join(_PROTOBUF_FIELD.findall(str(error))) or "the top level"
        return [f"protobuf: ExportTraceServiceRequest refuses it at {where}"]
    return []


def _ids_as_base64(node: Any) -> Any:
    """A copy with hex ids as base64: OTLP/JSON writes ids as hex, but protobuf's JSON mapping
    reads every `bytes` field as base64, so a consumer built on it converts them first."""
    if isinstance(node, list):
        return [_ids_as_base64(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _id_as_base64(value) if key in ID_FIELDS else _ids_as_base64(value)
        for key, value in node.items()
    }


def _id_as_base64(value: Any) -> Any:
    if isinstance(value, str) and len(value) % 2 == 0 and _HEX.fullmatch(value):
        return base64.b64encode(bytes.fromhex(value)).decode("ascii")
    return value  # not hex: left for protobuf (and the schema) to refuse


def _spans(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The span objects of a request, however malformed the levels around them."""
    for resource in _objects(document.get("resourceSpans")):
        for scope in _objects(resource.get("scopeSpans")):
            yield from _objects(scope.get("spans"))


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _time_problems(spans: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for index, span in enumerate(spans, start=1):
        start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
        if _is_decimal(start) and _is_decimal(end) and int(end) < int(start):
            problems.append(f"{_span_label(span, index)} ends before it starts")
    return problems


def _is_decimal(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _span_label(span: Mapping[str, Any], index: int) -> str:
    span_id = span.get("spanId")
    if isinstance(span_id, str) and _SPAN_ID.fullmatch(span_id):
        return f"span {span_id}"
    return f"span #{index}"


def _leaks(document: dict[str, Any], secrets: Sequence[str], text: str) -> list[str]:
    # Most lines hold no clue of any secret: one search of the whole line clears them, and
    # only a line with a clue is walked string by string to say what and where.
    masked = _RAW_NOT_CARDS.sub('""', text)
    if not (
        _CLUE.search(masked)
        or _LINE_CLUE.search(text.lower())
        or any(s and s in text for s in secrets)
    ):
        return []
    problems: list[str] = []
    for leaf in _leaves(document, "", "", None):
        kinds = _secret_kinds(leaf.text, secrets, cards=leaf.field not in NOT_CARDS)
        problems += [f"{kind} in {_where(leaf)}" for kind in kinds]
        if leaf.field == "key" and leaf.text.startswith(HEADER_PREFIXES):
            problems.append(
                f"header attribute {_label(leaf.text, '?')} in {leaf.where or 'the request'}"
            )
        if leaf.attribute in URL_ATTRIBUTES and leaf.field == "stringValue":
            problems += [
                f"secret query parameter {name} in {_where(leaf)}"
                for name in _secret_parameters(leaf.attribute, leaf.text)
            ]
    return problems


def _where(leaf: _Leaf) -> str:
    """Where a leaf sits: `span 1f09ca8522967992 attribute url.full`, `span ... status message`."""
    value = leaf.field in {"stringValue", "intValue", "bytesValue", ""}
    return " ".join(p for p in (leaf.where, "" if value else leaf.field) if p) or "the request"


def _raw_leaks(text: str, secrets: Sequence[str]) -> list[str]:
    """A line that does not parse is still searched: a torn line can hold a whole secret."""
    masked = _RAW_NOT_CARDS.sub('""', text)
    return [f"{kind} in the line" for kind in _secret_kinds(masked, secrets, cards=True)]


def _leaves(node: Any, where: str, key: str, attribute: str | None) -> Iterator[_Leaf]:
    """Every string of `node` (an int of `intValue` too: a card number can be one)."""
    if isinstance(node, str):
        yield _Leaf(node, where, key, attribute)
    elif isinstance(node, int) and not isinstance(node, bool) and key == "intValue":
        yield _Leaf(str(node), where, key, attribute)
    elif isinstance(node, list):
        for index, item in enumerate(node, start=1):
            yield from _leaves(item, _item_label(where, key, item, index), key, attribute)
    elif isinstance(node, dict):
        if key in {"attributes", "values"} and isinstance(node.get("key"), str):
            attribute = node["key"]
        for name, value in node.items():
            if name not in _field_names():
                yield _Leaf(name, where, "", attribute)  # a field no encoding has: text too
            inner = f"{where} {name}".strip() if name in _LABELLED_FIELDS else where
            yield from _leaves(value, inner, name, attribute)


@functools.cache
def _field_names() -> frozenset[str]:
    """Every JSON field name of a request's messages, from the protobuf descriptors."""
    names: set[str] = set()
    seen: set[str] = set()
    todo: list[Descriptor] = [ExportTraceServiceRequest.DESCRIPTOR]
    while todo:  # a walk, not a recursion: AnyValue holds ArrayValue holds AnyValue
        message = todo.pop()
        if message.full_name not in seen:
            seen.add(message.full_name)
            names |= {f.json_name for f in message.fields}
            todo += [f.message_type for f in message.fields if f.message_type]
    return frozenset(names)


def _item_label(where: str, key: str, item: Any, index: int) -> str:
    """Where a list's item sits: a span by its id, an attribute by its key, if they are safe."""
    if not isinstance(item, dict):
        return where
    if key == "spans":
        return _span_label(item, index)
    if key in {"attributes", "values"} and "key" in item:
        return f"{where} attribute {_label(item['key'], f'#{index}')}"
    if key == "events":
        return f"{where} event {_label(item.get('name'), f'#{index}')}"
    if key == "links":
        return f"{where} link #{index}"
    return where  # a span's own label (or an attribute's) says enough


def _label(text: Any, fallback: str) -> str:
    """`text` if it can be printed: short, plain, and no secret itself; else `fallback`."""
    plain = isinstance(text, str) and _SAFE_LABEL.fullmatch(text)
    return text if plain and not _secret_kinds(text, (), cards=True) else fallback


def _secret_kinds(text: str, secrets: Sequence[str], *, cards: bool) -> list[str]:
    kinds = [f"given secret #{n}" for n, s in enumerate(secrets, start=1) if s and s in text]
    if not _CLUE.search(text):
        return kinds
    return [*_pattern_kinds(text, cards=cards), *kinds]


def _pattern_kinds(text: str, *, cards: bool) -> list[str]:
    kinds = [kind for kind, pattern in _PATTERNS if pattern.search(text)]
    if any(_is_token(m.group(1)) for m in _BEARER.finditer(text)):
        kinds.append("Bearer token")
    if cards and any(_passes_luhn(m.group()) for m in _CARD.finditer(text)):
        kinds.append("card number")
    return kinds


def _is_token(word: str) -> bool:
    """A credential, not prose ("Bearer access token") nor the scrubber's "Bearer REDACTED"."""
    if word == REDACTED:
        return False
    return len(word) >= 20 or (len(word) >= 8 and any(c.isdigit() for c in word))


def _passes_luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _secret_parameters(attribute: str, url: str) -> list[str]:
    query = url if attribute == "url.query" else urlsplit(url).query
    found = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() in SECRET_PARAMETERS and value and value != REDACTED:
            found.append(name.lower())
    return found


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


if __name__ == "__main__":
    sys.exit(main())
