"""Counted, optionally matched rules: faults, dropped and failed webhook deliveries."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sandbox.harness.common import DEFAULT_HANG_SECONDS


@dataclass
class Rule:
    """A counted, optionally matched instruction: a fault, a drop or a forced failure."""

    remaining: int
    match: str | None = None
    mode: str = ""
    seconds: float = DEFAULT_HANG_SECONDS
    status: int = 500

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode or None,
            "count": self.remaining,
            "match": self.match,
            "seconds": self.seconds if self.mode in ("hang", "late") else None,
            "status": self.status if self.mode == "status" else None,
        }


class RuleBook:
    """Thread-safe list of counted rules; take() consumes one use of the first match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def take(self, text: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and (rule.match is None or rule.match in text):
                    rule.remaining -= 1
                    self._rules = [r for r in self._rules if r.remaining > 0]
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]
