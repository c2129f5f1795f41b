"""What a run is asked to do: the environment's knobs, the module map and the equivalents."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The settings sit beside the tool that reads them.
MAP_FILE = Path(__file__).with_name("map.yaml")
EQUIVALENT_FILE = Path(__file__).with_name("equivalent.yaml")
PACKAGE = "api_server"


@dataclass(frozen=True)
class Settings:
    """One run's bounds: sample size (None: every mutant), seed, time per mutant and overall."""

    sample: int | None = 200
    seed: int = 1
    timeout: float = 120.0
    time_budget: float | None = 3600.0
    modules: tuple[str, ...] = ()
    jobs: int = 1

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """MUTATION_SAMPLE (a number or `all`), MUTATION_SEED, MUTATION_TIMEOUT (s per mutant),
        MUTATION_TIME (s for all mutants, 0 = unbounded), MUTATION_MODULES (comma-separated
        paths under api_server/), MUTATION_JOBS (mutants run side by side)."""
        env = dict(os.environ if env is None else env)
        sample_text = env.get("MUTATION_SAMPLE", "200").strip().lower()
        time_text = env.get("MUTATION_TIME", "3600").strip()
        modules = tuple(m.strip() for m in env.get("MUTATION_MODULES", "").split(",") if m.strip())
        settings = cls(
            sample=None if sample_text in ("all", "0", "") else int(sample_text),
            seed=int(env.get("MUTATION_SEED", "1")),
            timeout=float(env.get("MUTATION_TIMEOUT", "120")),
            time_budget=None if float(time_text or 0) <= 0 else float(time_text),
            modules=modules,
            jobs=max(1, int(env.get("MUTATION_JOBS", "1"))),
        )
        if settings.sample is not None and settings.sample < 0:
            raise ValueError("MUTATION_SAMPLE must be a positive number or 'all'")
        return settings


@dataclass(frozen=True)
class ModuleMap:
    """Module (path under api_server/) -> suites (paths under robot/, or pytest targets under
    tests/ for what Robot cannot reach), and what is left out."""

    suites: dict[str, tuple[str, ...]]
    unmutated: dict[str, str] = field(default_factory=dict)
    exclude_operators: tuple[str, ...] = ()

    def suites_for(self, module_path: str) -> tuple[str, ...]:
        """The suites of a module given as `api_server/x/y.py` or `x/y.py`."""
        return self.suites[relative_module(module_path)]

    def operator_excluded(self, operator: str) -> bool:
        """True when a pattern of exclude_operators matches the operator's name."""
        return any(re.match(pattern, operator) for pattern in self.exclude_operators)


def relative_module(module_path: str) -> str:
    """`api_server/x/y.py` -> `x/y.py`; a path already relative is returned as it is."""
    prefix = f"{PACKAGE}/"
    path = module_path.replace(os.sep, "/")
    return path[len(prefix) :] if path.startswith(prefix) else path


def load_map(path: Path = MAP_FILE) -> ModuleMap:
    """Reads and checks the module map: every suite named must be a .robot file under robot/."""
    data = yaml.safe_load(path.read_text()) or {}
    suites = {str(m): tuple(str(s) for s in lst) for m, lst in (data.get("modules") or {}).items()}
    for module, names in suites.items():
        if not names:
            raise ValueError(f"{path.name}: {module} names no suite")
        for name in names:
            if is_pytest(name):
                continue
            if not name.endswith(".robot") or name.endswith("__init__.robot"):
                raise ValueError(f"{path.name}: {module} -> {name} is not a suite file")
    unmutated = {str(m): str(r) for m, r in (data.get("unmutated") or {}).items()}
    overlap = set(suites) & set(unmutated)
    if overlap:
        raise ValueError(f"{path.name}: both mapped and unmutated: {sorted(overlap)}")
    return ModuleMap(suites, unmutated, tuple(data.get("exclude_operators") or ()))


@dataclass(frozen=True)
class Equivalent:
    """A survivor judged equivalent: no test can tell it from the original, and why."""

    module: str
    operator: str
    line: str
    reason: str
    # For a line written the same in several places: a line among the ten above it.
    context: str | None = None

    def matches(self, mutant: dict[str, Any]) -> bool:
        """Same module, operator and original source line (whitespace ignored at the ends),
        and `context` among the lines just above when given."""
        return (
            relative_module(mutant["module"]) == relative_module(self.module)
            and mutant["operator"] == self.operator
            and mutant["line"].strip() == self.line.strip()
            and (
                self.context is None
                or any(a.strip() == self.context.strip() for a in mutant.get("above", []))
            )
        )


def load_equivalents(path: Path = EQUIVALENT_FILE) -> list[Equivalent]:
    """The equivalent survivors; every entry needs module, operator, line and reason."""
    if not path.exists():
        return []
    entries = yaml.safe_load(path.read_text()) or []
    result = []
    for entry in entries:
        missing = {"module", "operator", "line", "reason"} - set(entry)
        if missing or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path.name}: entry {entry} lacks {sorted(missing) or ['reason']}")
        result.append(
            Equivalent(
                entry["module"],
                entry["operator"],
                entry["line"],
                entry["reason"],
                entry.get("context"),
            )
        )
    return result


def is_pytest(entry: str) -> bool:
    """A map entry under tests/ is a pytest target (a file or a node id); others are suites."""
    return entry.startswith("tests/")


def suite_option(suite_file: str) -> str:
    """`marketplace/retrieval.robot` -> `Robot.marketplace.retrieval` for robot --suite."""
    return "Robot." + ".".join(Path(suite_file).with_suffix("").parts)
