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


# Headers a client or a proxy may send, as bytes where they are not text: each replaces (or
# adds) one header of an otherwise ordinary request.
_ALG_NONE = (
    base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
    + b"."
    + base64.urlsafe_b64encode(b'{"sub":"x","role":"admin"}').rstrip(b"=")
    + b"."
)
_HEADERS: dict[str, tuple[str, bytes]] = {
    "authorization-invalid-utf8": ("Authorization", b"Bearer \xff\xfe\xc3("),
    "authorization-long": ("Authorization", b"Bearer " + b"a" * 10_000),
    "authorization-three-dots": ("Authorization", b"Bearer a.b.c"),
    "authorization-alg-none": ("Authorization", b"Bearer " + _ALG_NONE),
    "authorization-basic": ("Authorization", b"Basic Zm9vOmJhcg=="),
    "authorization-scheme-only": ("Authorization", b"Bearer"),
    "authorization-nul": ("Authorization", b"Bearer a\x00b"),
    "idempotency-key-long": ("Idempotency-Key", b"k" * 10_000),
    "idempotency-key-invalid-utf8": ("Idempotency-Key", b"\xff\xfe"),
    "idempotency-key-empty": ("Idempotency-Key", b""),
    "if-match-invalid-utf8": ("If-Match", b"\xff"),
    "if-match-quotes": ("If-Match", b'"' * 1_000),
    "if-match-weak": ("If-Match", b'W/"x", *'),
    "content-type-utf16": ("Content-Type", b"application/json; charset=utf-16"),
    "content-type-bogus-charset": ("Content-Type", b"application/json; charset=bogus-9"),
    "content-type-multipart-no-boundary": ("Content-Type", b"multipart/form-data"),
    "content-type-invalid-utf8": ("Content-Type", b"application/json; x=\xff"),
    "content-encoding-gzip": ("Content-Encoding", b"gzip"),
    "request-id-invalid-utf8": ("X-Request-ID", b"\xff\xfe"),
    "request-id-long": ("X-Request-ID", b"r" * 10_000),
    "forwarded-for-garbage": ("X-Forwarded-For", b"not-an-ip, \xff, " + b"1.2.3.4, " * 500),
    "accept-xml": ("Accept", b"application/xml"),
    "accept-language-invalid-utf8": ("Accept-Language", b"\xff;q=abc"),
}


def test_hostile_headers_on_every_operation_never_cause_a_server_error(
    stack, actors, operations, instrument
):
    listing = make_listing(stack.app, actors["seller"], status="active")["id"]
    cases = 0
    for path, method, definition in operations:
        url = f"{stack.url}{_path(path, listing)}"
        body = b"{}" if _body_schema(definition) else None
        for name, (header, value) in _HEADERS.items():
            headers: dict[str, str | bytes] = {**_headers(definition, actors)}
            if body is not None:
                headers["Content-Type"] = "application/json"
            headers[header] = value
            response = requests.request(method.upper(), url, data=body, headers=headers, timeout=30)
            _check(response, f"{method} {path} {name}")
            cases += 1
    assert cases >= 40 * len(_HEADERS), cases
    instrument("hostile cases", cases)


def _multipart(*parts: bytes, boundary: bytes = b"b0undary") -> bytes:
    return b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + (
        b"--" + boundary + b"--\r\n"
    )


def _part(name: bytes = b"photo", filename: bytes = b"a.png", body: bytes = b"x") -> bytes:
    disposition = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename:
        disposition += b'; filename="' + filename + b'"'
    return disposition + b"\r\nContent-Type: image/png\r\n\r\n" + body


