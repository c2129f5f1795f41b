"""Server-side prepared statements for the hottest reads: parsed and planned once per
connection, then each request is one EXECUTE.

A search is cheap to run but was as dear to plan: PostgreSQL plans a statement anew every
time psycopg2 sends its text. A prepared statement keeps its plan (PostgreSQL chooses between a
custom and a generic plan by cost, `plan_cache_mode = auto`), so the database spends its time
on the rows.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import psycopg2.extensions

_NAMED = re.compile(r"%\((\w+)\)s")


class Connection(psycopg2.extensions.connection):
    """A psycopg2 connection that remembers which statements it has prepared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()


class Statement:
    """One SQL text with `%(name)s` parameters, ready to be prepared under a stable name."""

    def __init__(self, sql: str) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        self.text = _NAMED.sub(number, sql)
        self.names = tuple(names)
        self.name = "p_" + hashlib.blake2b(self.text.encode(), digest_size=10).hexdigest()
        self._execute = f"EXECUTE {self.name}" + (
            f" ({', '.join(['%s'] * len(names))})" if names else ""
        )

    def run(self, cur: Any, params: Mapping[str, Any]) -> None:
        """Executes on `cur`, preparing first if its connection has not yet."""
        conn = cur.connection
        if self.name not in conn.prepared:
            cur.execute(f"PREPARE {self.name} AS {self.text}")
            conn.prepared.add(self.name)
        cur.execute(self._execute, [params[name] for name in self.names])


@functools.lru_cache(maxsize=1024)
def statement(sql: str) -> Statement:
    """The Statement of `sql`, made once per process (searches have a few hundred shapes)."""
    return Statement(sql)
