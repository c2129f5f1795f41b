"""Fires requests at the same moment, for race-condition tests."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from keywords.libraries.ApiRequests import auth_headers


def request_spec(api_url: str, call: dict[str, Any]) -> dict[str, Any]:
    """The request `call` (method, path, as, request options) describes, with its URL and auth
    headers; its `expected_status` is for the caller's check, not sent."""
    options = dict(call)
    method = options.pop("method")
    path = options.pop("path")
    actor = options.pop("as", None)
    options.pop("expected_status", None)
    headers = auth_headers(
        actor, options.pop("scheme", "Bearer"), headers=options.get("headers", {})
    )
    return {**options, "method": method, "url": f"{api_url}{path}", "headers": headers}


@library(scope="GLOBAL", auto_keywords=False)
class Concurrency:
    """Requests released together by a barrier, each on its own connection."""

    @keyword
    def send_together(
        self, specs: list[dict[str, Any]], timeout: float = 30
    ) -> list[requests.Response]:
        """Sends every request described in `specs` (method, url, and requests' keyword
        arguments) at the same moment; returns the responses in the order given."""
        barrier = threading.Barrier(len(specs))
        responses: list[requests.Response | None] = [None] * len(specs)
        failures: list[BaseException] = []

        def send(index: int, spec: dict[str, Any]) -> None:
            options = {k: v for k, v in spec.items() if k not in ("method", "url")}
            try:
                barrier.wait(timeout)
                responses[index] = requests.request(
                    spec["method"], spec["url"], timeout=timeout, **options
                )
            except BaseException as exc:  # reported below, with the rest
                failures.append(exc)

        # Each thread runs in a copy of this context, so its request is a span of the test's
        # trace (keywords/listeners/Journey.py): a race shows as parallel arrows.
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(send, *item))
            for item in enumerate(specs)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 5)
        if failures:
            raise AssertionError(f"{len(failures)} concurrent request(s) failed: {failures[0]}")
        done = [r for r in responses if r is not None]
        logger.info(f"{len(done)} concurrent requests: statuses {[r.status_code for r in done]}")
        return done

    @keyword
    def copies_of_call(
        self, count: int, method: str, path: str, as_: Any = None, **options: Any
    ) -> list[dict[str, Any]]:
        """`count` copies of one call (method, path, as, options), for `Call Api Together`."""
        return [{**options, "method": method, "path": path, "as": as_} for _ in range(count)]

    @keyword
    def request_specs_of(self, api_url: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The request each call describes, for `Send Together`: URL on `api_url`, auth headers."""
        return [request_spec(api_url, call) for call in calls]

    @keyword
    def responses_should_be_as_expected(
        self, api_url: str, responses: list[requests.Response], calls: list[dict[str, Any]]
    ) -> None:
        """Each response has its call's `expected_status` (or `any`) and matches the contract."""
        if len(responses) != len(calls):
            raise AssertionError(f"{len(responses)} responses to {len(calls)} calls")
        run = BuiltIn().run_keyword
        for response, call in zip(responses, calls, strict=True):
            expected = call.get("expected_status", "any")
            run("ExpectedStatus.Status Should Be As Expected", response, expected)
            run("ApiContract.Response Should Match Contract", api_url, response)

    @keyword
    def status_codes(self, responses: list[requests.Response]) -> list[int]:
        """The status codes of `responses`, sorted."""
        return sorted(r.status_code for r in responses)
