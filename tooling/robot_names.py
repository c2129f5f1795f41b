"""Pairs each pytest test with the Robot test whose name says the most the same thing.

    .venv/bin/python -m tooling.robot_names [threshold]

Names are lowered, split into words, stripped of small words and plural or tense endings,
and compared by the share of words they have in common (0 to 1). A high score is a place to
look, not a verdict: a pytest test stays when it asserts what the Robot test does not.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL_WORDS = "a an the and or of to is are be by it its in on at as for with their own that"
SMALL = frozenset(re.findall(r"\w+", SMALL_WORDS))
ENDINGS = ("ies", "es", "s", "ed", "ing")


def words(name: str) -> set[str]:
    """The words of a test name, without small words and endings."""
    found = set()
    for word in re.findall(r"[a-z0-9]+", name.lower().replace("_", " ")):
        if word in SMALL or word == "test":
            continue
        for ending in ENDINGS:
            if word.endswith(ending) and len(word) > len(ending) + 3:
                word = word[: -len(ending)]
                break
        found.add(word)
    return found


def robot_tests(root: Path = ROOT) -> list[tuple[str, str]]:
    """(file, name) of every test case in robot/."""
    tests = []
    for path in sorted(root.glob("robot/**/*.robot")):
        section = ""
        for line in path.read_text().splitlines():
            if line.startswith("***"):
                section = line
            elif "Test Cases" in section and re.match(r"[A-Z]", line):
                tests.append((str(path.relative_to(root)), line.strip()))
    return tests


def pytest_tests(root: Path = ROOT) -> list[tuple[str, str]]:
    """(file, name) of every test function in tests/."""
    tests = []
    for path in sorted(root.glob("tests/**/test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                tests.append((str(path.relative_to(root)), node.name))
    return tests


def closest(threshold: float) -> list[tuple[float, str, str]]:
    """(score, pytest test, Robot test) for each pytest test scoring at least `threshold`."""
    robots = [(f"{file}: {name}", words(name)) for file, name in robot_tests()]
    pairs = []
    for file, name in pytest_tests():
        mine = words(name)
        score, robot = max((len(mine & theirs) / len(mine | theirs), r) for r, theirs in robots)
        if score >= threshold:
            pairs.append((score, f"{file}::{name}", robot))
    return sorted(pairs, reverse=True)


if __name__ == "__main__":
    for score, mine, robot in closest(float(sys.argv[1]) if len(sys.argv) > 1 else 0.4):
        print(f"{score:.2f}  {mine}\n      {robot}")
