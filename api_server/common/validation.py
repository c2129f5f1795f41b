"""Request validation from JSON Schemas; the same schemas feed the OpenAPI document."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import falcon
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend

from api_server.common.errors import Problem, field_error

Auth = Literal["none", "required", "optional"]
Responder = Callable[..., Any]
_INTEGER = re.compile(r"^-?[0-9]{1,18}\Z")


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of one responder."""

    summary: str
    request: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    responses: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    roles: tuple[str, ...] | None = None
    content_type: str = "application/json"
    tags: tuple[str, ...] = ()
    auth: Auth = "none"
    # Request headers the responder reads (name -> OpenAPI parameter fields) and headers a
    # status answers with (status -> name -> OpenAPI header object).
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    response_headers: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)


BINARY_KEY = "x-binary-content"


def binary(*content_types: str) -> dict[str, Any]:
    """A response documented as raw bytes of these media types (photos), not JSON."""
    return {BINARY_KEY: list(content_types)}


def _message(error: ValidationError) -> tuple[str, str]:
    """A (field, message) pair that names the field and never echoes a long value."""
    path = ".".join(str(p) for p in error.absolute_path)
    validator = error.validator
    if validator == "required":
        missing = [n for n in error.validator_value if n not in (error.instance or {})]
        name = missing[0] if missing else "?"
        return (f"{path}.{name}" if path else name), "is required"
    if validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in allowed)
        return (
            ".".join(filter(None, [path, unknown[0] if unknown else "?"])),
            "is not an allowed field",
        )
    value = error.validator_value
    messages: dict[str, Callable[[], str]] = {
        "type": lambda: f"must be of type {value}",
        "enum": lambda: "must be one of: " + ", ".join(map(str, value)),
        "const": lambda: f"must be {value}",
        "minLength": lambda: f"must be at least {value} characters",
        "maxLength": lambda: f"must be at most {value} characters",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "exclusiveMinimum": lambda: f"must be greater than {value}",
        "multipleOf": lambda: f"must be a multiple of {value}",
        "pattern": lambda: "has an invalid format",
        "format": lambda: f"must be a valid {value}",
        "minProperties": lambda: "must contain at least one field",
        "maxItems": lambda: f"must have at most {value} items",
    }
    return path or "body", messages.get(str(validator), lambda: "is invalid")()


def _is_integer(_checker: Any, instance: Any) -> bool:
    # JSON Schema counts 100.0 as an integer; an amount written 100.0 is a float the client
    # sent, so it is refused rather than read as 100.
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    r"""A schema's pattern as ECMA-262 reads it, compiled for Python's `re`.

    JSON Schema patterns are ECMA-262, where `$` (not multiline) is the end of the string;
    Python's `$` also matches before a final newline, so "1\n" would pass `^[0-9]+$`. Each
    `$` outside a character class becomes `\Z`; the published pattern is unchanged.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # Python reads a `]` right after `[` or `[^` as a member, not the class's end.
            start = i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1
            if pattern[start : start + 1] == "]":
                out.append(pattern[i : start + 1])
                i = start + 1
                continue
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _pattern(_validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[Any]:
    if isinstance(instance, str) and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"does not match {pattern!r}")


StrictValidator = extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_loads(text: str | bytes) -> Any:
    """json.loads without Python's NaN, Infinity and -Infinity, which RFC 8259 does not
    allow: a body carrying them is malformed (400), never a number that compares false."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        # A body nested thousands deep exhausts the parser's stack: malformed, not a 500.
        raise ValueError("nested too deeply") from exc


