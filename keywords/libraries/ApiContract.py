"""Checks responses against the API's own OpenAPI document."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
from jsonschema import Draft202012Validator
from robot.api import logger
from robot.api.deco import keyword, library


@cache
def _document(api_url: str) -> dict[str, Any]:
    response = requests.get(f"{api_url}/api/openapi.json", timeout=10)
    response.raise_for_status()
    return response.json()


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p) + "/?$"
    )


def match_operation(paths: dict[str, Any], method: str, path: str) -> str | None:
    """The path template of `paths` (an OpenAPI `paths` object) that `method path` matches."""
    # Literal segments beat parameters: /api/users/me before /api/users/{id}.
    for template in sorted(paths, key=lambda t: t.count("{")):
        if method.lower() in paths[template] and _template_regex(template).match(path):
            return template
    return None


@library(scope="GLOBAL", auto_keywords=False)
class ApiContract:
    """Finds the operation a response answered and validates the body against its schema."""

    @keyword
    def operation_for(self, api_url: str, method: str, path: str) -> str:
        """The OpenAPI path template that `method path` matches, or fails."""
        template = match_operation(_document(api_url)["paths"], method, path)
        if template is not None:
            return template
        raise AssertionError(f"{method} {path} is not an operation in /api/openapi.json")

    @keyword
    def documented_query_default(self, api_url: str, method: str, path: str, name: str) -> Any:
        """The default /api/openapi.json documents for query parameter `name` of `method path`."""
        template = self.operation_for(api_url, method, path)
        for parameter in _document(api_url)["paths"][template][method.lower()]["parameters"]:
            if parameter["in"] == "query" and parameter["name"] == name:
                return parameter["schema"]["default"]
        raise AssertionError(f"{method} {template} documents no query parameter {name}")

    @keyword
    def response_should_match_contract(self, api_url: str, response: requests.Response) -> None:
        """The body of `response` matches the schema documented for its operation and status."""
        method = response.request.method or "GET"
        path = urlsplit(response.request.url or "").path
        template = self.operation_for(api_url, method, path)
        operation = _document(api_url)["paths"][template][method.lower()]
        documented = operation["responses"].get(str(response.status_code))
        content_type = response.headers.get("Content-Type", "").split(";")[0]
        if content_type == "application/problem+json":
            schema = _document(api_url)["components"]["schemas"]["Problem"]
        elif documented is None:
            raise AssertionError(
                f"{method} {template} answered {response.status_code}, an undocumented status"
            )
        elif content_type in documented.get("content", {}) and content_type != "application/json":
            # Raw bytes (a photo): the documented media type is the contract.
            return
        elif documented.get("content") and "application/json" not in documented["content"]:
            raise AssertionError(
                f"{method} {template} {response.status_code} answered {content_type}, "
                f"documented {sorted(documented['content'])}"
            )
        elif "content" not in documented:
            if response.content:
                raise AssertionError(f"{method} {template} {response.status_code} has a body")
            return
        else:
            schema = documented["content"]["application/json"]["schema"]
        errors = sorted(Draft202012Validator(schema).iter_errors(response.json()), key=str)
        if errors:
            raise AssertionError(
                f"{method} {template} {response.status_code} breaks its schema: "
                + "; ".join(
                    f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
                    for e in errors[:5]
                )
            )
        logger.debug(f"{method} {template} {response.status_code} matches its schema")
