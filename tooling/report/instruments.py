"""Figures the pytest instruments report for summary.html: hostile cases sent, race pairs and
rounds run, each with nothing broken (a test that broke something failed instead).

The tests record through the `instrument` fixture (tests/conftest.py), one JSON line per
record in `results/instruments/<process>.jsonl`, so pytest-xdist's workers never share a file;
a pytest run starts by forgetting the last run's. summary.html adds them up per label.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FOLDER = "instruments"


def record(results: Path, label: str, count: int) -> None:
    """Adds `count` to `label` for this run, from this process."""
    folder = results / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"label": label, "count": count}) + "\n")


def forget(results: Path) -> None:
    """Removes the figures of an earlier run."""
    folder = results / FOLDER
    for path in folder.glob("*.jsonl") if folder.is_dir() else ():
        path.unlink()


def totals(results: Path) -> dict[str, int]:
    """Each label's count over every process's records, in the order first recorded."""
    found: dict[str, int] = {}
    folder = results / FOLDER
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                label, count = str(entry["label"]), int(entry["count"])
            except (ValueError, KeyError, TypeError):
                continue
            found[label] = found.get(label, 0) + count
    return found
