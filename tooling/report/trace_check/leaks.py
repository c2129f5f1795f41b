"""No secret in a line: what looks like one, where it sits, named by its kind only.

Independent of api_server/observability/scrub.py on purpose: a check that shared the
scrubber's patterns could not find what the scrubber misses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from google.protobuf.descriptor import Descriptor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

REDACTED = "REDACTED"


URL_ATTRIBUTES = frozenset({"url.full", "url.query", "http.url", "http.target"})


SECRET_PARAMETERS = frozenset(
    {"token", "password", "secret", "key", "api_key", "access_token", "signature"}
    # The scrubber redacts these two as well: one left in clear is as much a leak.
    | {"refresh_token", "client_secret"}
)


HEADER_PREFIXES = ("http.request.header.", "http.response.header.")


# Ids and nanosecond times are long digit runs by design: a card check there only finds noise.
NOT_CARDS = frozenset(
    {"traceId", "spanId", "parentSpanId", "startTimeUnixNano", "endTimeUnixNano", "timeUnixNano"}
)


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


# What a broken line's raw text holds by design (ids, times), masked before a card check.
_RAW_NOT_CARDS = re.compile(r'"(?:\w*Id|\w*[Tt]imeUnixNano)"\s*:\s*"[^"]*"')


@dataclass(frozen=True)
class _Leaf:
    """One string of a line, with where it sits (ids and keys only, never a value)."""

    text: str
    where: str
    field: str
    attribute: str | None


_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def span_label(span: Mapping[str, Any], index: int) -> str:
    span_id = span.get("spanId")
    if isinstance(span_id, str) and _SPAN_ID.fullmatch(span_id):
        return f"span {span_id}"
    return f"span #{index}"


def leaks(document: dict[str, Any], secrets: Sequence[str], text: str) -> list[str]:
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
                f"header attribute {label(leaf.text, '?')} in {leaf.where or 'the request'}"
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


def raw_leaks(text: str, secrets: Sequence[str]) -> list[str]:
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
        return span_label(item, index)
    if key in {"attributes", "values"} and "key" in item:
        return f"{where} attribute {label(item['key'], f'#{index}')}"
    if key == "events":
        return f"{where} event {label(item.get('name'), f'#{index}')}"
    if key == "links":
        return f"{where} link #{index}"
    return where  # a span's own label (or an attribute's) says enough


def label(text: Any, fallback: str) -> str:
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
