"""A seeded sample of mutants, stratified across modules."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def allocate(counts: Mapping[str, int], size: int) -> dict[str, int]:
    """How many mutants to draw from each module: proportional to its count (largest
    remainder), then at least one from every module when `size` allows it, taken from the
    modules with the most."""
    total = sum(counts.values())
    modules = sorted(m for m, n in counts.items() if n > 0)
    if size >= total:
        return {m: counts[m] for m in modules}
    shares = {m: size * counts[m] / total for m in modules}
    quota = {m: int(shares[m]) for m in modules}
    by_remainder = sorted(modules, key=lambda m: (-(shares[m] - quota[m]), m))
    for m in by_remainder[: size - sum(quota.values())]:
        quota[m] += 1
    if size >= len(modules):
        for m in modules:
            if quota[m] == 0:
                richest = max(modules, key=lambda r: (quota[r], r))
                quota[richest] -= 1
                quota[m] = 1
    return quota


def draw(keys_by_module: Mapping[str, Sequence[str]], size: int | None, seed: int) -> list[str]:
    """The sampled keys, sorted; `size` None takes every key. Each module draws with its own
    generator seeded from `seed` and its name, so a change in one module leaves the other
    modules' draws as they were."""
    if size is None:
        return sorted(k for keys in keys_by_module.values() for k in keys)
    quota = allocate({m: len(keys) for m, keys in keys_by_module.items()}, size)
    chosen: list[str] = []
    for module, n in quota.items():
        rng = random.Random(f"{seed}:{module}")
        chosen.extend(rng.sample(sorted(keys_by_module[module]), n))
    return sorted(chosen)
