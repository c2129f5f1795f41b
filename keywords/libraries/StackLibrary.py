"""Starts the local stack for a run, unless variables point the suite at a deployment."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

ROOT = Path(__file__).resolve().parents[2]
# Settings the launcher prints that hold secrets: set as variables, never logged.
SECRET_KEYS = {
    "JWT_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "FLUTTERWAVE_SECRET_KEY",
    "FLUTTERWAVE_SECRET_HASH",
}


@library(scope="GLOBAL", auto_keywords=False)
class StackLibrary:
    """One launcher process per Robot run, owned by the suite that started it."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._owner: str | None = None
        self._settings: list[str] = []

    @keyword
    def start_test_stack_if_needed(self, timeout: float = 120) -> None:
        """Starts `python -m sandbox up` unless ${API_URL} is already set, and sets its settings."""
        builtin = BuiltIn()
        if builtin.get_variable_value("${API_URL}") or self._proc is not None:
            logger.info("Using the deployment at ${API_URL}; starting nothing.")
            return
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "up", "--exit-with-parent"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=None,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._owner = builtin.get_variable_value("${SUITE NAME}")
        settings = self._read_settings(float(timeout))
        for key, value in settings.items():
            builtin.set_global_variable(f"${{{key}}}", value)
        self._settings = list(settings)
        shown = ", ".join(k for k in settings if k not in SECRET_KEYS)
        logger.info(f"Test stack started (pid {self._proc.pid}): {shown}")

    def _read_settings(self, timeout: float) -> dict[str, str]:
        assert self._proc is not None and self._proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stream: object) -> None:
            for line in stream:  # type: ignore[attr-defined]
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, args=(self._proc.stdout,), daemon=True).start()
        settings: dict[str, str] = {}
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                self.stop_test_stack(force=True)
                raise RuntimeError(f"the test stack was not READY within {timeout:.0f} s") from None
            if line is None:
                self.stop_test_stack(force=True)
                raise RuntimeError("the test stack exited before READY; see the console")
            if line == "READY":
                return settings
            key, sep, value = line.partition("=")
            if sep:
                settings[key] = value

    @keyword
    def stop_test_stack(self, force: bool = False) -> None:
        """Stops the stack if the current suite started it (or when forced)."""
        if self._proc is None:
            return
        if not force and BuiltIn().get_variable_value("${SUITE NAME}") != self._owner:
            return
        proc, self._proc = self._proc, None
        # The next area of the same run must start its own stack, not reuse a dead one.
        for key in self._settings:
            BuiltIn().set_global_variable(f"${{{key}}}", "")
        self._settings = []
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        logger.info(f"Test stack stopped (exit code {proc.returncode}).")
