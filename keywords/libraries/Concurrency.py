"""Fires requests at the same moment, for race-condition tests."""

from __future__ import annotations

import threading
from typing import Any

import requests
from robot.api import logger
from robot.api.deco import keyword, library


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

        threads = [threading.Thread(target=send, args=item) for item in enumerate(specs)]
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
    def status_codes(self, responses: list[requests.Response]) -> list[int]:
        """The status codes of `responses`, sorted."""
        return sorted(r.status_code for r in responses)
