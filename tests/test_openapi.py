"""The OpenAPI document covers every route the app really serves."""

import falcon.inspect
import falcon.testing

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
