"""Fires identical requests at the same moment, for race-condition tests."""

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
    def send_concurrently(
        self, method: str, url: str, count: int = 5, timeout: float = 30, **kwargs: Any
    ) -> list[requests.Response]:
        """Sends `count` copies of the request at once; returns the responses in send order."""
        count = int(count)
        barrier = threading.Barrier(count)
        responses: list[requests.Response | None] = [None] * count
        failures: list[BaseException] = []

        def send(index: int) -> None:
            try:
                barrier.wait(timeout)
                responses[index] = requests.request(method, url, timeout=timeout, **kwargs)
            except BaseException as exc:  # reported below, with the rest
                failures.append(exc)

        threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 5)
        if failures:
            raise AssertionError(f"{len(failures)} concurrent request(s) failed: {failures[0]}")
        statuses = [r.status_code for r in responses if r is not None]
        logger.info(f"{method} {url} x{count}: statuses {statuses}")
        return [r for r in responses if r is not None]

    @keyword
    def status_codes(self, responses: list[requests.Response]) -> list[int]:
        """The status codes of `responses`, sorted."""
        return sorted(r.status_code for r in responses)
