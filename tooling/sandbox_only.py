"""Every test that reaches a sandbox control is tagged `sandbox-only`, by construction.

    .venv/bin/python -m tooling.sandbox_only      (part of make lint)

`make live-profile` runs the payments suites against gateways that have no `/_sandbox/`
controls (as Stripe's and Flutterwave's test modes have none) and leaves out the tests tagged
`sandbox-only`. Running it proves the selection only for the tests it runs; this check proves
it for all: a keyword is a control when its body names `/_sandbox` (or a Python keyword
library's source does), and so is every keyword that calls one, however deep; a test whose
body, template, setup, teardown or suite setup and teardown reaches a control must carry the
tag. The keywords are read as Robot parses them (resource files, each suite's own keywords).
And the controls have one home: a user keyword that names `/_sandbox` itself lives in
keywords/sandbox_controls.resource, so a reader finds every control in one file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robot.libdocpkg import LibraryDocumentation
from robot.running.builder import ResourceFileBuilder, TestSuiteBuilder

ROOT = Path(__file__).resolve().parents[1]
TAG = "sandbox-only"
MARK = "/_sandbox"
HOME = "sandbox_controls.resource"
# BuiltIn keywords that run the keyword named in their arguments (index of that name).
RUNNERS = {
    "runkeyword": 0,
    "runkeywordandreturnstatus": 0,
    "runkeywordandignoreerror": 0,
    "runkeywordandexpecterror": 1,
    "runkeywordandreturn": 0,
    "runkeywordif": 1,
    "waituntilkeywordsucceeds": 2,
    "repeatkeyword": 1,
}


def normal(name: str) -> str:
    """Robot's keyword name matching: case, spaces and underscores ignored, no prefix."""
    return name.rsplit(".", 1)[-1].lower().replace(" ", "").replace("_", "")


def _steps(body: Iterable[Any]) -> Iterator[Any]:
    """Every keyword call in a body, inside FOR, IF, TRY, WHILE and GROUP too."""
    for item in body:
        if item.type in ("KEYWORD", "SETUP", "TEARDOWN"):
            yield item
        for branch in getattr(item, "body", ()) if item.type != "KEYWORD" else ():
            if getattr(branch, "type", "") in (
                "IF",
                "ELSE IF",
                "ELSE",
                "TRY",
                "EXCEPT",
                "FINALLY",
                "ITERATION",
            ):
                yield from _steps(branch.body)
            else:
                yield from _steps([branch])


def _texts(item: Any) -> Iterator[str]:
    yield str(getattr(item, "name", "") or "")
    for arg in getattr(item, "args", ()) or ():
        yield str(arg)


def _calls(body: Iterable[Any]) -> Iterator[str]:
    """The names a body calls, through the BuiltIn runners too."""
    for step in _steps(body):
        name = normal(step.name or "")
        yield name
        index = RUNNERS.get(name)
        args = list(step.args or ())
        if index is not None and len(args) > index:
            yield normal(str(args[index]))


def _mentions(body: Iterable[Any]) -> bool:
    """Whether a body names the sandbox controls' path, in any argument or value."""
    for item in body:
        if any(MARK in text for text in _texts(item)):
            return True
        for value in getattr(item, "value", ()) or ():
            if MARK in str(value):
                return True
        if _mentions(getattr(item, "body", ()) or ()):
            return True
    return False


@dataclass
class Keywords:
    """Every user keyword the suite has (by normal name): what it calls, and the controls."""

    calls: dict[str, set[str]] = field(default_factory=dict)
    controls: set[str] = field(default_factory=set)
    shown: dict[str, str] = field(default_factory=dict)  # normal name -> as written

    strays: list[str] = field(default_factory=list)  # controls written outside their home

    def add(self, keywords: Iterable[Any], where: str = HOME) -> None:
        for keyword in keywords:
            name = normal(keyword.name)
            self.shown.setdefault(name, keyword.name)
            body = [*keyword.body, *([keyword.teardown] if keyword.teardown else [])]
            self.calls.setdefault(name, set()).update(_calls(body))
            if _mentions(body):
                self.controls.add(name)
                if where != HOME:
                    self.strays.append(f"{where}: {keyword.name}")

    def add_library(self, path: Path) -> None:
        source = path.read_text(encoding="utf-8")
        # Only Robot libraries; their helper modules' functions are not keywords.
        if MARK in source and "@library(" in source:
            for keyword in LibraryDocumentation(str(path)).keywords:
                self.controls.add(normal(keyword.name))
                self.shown.setdefault(normal(keyword.name), keyword.name)

    def close(self) -> None:
        """A keyword that calls a control is one, however deep."""
        changed = True
        while changed:
            changed = False
            for name, called in self.calls.items():
                if name not in self.controls and called & self.controls:
                    self.controls.add(name)
                    changed = True


def violations(root: Path = ROOT) -> list[str]:
    """`file: test` for every test that reaches a control without the tag, and `file: keyword`
    for every keyword that names `/_sandbox` outside keywords/sandbox_controls.resource."""
    known = Keywords()
    for path in sorted((root / "keywords").glob("*.resource")):
        where = HOME if path.name == HOME else str(path.relative_to(root))
        known.add(ResourceFileBuilder().build(str(path)).keywords, where)
    for path in sorted((root / "keywords" / "libraries").glob("*.py")):
        if not path.name.startswith("_"):
            known.add_library(path)
    suites = []
    for path in sorted((root / "robot").rglob("*.robot")):
        if path.name == "__init__.robot":
            continue
        suite = TestSuiteBuilder(process_curdir=False).build(str(path))
        known.add(suite.resource.keywords, str(path.relative_to(root)))
        suites.append((path, suite))
    known.close()
    found = [f"{stray} (a /_sandbox/ call outside keywords/{HOME})" for stray in known.strays]
    for path, suite in suites:
        around = [s for s in (suite.setup, suite.teardown) if s]
        shared = set(_calls(around))
        for test in suite.tests:
            steps = [*test.body, *[s for s in (test.setup, test.teardown) if s]]
            called = set(_calls(steps)) | shared
            if test.template:
                called.add(normal(test.template))
            if called & known.controls and TAG not in test.tags:
                reached = sorted(known.shown.get(n, n) for n in called & known.controls)
                where = str(path.relative_to(root))
                found.append(f"{where}: {test.name} (reaches {', '.join(reached)})")
    return found


def main() -> int:
    found = violations()
    for line in found:
        print(line if "outside keywords/" in line else f"not tagged {TAG}: {line}")
    if found:
        print(
            f"A test that uses a /_sandbox/ control must be tagged {TAG}: the live profile "
            f"runs against gateways that have none; every control lives in keywords/{HOME}."
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
