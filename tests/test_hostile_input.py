"""Hostile input for every operation: a corpus of values nobody should send, put into every
body field, query parameter and path parameter the OpenAPI document lists, one at a time,
with the token of a role the operation admits. Schemathesis (`make fuzz`) generates valid
and invalid data from the schemas; this corpus is what a schema does not suggest: NaN and
Infinity as bare JSON, 1e308, -0, 0.0005, 10^19, thousands of nested arrays, long strings,
invalid UTF-8, NUL, unusual spellings of a UUID and a tampered cursor.

Goal: no server error. Every answer is below 500, and a 4xx is problem+json.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import migrated_database
from tests.factories import make_listing, make_user
from tests.payments_stack import PaymentsStack, payments_stack

# Raw JSON text put where a value goes, so non-JSON numbers and bytes reach the parser.
_RAW = {
    "nan": b"NaN",
    "infinity": b"Infinity",
    "minus-infinity": b"-Infinity",
    "huge-float": b"1e308",
    "beyond-float": b"1e400",
    "minus-zero": b"-0",
    "finer-than-column": b"0.0005",
    "ten-to-nineteen": b"10000000000000000000",
    "float-integer": b"100.0",
    "negative": b"-1",
    "deep-nesting": b"[" * 5000 + b"]" * 5000,
    "long-string": json.dumps("x" * 100_000).encode(),
    "invalid-utf8": b'"\xff\xfe\xc3("',
    "nul": b'"a\\u0000b"',
    "lone-surrogate": b'"\\ud800"',
    "null": b"null",
    "object": b'{"$ne": 1}',
    "array": b"[1, 2]",
    "true": b"true",
    "sql": json.dumps("' OR 1=1 --").encode(),
}
_UUID = str(uuid.uuid4())
_TAMPERED_CURSOR = base64.urlsafe_b64encode(b'["newest","2024-01-01T00:00:00Z","x"]').decode()
# Query and path values, as a client would put them in a URL (already percent-encoded).
_TEXT = {
    "nan": "NaN",
    "huge": "1" * 400,
    "ten-to-nineteen": "10000000000000000000",
    "minus-zero": "-0",
    "finer-than-column": "0.0005",
    "invalid-utf8": "%ff%fe%c3%28",
    "nul": "%00",
    "uuid-upper": _UUID.upper(),
    "uuid-braces": "%7B" + _UUID + "%7D",
    "uuid-urn": "urn:uuid:" + _UUID,
    "uuid-no-dashes": _UUID.replace("-", ""),
    "tampered-cursor": _TAMPERED_CURSOR,
    "empty": "",
    "long": "y" * 5000,
}
_ROLE_OF = {"buyer": "buyer", "seller": "seller", "admin": "admin"}


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


@pytest.fixture(scope="module")
def actors(stack) -> dict[str, dict[str, Any]]:
    return {role: make_user(stack.app, role) for role in ("buyer", "seller", "admin")}


@pytest.fixture(scope="module")
def operations(stack) -> list[tuple[str, str, dict[str, Any]]]:
    document = requests.get(f"{stack.url}/api/openapi.json", timeout=30).json()
    return [
        (path, method, definition)
        for path, item in document["paths"].items()
        for method, definition in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _headers(definition: dict[str, Any], actors: dict[str, Any]) -> dict[str, str]:
    roles = definition.get("x-roles") or []
    actor = actors.get(_ROLE_OF.get(roles[0], "buyer")) if roles else None
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if actor is not None:
        headers.update(actor["headers"])
    return headers


def _body_schema(definition: dict[str, Any]) -> dict[str, Any] | None:
    content = definition.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


def _path(path: str, listing: str) -> str:
    return (
        path.replace("{listing_id}", listing)
        .replace("{photo_id}", _UUID)
        .replace("{payment_id}", _UUID)
        .replace("{dispute_id}", _UUID)
        .replace("{user_id}", _UUID)
        .replace("{id}", _UUID)
    )


def _check(response: requests.Response, case: str) -> None:
    assert response.status_code < 500, f"{case}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/problem+json"), case


def _send(stack, method, url, headers, body=None, content_type="application/json"):
    if body is not None:
        headers = {**headers, "Content-Type": content_type}
    return requests.request(method.upper(), url, data=body, headers=headers, timeout=30)


def test_hostile_values_in_every_field_never_cause_a_server_error(
    stack, actors, operations, instrument
):
    listing = make_listing(stack.app, actors["seller"], status="active")["id"]
    cases = 0
    for path, method, definition in operations:
        url = f"{stack.url}{_path(path, listing)}"
        headers = _headers(definition, actors)
        schema = _body_schema(definition) or {}
        for field in schema.get("properties", {}):
            for name, raw in _RAW.items():
                body = b'{"' + field.encode() + b'": ' + raw + b"}"
                _check(_send(stack, method, url, headers, body), f"{method} {path} {field}={name}")
                cases += 1
        if schema:
            for name, raw in _RAW.items():
                _check(_send(stack, method, url, headers, raw), f"{method} {path} body={name}")
                cases += 1
        for parameter in definition.get("parameters", []):
            for name, text in _TEXT.items():
                if parameter["in"] == "query":
                    target = f"{url}?{parameter['name']}={text}"
                elif parameter["in"] == "path":
                    target = f"{stack.url}{path}".replace("{" + parameter["name"] + "}", text)
                    target = target.replace("{", "%7B").replace("}", "%7D")
                else:
                    continue
                response = _send(stack, method, target, headers)
                _check(response, f"{method} {path} {parameter['name']}={name}")
                cases += 1
    print(f"hostile input: {cases} cases over {len(operations)} operations, no server error")
    # The corpus reached every operation: a document that lost its operations would pass.
    assert len(operations) >= 40 and cases >= 2_000, (len(operations), cases)
    instrument("hostile cases", cases)
    instrument("operations given hostile input", len(operations))
