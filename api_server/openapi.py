"""The OpenAPI 3.1 document, built from the operations and schemas the app really uses."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from api_server.auth.principal import ANY_ROLE
from api_server.common.routes import Routes
from api_server.common.validation import BINARY_KEY

_CONVERTER = re.compile(r"\{(\w+):[^}]+\}")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def openapi_path(template: str) -> str:
    """Falcon's `{id:int}` becomes OpenAPI's `{id}`."""
    return _CONVERTER.sub(r"{\1}", template)


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _declared_errors(template: str, op: Any) -> list[int]:
    """The errors an operation's own declaration implies, documented by status.

    A Bearer requirement can answer 401, and 403 when not every role may call it; an id in
    the path 404; a query 422; a body 400 (malformed), 413 (too large) and 415 (another media
    type), and a JSON body also 422 (a field breaks its schema). What only a rule can answer
    (409, 412, 502, ...) stays under `default`.
    """
    errors: list[int] = []
    if op.auth in ("required", "optional"):
        errors.append(401)
    if op.auth == "required" and op.roles and set(op.roles) != {str(r) for r in ANY_ROLE}:
        errors.append(403)
    if "{" in template:
        errors.append(404)
    if op.request is not None:
        errors += [400, 413, 415, 422]
    elif op.content_type != "application/json":
        errors += [400, 413, 415]
    if op.query is not None:
        errors.append(422)
    return sorted(set(errors))


def _operation_doc(template: str, op: Any, method: str) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)", template)
    ]
    for name, schema in ((op.query or {}).get("properties") or {}).items():
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    for name, header in op.headers.items():
        params.append({"name": name, "in": "header", "required": False, **header})
    responses: dict[str, Any] = {}
    for status, schema in sorted(op.responses.items()):
        entry: dict[str, Any] = {"description": str(status)}
        if schema is not None and BINARY_KEY in schema:
            entry["content"] = {
                media: {"schema": {"type": "string", "contentMediaType": media}}
                for media in schema[BINARY_KEY]
            }
        elif schema is not None:
            entry["content"] = {"application/json": {"schema": schema}}
        if status in op.response_headers:
            entry["headers"] = op.response_headers[status]
        responses[str(status)] = entry
    for status in _declared_errors(template, op):
        responses.setdefault(str(status), _problem(HTTPStatus(status).phrase))
    responses["default"] = _problem("Any other error")
    doc: dict[str, Any] = {
        "operationId": f"{method}_{template}",
        "summary": op.summary,
        # An operation's tag is its route group (/api/<group>/...) unless it names its own.
        "tags": list(op.tags) or [template.split("/")[2]],
        "parameters": params,
        "responses": responses,
    }
    if op.request is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {op.content_type: {"schema": op.request}},
        }
    elif op.content_type != "application/json":
        doc["requestBody"] = {"required": True, "content": {op.content_type: {"schema": {}}}}
    if op.auth == "required":
        doc["security"] = [{"bearerAuth": []}]
        # Who may call it, in the declaration's order: clients (and the fuzzer) pick a token.
        doc["x-roles"] = [str(role) for role in op.roles or ()]
    elif op.auth == "optional":
        # OpenAPI's way of saying "anonymous, or with a token": an empty requirement first.
        doc["security"] = [{}, {"bearerAuth": []}]
    return doc


def build_document(routes: Routes, version: str = "0.1.0") -> dict[str, Any]:
    """Walks every registered route and documents each responder that declares itself."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.routes:
        template = openapi_path(route.path)
        for method, op in route.operations.items():
            paths.setdefault(template, {})[method] = _operation_doc(template, op, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Mining Marketplace API", "version": version},
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
