"""Every error is problem+json with no internals, through the real app and middleware."""

import falcon
import falcon.testing
import pytest

from api_server.common.validation import operation

ECHO_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 2}, "age": {"type": "integer"}},
}


class Echo:
    @operation("Echo", request=ECHO_SCHEMA, responses={200: {"type": "object"}})
    def on_post(self, req, resp):
        resp.media = req.context.body


class Boom:
    def on_get(self, req, resp):
        raise RuntimeError("SELECT secret FROM internals")


@pytest.fixture
def client(app):
    app.routes.add("/test/echo", Echo())
    app.routes.add("/test/boom", Boom())
    return falcon.testing.TestClient(app)


def _problem(result, status, code):
    assert result.status_code == status
    assert result.headers["content-type"] == "application/problem+json"
    body = result.json
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["request_id"] == result.headers["x-request-id"]
    return body


def test_unknown_route_is_404(client):
    _problem(client.simulate_get("/api/nope"), 404, "not_found")


def test_wrong_method_is_405_with_allow(client):
    result = client.simulate_delete("/api/health")
    _problem(result, 405, "method_not_allowed")
    assert "GET" in result.headers["allow"]


def test_malformed_json_is_400(client):
    result = client.simulate_post("/test/echo", body="{nope", content_type="application/json")
    _problem(result, 400, "malformed_json")


def test_other_media_type_is_415(client):
    result = client.simulate_post("/test/echo", body="name=x", content_type="text/plain")
    _problem(result, 415, "unsupported_media_type")


def test_body_over_limit_is_413(client):
    result = client.simulate_post("/test/echo", json={"name": "x" * 5000})
    _problem(result, 413, "payload_too_large")


def test_validation_lists_each_bad_field(client):
    result = client.simulate_post("/test/echo", json={"age": "old", "role": "admin"})
    body = _problem(result, 422, "validation_error")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {
        "name": "is required",
        "age": "must be of type integer",
        "role": "is not an allowed field",
    }


def test_valid_body_passes(client):
    assert client.simulate_post("/test/echo", json={"name": "ok"}).json == {"name": "ok"}


def test_unexpected_error_is_500_without_internals(client):
    result = client.simulate_get("/test/boom")
    body = _problem(result, 500, "internal_error")
    assert "SELECT" not in result.text and "Traceback" not in result.text
    assert body["detail"]


def test_titles_are_reason_phrases(client):
    assert client.simulate_get("/api/nope").json["title"] == "Not Found"


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5},
        {"name": "x"},
        {"name": None},
        {"name": "ok", "age": "x"},
        [],
        "text",
        5,
        {"name": ["a"]},
        {"name": {"a": 1}},
        {"name": "ok", "age": 1.5},
    ],
)
def test_any_wrong_shape_is_a_422_never_a_500(client, body):
    result = client.simulate_post("/test/echo", json=body)
    _problem(result, 422, "validation_error")
