"""A lean closed-loop HTTP/1.1 load generator: asyncio over raw keep-alive connections.

Each client owns one connection and sends its next GET when the previous answer has been read
in full, so the offered load follows the server (a closed loop, like real users waiting).
Parsing is the minimum HTTP/1.1 needs (status line, Content-Length or chunked), to keep the
generator far from being the bottleneck on a small machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Gives the path (with query string) of the next request.
NextPath = Callable[[], str]


@dataclass
class Answer:
    """One response as the generator saw it."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Run:
    """Everything recorded while one shape ran."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sample_headers: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Connection:
    """One keep-alive HTTP/1.1 connection to the API."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GETs `path`, reconnecting once if the server closed the idle connection."""
        return await self.request("GET", path, headers)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        """Sends one request; reconnects once if the server had closed the idle connection."""
        if self._writer is None:
            await self._connect()
        try:
            return await self._exchange(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self._connect()
            return await self._exchange(method, path, headers, body)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
            self._writer = self._reader = None

    async def _connect(self) -> None:
        await self.close()
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str] | None, body: bytes
    ) -> Answer:
        assert self._reader is not None and self._writer is not None
        fields = dict(headers or {})
        if body or method != "GET":
            fields["Content-Length"] = str(len(body))
        extra = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n{extra}\r\n"
        self._writer.write(head.encode() + body)
        answer_head = await self._reader.readuntil(b"\r\n\r\n")
        lines = answer_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        parsed = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                parsed[name.strip().lower()] = value.strip()
        if "content-length" in parsed:
            content = await self._reader.readexactly(int(parsed["content-length"]))
        elif parsed.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self._reader.read()
        if parsed.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, parsed, content)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append((await self._reader.readexactly(size + 2))[:-2])


async def _client(
    conn: Connection, next_path: NextPath, run: Run, warm_until: float, stop_at: float
) -> None:
    clock = time.perf_counter
    while True:
        now = clock()
        if now >= stop_at:
            return
        path = next_path()
        try:
            answer = await conn.get(path)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            run.error(type(exc).__name__)
            await conn.close()
            continue
        done = clock()
        if now < warm_until:
            continue
        run.latencies_ms.append((done - now) * 1000)
        if answer.status != 200:
            run.error(f"HTTP {answer.status}")
        elif not run.sample_headers:
            run.sample_headers = answer.headers


async def _closed_loop(
    base_url: str, next_path: NextPath, clients: int, duration: float, warmup: float
) -> Run:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    conns = [Connection(host, port) for _ in range(clients)]
    run = Run()
    start = time.perf_counter()
    warm_until = start + warmup
    stop_at = warm_until + duration
    try:
        await asyncio.gather(*(_client(c, next_path, run, warm_until, stop_at) for c in conns))
    finally:
        await asyncio.gather(*(c.close() for c in conns))
    run.wall_s = time.perf_counter() - warm_until
    return run


def closed_loop(
    base_url: str, next_path: NextPath, clients: int, duration: float, warmup: float = 1.0
) -> Run:
    """Runs `clients` closed-loop clients for `warmup` + `duration` seconds; records the latter."""
    return asyncio.run(_closed_loop(base_url, next_path, clients, duration, warmup))


def fetch(base_url: str, path: str, headers: dict[str, str] | None = None) -> Answer:
    """One GET on a fresh connection (preparation, not measurement)."""
    parts = urlsplit(base_url)

    async def once() -> Answer:
        conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
        try:
            return await conn.get(path, headers)
        finally:
            await conn.close()

    return asyncio.run(once())
