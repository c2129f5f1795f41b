"""Each line is OTLP a consumer loads: protobuf parses it, the OTLP JSON schema holds.

The official protobuf classes (`opentelemetry-proto`) parse it once its hex ids are base64, as
protobuf's JSON mapping wants; `otlp_trace.schema.json` (compiled with fastjsonschema,
explained by jsonschema) says what the OTLP JSON encoding allows; every span ends no earlier
than it starts. Messages name the field, never the value.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeGuard

import fastjsonschema
from google.protobuf import json_format
from jsonschema import Draft202012Validator, ValidationError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tooling.report.trace_check.leaks import count, label, span_label

SCHEMA_PATH = Path(__file__).with_name("otlp_trace.schema.json")


ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})


_HEX = re.compile(r"[0-9a-fA-F]*")


_PROTOBUF_FIELD = re.compile(r"Failed to parse (\w+) field")


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


def schema_problems(document: dict[str, Any]) -> list[str]:
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
            return f"unknown field {', '.join(label(k, '?') for k in unknown)}"
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
            return f"has more than {count(expected, 'field')}"
        case "minProperties":
            return f"has fewer than {count(expected, 'field')}"
        case "oneOf" | "anyOf":
            return "matches none of the shapes the encoding allows"
        case _:
            return f"fails {error.validator}"


def load(document: dict[str, Any]) -> ExportTraceServiceRequest:
    """One line as OpenTelemetry's own protobuf classes read it; ParseError if they cannot.
    Strict: a field the encoding does not have is refused, not dropped unseen."""
    return json_format.ParseDict(_ids_as_base64(document), ExportTraceServiceRequest())


def protobuf_problems(document: dict[str, Any]) -> list[str]:
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


def spans_of(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The span objects of a request, however malformed the levels around them."""
    for resource in _objects(document.get("resourceSpans")):
        for scope in _objects(resource.get("scopeSpans")):
            yield from _objects(scope.get("spans"))


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def time_problems(spans: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for index, span in enumerate(spans, start=1):
        start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
        if _is_decimal(start) and _is_decimal(end) and int(end) < int(start):
            problems.append(f"{span_label(span, index)} ends before it starts")
    return problems


def _is_decimal(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.isascii() and value.isdigit()
