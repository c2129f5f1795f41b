"""Route registration that also remembers each route for the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass

import falcon


@dataclass(frozen=True)
class Route:
    """One path template bound to one resource (and responder suffix)."""

    path: str
    resource: object
    suffix: str | None = None


class Routes:
    """Adds routes to the app and keeps the list the OpenAPI builder walks."""

    def __init__(self, app: falcon.App) -> None:
        self._app = app
        self.routes: list[Route] = []

    def add(self, path: str, resource: object, suffix: str | None = None) -> None:
        """Same as app.add_route, recorded."""
        if suffix:
            self._app.add_route(path, resource, suffix=suffix)
        else:
            self._app.add_route(path, resource)
        self.routes.append(Route(path, resource, suffix))
