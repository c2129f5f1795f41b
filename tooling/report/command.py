"""Rewriting a robot or pabot command line: options put right after the executable."""

from __future__ import annotations

from pathlib import Path

RUNNERS = ("robot", "pabot")


def runner_index(command: list[str]) -> int:
    """The index of the robot/pabot executable (or of `-m robot`'s module name) in `command`."""
    for index, arg in enumerate(command):
        if Path(arg).name in RUNNERS and (index == 0 or command[index - 1] != "--outputdir"):
            return index
    raise ValueError(f"no robot or pabot in the command: {' '.join(command)}")


def option_value(command: list[str], *names: str) -> str | None:
    """The value of the last `--name value` of `command` after the runner, if any."""
    value = None
    args = command[runner_index(command) + 1 :]
    for index, arg in enumerate(args[:-1]):
        if arg in names:
            value = args[index + 1]
    return value


def with_options(command: list[str], options: list[str], drop: tuple[str, ...] = ()) -> list[str]:
    """`command` with `options` after the runner, and each `drop` option and its value removed."""
    at = runner_index(command) + 1
    rest: list[str] = []
    skip = False
    for arg in command[at:]:
        if skip:
            skip = False
        elif arg in drop:
            skip = True
        else:
            rest.append(arg)
    return [*command[:at], *options, *rest]
