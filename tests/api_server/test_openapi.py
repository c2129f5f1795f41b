"""The OpenAPI document covers every route the app really serves."""

import falcon.inspect
import falcon.testing
import pytest

from api_server.openapi import openapi_path

IGNORED_METHODS = {"OPTIONS"}


def test_every_route_and_method_is_documented(app):
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    assert document["openapi"].startswith("3.1")
    missing = []
    for route in falcon.inspect.inspect_routes(app):
        path = openapi_path(route.path)
        for method in route.methods:
            if method.internal or method.method in IGNORED_METHODS:
                continue
            if method.method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method.method} {path}")
    assert missing == []


def test_request_schemas_are_the_validating_ones(app):
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert op["summary"], f"{method} {path} has no summary"
            assert "default" in op["responses"]


def _errors(app, method, path):
    doc = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    responses = doc["paths"][path][method]["responses"]
    return sorted(int(s) for s in responses if s != "default" and int(s) >= 400)


@pytest.mark.parametrize(
    ("method", "path", "errors"),
    [
        # Roles (not every role), an id in the path and a JSON body.
        ("patch", "/api/marketplace/{listing_id}", "400 401 403 404 413 415 422"),
        # Any signed-in role may read payments: 401 but no 403; a query can be invalid.
        ("get", "/api/payments", "401 422"),
        # Optional authentication: a bad token is a 401.
        ("get", "/api/marketplace/{listing_id}", "401 404"),
        # A multipart body has no 422 of its own.
        ("post", "/api/marketplace/{listing_id}/photos", "400 401 403 404 413 415"),
        # Public and bodiless: nothing but what the operation itself declares.
        ("get", "/api/health", ""),
        ("get", "/api/health/ready", "503"),
    ],
)
def test_each_operation_documents_the_errors_its_declaration_implies(app, method, path, errors):
    assert _errors(app, method, path) == [int(status) for status in errors.split()]


def test_query_parameters_are_optional_and_path_parameters_required(app):
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    seen = set()
    for path, item in document["paths"].items():
        for method, op in item.items():
            for parameter in op.get("parameters", []):
                seen.add(parameter["in"])
                expected = parameter["in"] == "path"
                assert parameter["required"] is expected, f"{method} {path} {parameter['name']}"
    # Header parameters (a refund's Idempotency-Key) are optional too.
    assert seen == {"path", "query", "header"}


def test_every_request_body_is_required(app):
    """An operation that takes a body refuses a request without one: the document says so."""
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    bodies = [
        (method, path, op["requestBody"])
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    ]
    assert len(bodies) > 10
    assert [(m, p) for m, p, body in bodies if body.get("required") is not True] == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/admin/disputes", "200"),
        ("post", "/api/payments/webhooks/stripe", "200"),
        ("post", "/api/payments/webhooks/flutterwave", "200"),
        ("get", "/api/payments/flutterwave/return", "200"),
        ("post", "/api/marketplace", "201"),
        ("delete", "/api/marketplace/{listing_id}", "204"),
    ],
)
def test_success_statuses_are_the_ones_answered(app, method, path, status):
    """The success status each operation answers (asserted by the suites) is the one its
    document names, so a client generated from it expects what it gets."""
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    responses = document["paths"][path][method]["responses"]
    assert sorted(s for s in responses if s.startswith("2")) == [status]


def test_dispute_statuses_include_the_card_networks_decisions(app):
    """A dispute a chargeback decided reads as such (not as an admin's rejection or refund),
    and the admins' list filters by the same statuses the dispute shows."""
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    listing = document["paths"]["/api/admin/disputes"]["get"]
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    expected = ["open", "resolved_refund", "resolved_rejected", "chargeback_won", "chargeback_lost"]
    assert status["schema"]["enum"] == expected
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["items"]["items"]["properties"]["status"]["enum"] == expected
