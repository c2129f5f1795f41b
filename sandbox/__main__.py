"""python -m sandbox up | run -- COMMAND: the local stack for the suite and for people."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

from sandbox.stack.launcher import Stack
from sandbox.stack.processes import parent_alive


def _wait_for_stop(watch_parent: bool) -> None:
    """Blocks until SIGTERM/SIGINT, or until the process that started us is gone."""
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ppid = os.getppid()
    while not stopping.wait(0.5):
        if watch_parent and not parent_alive(ppid):
            return


def up(args: argparse.Namespace) -> int:
    """Starts the stack, prints KEY=value lines and READY, and runs until stopped."""
    # SIGTERM during start-up must still unwind the stack, so make it an exception.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with Stack(workers=args.workers, controls=not args.no_sandbox_controls) as stack:
            for key, value in stack.settings.items():
                print(f"{key}={value}")
            print("READY", flush=True)
            _wait_for_stop(args.exit_with_parent)
    except KeyboardInterrupt:
        return 130
    return 0


def run(args: argparse.Namespace) -> int:
    """Starts the stack, runs COMMAND with its settings in the environment, stops it."""
    if not args.command:
        print("usage: python -m sandbox run -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with Stack(workers=args.workers, controls=not args.no_sandbox_controls) as stack:
            env = {**os.environ, **stack.settings}
            return subprocess.call(args.command, env=env)
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="action", required=True)
    up_parser = sub.add_parser("up", help="start the stack and keep it running")
    up_parser.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the process that started us dies"
    )
    run_parser = sub.add_parser("run", help="start the stack, run a command, stop the stack")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    for p in (up_parser, run_parser):
        p.add_argument("--workers", type=int, default=int(os.environ.get("API_WORKERS", "2")))
        p.add_argument(
            "--no-sandbox-controls",
            action="store_true",
            help="serve only what the real gateways serve (no /_sandbox/ control API)",
        )
    args = parser.parse_args(argv)
    if args.action == "run" and args.command[:1] == ["--"]:
        args.command = args.command[1:]
    return up(args) if args.action == "up" else run(args)


if __name__ == "__main__":
    sys.exit(main())
