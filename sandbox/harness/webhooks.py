"""Signed webhook delivery with retries, pauses, drops and forced failures."""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import requests

from sandbox.harness.common import DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS
from sandbox.harness.rules import Rule, RuleBook

# (payload, signature mode) -> extra headers for one webhook POST
Signer = Callable[[bytes, str], dict[str, str]]


@dataclass
class Attempt:
    at: float
    status: int | None
    error: str | None
    manual: bool = False
    signature: str = "valid"

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "status": self.status,
            "error": self.error,
            "manual": self.manual,
            "signature": self.signature,
        }


# The W3C traceparent of the request being served in this context (set by the edge
# middleware): an event published while serving it carries it to the receiver, now or after
# retries, so the webhook joins the trace of the call that caused it. Neither Stripe nor
# Flutterwave documents such a header (docs/sandboxes.md, "Trace context"); the API treats it
# as any client's traceparent.
CAUSE: ContextVar[str | None] = ContextVar("sandbox_cause_traceparent", default=None)


@dataclass
class EventRecord:
    """One webhook event: its frozen payload and every delivery attempt made."""

    id: str
    type: str
    object_id: str
    created: int
    body: dict[str, Any]
    payload: bytes = b""
    attempts: list[Attempt] = field(default_factory=list)
    delivered: bool = False
    dropped: bool = False
    held: bool = False
    gave_up: bool = False
    traceparent: str | None = None

    def __post_init__(self) -> None:
        # Frozen once: every attempt (and every signature) covers the same bytes.
        if not self.payload:
            self.payload = json.dumps(self.body, indent=2).encode()

    @property
    def text(self) -> str:
        return self.payload.decode()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "object_id": self.object_id,
            "created": self.created,
            "delivered": self.delivered,
            "dropped": self.dropped,
            "paused": self.held,
            "gave_up": self.gave_up,
            "attempts": [a.as_dict() for a in self.attempts],
            "body": self.body,
        }


class WebhookDeliverer:
    """Queues events and POSTs them from one background thread, retrying with backoff."""

    def __init__(
        self,
        signer: Signer,
        *,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = 5.0,
    ) -> None:
        self._signer = signer
        self._backoff = tuple(backoff) or (0.0,)
        self._max_attempts = max(1, max_attempts)
        self._timeout = timeout
        self._cond = threading.Condition()
        self._records: dict[str, EventRecord] = {}
        self._due: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._pauses: list[str | None] = []
        self._drops = RuleBook()
        self._fails = RuleBook()
        self._url: str | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="webhook-deliverer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(self._timeout + 1)
            self._thread = None

    # configuration ---------------------------------------------------------

    @property
    def url(self) -> str | None:
        return self._url

    def set_url(self, url: str | None) -> None:
        with self._cond:
            self._url = url
            self._release_held()

    def pause(self, match: str | None) -> None:
        with self._cond:
            self._pauses.append(match)

    def resume(self, match: str | None) -> None:
        with self._cond:
            self._pauses = [] if match is None else [p for p in self._pauses if p != match]
            self._release_held()

    def drop(self, count: int, match: str | None) -> None:
        self._drops.add(Rule(count, match))

    def fail(self, count: int, match: str | None) -> None:
        self._fails.add(Rule(count, match))

    def reset(self) -> None:
        self._drops.clear()
        self._fails.clear()
        self.resume(None)

    # events ----------------------------------------------------------------

    def publish(self, record: EventRecord, deliver: bool = True) -> EventRecord:
        """Records the event and, unless told otherwise, queues it for delivery."""
        if record.traceparent is None:
            record.traceparent = CAUSE.get()
        with self._cond:
            self._records[record.id] = record
            if not deliver:
                return record
            if self._drops.take(record.text):
                record.dropped = True
            elif self._is_paused(record.text) or self._url is None:
                record.held = True
            else:
                self._schedule(record.id, 0.0)
        return record

    def records(self, match: str | None = None) -> list[EventRecord]:
        with self._cond:
            return [r for r in self._records.values() if match is None or match in r.text]

    def get(self, event_id: str) -> EventRecord | None:
        with self._cond:
            return self._records.get(event_id)

    def deliver_now(self, record: EventRecord, signature: str = "valid") -> dict[str, Any]:
        """Delivers once, synchronously, outside the retry schedule."""
        status, body, error = self._post(record, signature)
        with self._cond:
            record.attempts.append(Attempt(time.time(), status, error, True, signature))
            if status is not None and 200 <= status < 300 and signature == "valid":
                record.delivered = True
        return {"id": record.id, "status": status, "body": body, "error": error}

    # internals -------------------------------------------------------------

    def _is_paused(self, text: str) -> bool:
        return any(p is None or p in text for p in self._pauses)

    def _release_held(self) -> None:
        if self._url is None:
            return
        for record in self._records.values():
            if record.held and not self._is_paused(record.text):
                record.held = False
                self._schedule(record.id, 0.0)

    def _schedule(self, event_id: str, delay: float) -> None:
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._seq), event_id))
        self._cond.notify_all()

    def _next_due(self) -> EventRecord | None:
        with self._cond:
            while not self._stopping:
                wait = self._due[0][0] - time.monotonic() if self._due else None
                if wait is not None and wait <= 0:
                    return self._records[heapq.heappop(self._due)[2]]
                self._cond.wait(wait)
        return None

    def _run(self) -> None:
        while (record := self._next_due()) is not None:
            self._attempt(record)

    def _attempt(self, record: EventRecord) -> None:
        if self._fails.take(record.text):
            status: int | None = None
            error: str | None = "sandbox: simulated receiver failure"
        else:
            status, _, error = self._post(record, "valid")
        with self._cond:
            record.attempts.append(Attempt(time.time(), status, error))
            if status is not None and 200 <= status < 300:
                record.delivered = True
                return
            tries = sum(1 for a in record.attempts if not a.manual)
            if tries >= self._max_attempts or self._url is None:
                record.gave_up = True
                return
            self._schedule(record.id, self._backoff[min(tries, len(self._backoff)) - 1])

    def _post(self, record: EventRecord, signature: str) -> tuple[int | None, str, str | None]:
        url = self._url
        if url is None:
            return None, "", "no webhook URL configured"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "sandbox-webhooks/1.0",
            **self._signer(record.payload, signature),
        }
        if record.traceparent:
            headers["traceparent"] = record.traceparent
        try:
            with requests.Session() as session:
                # A proxy from the environment must never sit between loopback peers.
                session.trust_env = False
                resp = session.post(
                    url, data=record.payload, headers=headers, timeout=self._timeout
                )
        except requests.RequestException as exc:
            return None, "", f"{type(exc).__name__}: {exc}"
        return resp.status_code, resp.text, None
