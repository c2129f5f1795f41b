"""Route registration that remembers each route's declared operations.

The OpenAPI builder walks the routes, and the authentication middleware looks up the
operation of each request here, so both read the same `operation(...)` declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import falcon

METHODS = ("get", "post", "put", "patch", "delete")
Service = TypeVar("Service")


class Resource(Generic[Service]):
    """A resource's one collaborator: the service its responders call.

    Authentication is not the resource's business: the middleware reads each responder's
    `operation(...)` declaration, so no resource carries a token service.
    """

    def __init__(self, service: Service) -> None:
        self.service = service


@dataclass(frozen=True)
class Route:
    """One path template bound to one resource (and responder suffix)."""

    path: str
    resource: object
    suffix: str | None = None
    operations: dict[str, Any] = field(default_factory=dict)


def _operations(resource: object, suffix: str | None) -> dict[str, Any]:
    """The declared operation of each responder, keyed by lower-case method."""
    found = {}
    for method in METHODS:
        name = f"on_{method}" + (f"_{suffix}" if suffix else "")
        op = getattr(getattr(resource, name, None), "__operation__", None)
        if op is not None:
            found[method] = op
    return found


class Routes:
    """Adds routes to the app and keeps the list the OpenAPI builder walks."""

    def __init__(self, app: falcon.App) -> None:
        self._app = app
        self.routes: list[Route] = []
        self._by_template: dict[str, Route] = {}

    def add(self, path: str, resource: object, suffix: str | None = None) -> None:
        """Same as app.add_route, recorded."""
        if suffix:
            self._app.add_route(path, resource, suffix=suffix)
        else:
            self._app.add_route(path, resource)
        route = Route(path, resource, suffix, _operations(resource, suffix))
        self.routes.append(route)
        self._by_template[path] = route

    def operation(self, template: str | None, method: str) -> Any:
        """The operation declared for a routed request (`req.uri_template`), or None."""
        route = self._by_template.get(template or "")
        return route.operations.get(method.lower()) if route else None
