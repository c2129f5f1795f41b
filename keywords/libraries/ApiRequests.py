"""The plumbing of every API call: the session on `API_URL`, the Authorization header, the request.

`Call Api` (keywords/api.resource) is one step in the log: its messages are the request and the
response, which RequestsLibrary logs (masked by SecretMasker), and any failure of its checks.
Done in Robot, the session lookup, the header building and their assignments added nine more
messages to every call, each a copy of something the request message shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def auth_headers(actor: Any, scheme: str = "Bearer", **options: Any) -> dict[str, str]:
    """The given `headers` option plus `scheme` and the token of `actor` (a dict's access_token,
    or a bare token or key); no Authorization header when `actor` is None."""
    headers = dict(options.get("headers", {}))
    if actor is not None:
        token = actor["access_token"] if isinstance(actor, Mapping) else actor
        headers["Authorization"] = f"{scheme} {token}"
    return headers


def _variable(name: str) -> Any:
    return BuiltIn().get_variable_value("${" + name + "}")


@library(scope="GLOBAL", auto_keywords=False)
class ApiRequests:
    """Sessions, Authorization headers and requests on RequestsLibrary, logging only the request."""

    @keyword
    def auth_headers(self, actor: Any, scheme: str = "Bearer", **kwargs: Any) -> dict[str, str]:
        """The headers of a call: given `headers` plus `scheme` and the access token of `actor`."""
        return auth_headers(actor, scheme, **kwargs)

    @keyword
    def open_api_session(self) -> str:
        """Opens a session on the current `API_URL` once; returns its alias."""
        # The alias names the URL: a later area of the same run may start a new stack.
        api_url = _variable("API_URL")
        alias = f"api {api_url}"
        http: Any = BuiltIn().get_library_instance("RequestsLibrary")
        if not http.session_exists(alias):
            timeout = _variable("REQUEST_TIMEOUT")
            http.create_session(alias, api_url, timeout=timeout, max_retries=0)
        return alias

    @keyword
    def send_api_request(
        self, method: str, path: str, as_: Any = None, **kwargs: Any
    ) -> requests.Response:
        """Sends `method` `path` on the API session as `as_` (headers from `Auth Headers`),
        whatever its status; RequestsLibrary logs the request and the response."""
        if method.upper() not in METHODS:
            raise ValueError(f"Unknown HTTP method {method!r}; one of {', '.join(METHODS)}")
        if as_ is not None or "headers" in kwargs:
            kwargs["headers"] = auth_headers(as_, headers=kwargs.get("headers", {}))
        session = self.open_api_session()
        http: Any = BuiltIn().get_library_instance("RequestsLibrary")
        send = getattr(http, f"{method.lower()}_on_session")
        return send(session, path, expected_status="any", **kwargs)