def strict_json_handler() -> falcon.media.JSONHandler:
    """Falcon's JSON handler reading with `strict_loads` (a parse error is its 400)."""
    return falcon.media.JSONHandler(loads=strict_loads)


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator built once per schema: building one walks the schema, which is too dear to
    do on every request."""
    StrictValidator.check_schema(schema)
    return StrictValidator(schema, format_checker=FormatChecker())


def validate(instance: Any, validator: Draft202012Validator) -> None:
    """Raises a 422 problem listing one entry per bad field."""
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    except RecursionError:
        raise Problem(400, "malformed_json", "The body is nested too deeply.") from None
    if not errors:
        return
    seen: dict[str, str] = {}
    for error in errors:
        name, message = _message(error)
        seen.setdefault(name, message)
    raise Problem(
        422,
        "validation_error",
        "The request has invalid fields.",
        errors=[field_error(name, message) for name, message in seen.items()],
    )


def _coerce_query(req: falcon.Request, schema: dict[str, Any]) -> dict[str, Any]:
    """Query strings are text; convert the ones the schema types as numbers."""
    params: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for name, raw in req.params.items():
        if isinstance(raw, list):
            raw = raw[-1]
        kind = properties.get(name, {}).get("type")
        params[name] = raw
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        if kind == "integer" and _INTEGER.match(raw):
            params[name] = int(raw)
    return params


# Valid queries by their raw text, per operation: a query string always validates to the same
# parameters, so a repeated one (a popular search, answered from the search cache) skips the
# schema walk. Bounded; emptied when full. Invalid queries are never kept.
QUERY_MEMO_ENTRIES = 1024
QUERY_MEMO_MAX_TEXT = 1024


class QueryMemo:
    """The validated parameters of query strings already seen by one operation."""

    def __init__(
        self,
        schema: dict[str, Any],
        validator: Draft202012Validator,
        entries: int = QUERY_MEMO_ENTRIES,
        max_text: int = QUERY_MEMO_MAX_TEXT,
    ) -> None:
        self._schema = schema
        self._validator = validator
        self._entries = entries
        self._max_text = max_text
        self._known: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._known)

    def validated(self, req: falcon.Request) -> dict[str, Any]:
        """The query's parameters, typed and validated (422 otherwise); a fresh dict each time."""
        raw = req.query_string
        known = self._known.get(raw)
        if known is None:
            known = _coerce_query(req, self._schema)
            validate(known, self._validator)
            if len(raw) <= self._max_text:
                if len(self._known) >= self._entries:
                    self._known.clear()
                self._known[raw] = known
        return dict(known)


def operation(
    summary: str,
    *,
    request: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    responses: dict[int, dict[str, Any] | None] | None = None,
    roles: tuple[str, ...] | None = None,
    auth: Auth | None = None,
    content_type: str = "application/json",
    tags: tuple[str, ...] = (),
    headers: dict[str, dict[str, Any]] | None = None,
    response_headers: dict[int, dict[str, dict[str, Any]]] | None = None,
) -> Callable[[Responder], Responder]:
    """Declares a responder: who may call it, what body and query it takes, what it answers.

    With `roles` the caller must present a Bearer token of one of them (401, then 403);
    `auth="optional"` lets anyone call, and a token that is sent is checked. The auth
    middleware enforces this declaration before the responder runs, and the OpenAPI
    document is built from it, so the document and the check cannot disagree.
    """
    access: Auth = auth or ("required" if roles is not None else "none")
    op = Operation(
        summary,
        request,
        query,
        responses or {},
        roles,
        content_type,
        tags,
        access,
        headers or {},
        response_headers or {},
    )
    queries = QueryMemo(query, validator_for(query)) if query is not None else None
    body_validator = validator_for(request) if request is not None else None

    def decorate(responder: Responder) -> Responder:
        @functools.wraps(responder)
        def wrapper(resource: Any, req: falcon.Request, resp: falcon.Response, **kw: Any) -> Any:
            if queries is not None:
                req.context.query = queries.validated(req)
            if body_validator is not None:
                if not (req.content_type or "").startswith("application/json"):
                    raise Problem(
                        415, "unsupported_media_type", "Send the body as application/json."
                    )
                req.context.body = req.get_media()
                validate(req.context.body, body_validator)
            return responder(resource, req, resp, **kw)

        wrapper.__operation__ = op  # type: ignore[attr-defined]
        return wrapper

    return decorate
