"""The coverage gate: fails when results/coverage.json falls short of tooling.report.coverage.GATE.

python -m tooling.report.gate [results]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    """Prints the gate's verdict; 1 when it fails or no coverage.json exists."""
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    path = results / "coverage.json"
    if not path.exists():
        print(f"Coverage gate: {path} is missing; run the suite first (make robot).")
        return 1
    report = json.loads(path.read_text(encoding="utf-8"))
    failures = report["gate"]["failures"]
    for line in failures:
        print(f"Coverage gate FAILS: {line}")
    for row in report["operations"]:
        if not row["seen"]:
            print(f"  never reached: {row['operation']}")
        elif row["missing"]:
            errors = [s for s in row["missing"] if s[0] in "45"]
            if errors:
                print(f"  {row['operation']}: error statuses never seen {', '.join(errors)}")
    for machine in ("payments", "listings"):
        for move in report["transitions"][machine]:
            if not move["seen"]:
                print(f"  {machine} transition never seen: {move}")
    if not failures:
        figures = report["figures"]
        print(
            "Coverage gate passes: "
            + ", ".join(
                f"{name} {figures[name]['percent']}% ({figures[name]['seen']}/"
                f"{figures[name]['total']}, floor {floor}%)"
                for name, floor in report["gate"]["floors"].items()
            )
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