_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGM4Mc0IAAO6AZFYX8ZRAAAAAElFTkSuQmCC"
)
# Multipart bodies a careless client or an attacker builds; each is (content type, body).
_MULTIPART: dict[str, tuple[bytes, bytes]] = {
    "no-boundary-param": (b"multipart/form-data", _multipart(_part(body=_PNG))),
    "wrong-boundary": (b"multipart/form-data; boundary=other", _multipart(_part(body=_PNG))),
    "truncated": (b"multipart/form-data; boundary=b0undary", _multipart(_part())[:-20]),
    "empty": (b"multipart/form-data; boundary=b0undary", b""),
    "filename-invalid-utf8": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(_part(filename=b"\xff\xfe.png", body=_PNG)),
    ),
    "filename-traversal": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(_part(filename=b"../../../etc/passwd", body=_PNG)),
    ),
    "filename-long": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(_part(filename=b"f" * 10_000 + b".png", body=_PNG)),
    ),
    "name-invalid-utf8": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(_part(name=b"\xff", body=_PNG)),
    ),
    "two-photo-parts": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(_part(body=_PNG), _part(body=_PNG)),
    ),
    "many-parts": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(*[_part(name=b"other", filename=b"", body=b"") for _ in range(2_000)]),
    ),
    "not-an-image": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(_part(body=b"<?php echo 1; ?>")),
    ),
    "no-disposition": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(b"Content-Type: image/png\r\n\r\n" + _PNG),
    ),
    "part-header-invalid-utf8": (
        b"multipart/form-data; boundary=b0undary",
        _multipart(b"Content-Disposition: \xff\xfe\r\n\r\n" + _PNG),
    ),
    "charset-utf16": (
        b"multipart/form-data; boundary=b0undary; charset=utf-16",
        _multipart(_part(body=_PNG)),
    ),
}


# A filename is the client's label, never a path (photos are stored under their own id), and
# RFC 7578 (4.5) gives multipart/form-data no charset parameter: these photos may be kept.
_WELL_FORMED = ("filename-traversal", "filename-long", "charset-utf16")


def test_hostile_multipart_uploads_never_cause_a_server_error(stack, actors, instrument):
    listing = make_listing(stack.app, actors["seller"], status="active")["id"]
    url = f"{stack.url}/api/marketplace/{listing}/photos"
    for name, (content_type, body) in _MULTIPART.items():
        headers = {**actors["seller"]["headers"], "Content-Type": content_type}
        response = requests.post(url, data=body, headers=headers, timeout=30)
        _check(response, f"photo upload {name}")
        # Only a well-formed photo may be stored; each of the others must be refused.
        if name not in _WELL_FORMED:
            assert response.status_code >= 400, (name, response.text[:300])
    photos = stack.sql("SELECT count(*) AS n FROM listing_photos WHERE listing_id = %s", listing)
    assert photos[0]["n"] <= len(_WELL_FORMED)
    instrument("hostile cases", len(_MULTIPART))


# A signed webhook with hostile content: the signature is good, so everything behind it runs.
_WEBHOOK_BODIES = {
    "not-an-object": b"[1, 2]",
    "nan-amount": b'{"id": "evt_h", "type": "payment_intent.succeeded", "data": {"object": '
    b'{"id": "pi_h", "object": "payment_intent", "amount": NaN, "currency": "usd"}}}',
    "huge-amount": b'{"id": "evt_h2", "type": "payment_intent.succeeded", "data": {"object": '
    b'{"id": "pi_h", "amount": 100000000000000000000000, "amount_received": 1e308}}}',
    "deep-nesting": b'{"id": "evt_h3", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "invalid-utf8": b'{"id": "evt_\xff", "type": "charge.refunded"}',
    "wrong-types": b'{"id": 7, "type": ["x"], "data": {"object": "pi_h"}}',
    "refund-of-nothing": b'{"id": "evt_h4", "type": "charge.refunded", "data": {"object": '
    b'{"payment_intent": {"$ne": 1}, "amount_refunded": -1}}}',
    "dispute-nul": b'{"id": "evt_h5", "type": "charge.dispute.created", "data": {"object": '
    b'{"id": "dp_\\u0000", "payment_intent": "pi_\\ud800", "reason": 5}}}',
}


def test_hostile_signed_webhooks_never_cause_a_server_error(stack, instrument):
    for name, body in _WEBHOOK_BODIES.items():
        signed = stack.stripe.sign(body, "valid")
        response = requests.post(
            f"{stack.url}/api/payments/webhooks/stripe",
            data=body,
            headers={"Content-Type": "application/json", **signed},
            timeout=30,
        )
        _check(response, f"stripe webhook {name}")
        verified = stack.flutterwave.sign(body, "valid")
        response = requests.post(
            f"{stack.url}/api/payments/webhooks/flutterwave",
            data=body,
            headers={"Content-Type": "application/json", **verified},
            timeout=30,
        )
        _check(response, f"flutterwave webhook {name}")
    instrument("hostile cases", 2 * len(_WEBHOOK_BODIES))
