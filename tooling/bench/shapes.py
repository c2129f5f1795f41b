"""The request shapes of the throughput benchmark, in one table: name -> path generator.

Every generator varies its parameters per request (commodity, country, price window, page,
listing id) so no cache flatters a figure. `GET /api/health` is the reference the others
are compared with. Change the table to change what the benchmark measures.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from api_server.marketplace.schemas import COMMODITIES, SORTS
from tooling.bench.loadgen import NextPath, fetch
from tooling.seeding.listings import COMMON_WORD, COUNTRIES, RARE_WORD, WORDS

T = TypeVar("T")
SEARCH = "/api/marketplace"
HEALTH = "health"
DEEP_PAGES = range(50, 401, 37)


@dataclass(frozen=True)
class Inputs:
    """What the generators draw from: seeded ids and, when the API pages by keyset, cursors."""

    active_ids: list[str]
    deep: list[dict[str, str | int]]


def search(params: dict[str, str | int]) -> str:
    return f"{SEARCH}?{urlencode(params)}" if params else SEARCH


def _price(rng: random.Random) -> str:
    low = rng.randrange(100_000, 9_000_000, 1_000)
    return search({"currency": "USD", "min_price": low, "max_price": low + 200_000})


SHAPES: dict[str, Callable[[random.Random, Inputs], str]] = {
    HEALTH: lambda rng, inputs: "/api/health",
    "newest, no filter": lambda rng, inputs: search({"page": rng.randint(1, 3)}),
    "commodity": lambda rng, inputs: search({"commodity": rng.choice(COMMODITIES)}),
    "commodity + country": lambda rng, inputs: search(
        {"commodity": rng.choice(COMMODITIES), "country": rng.choice(COUNTRIES)}
    ),
    "price range": lambda rng, inputs: _price(rng),
    f"q rare word ({RARE_WORD})": lambda rng, inputs: search(
        {"q": RARE_WORD, "page": rng.randint(1, 3)}
    ),
    f"q common word ({COMMON_WORD})": lambda rng, inputs: search(
        {"q": COMMON_WORD, "page": rng.randint(1, 3)}
    ),
    "per_page=100": lambda rng, inputs: search(
        {"per_page": 100, "commodity": rng.choice(COMMODITIES)}
    ),
    "deep page": lambda rng, inputs: search(rng.choice(inputs.deep)),
    "detail": lambda rng, inputs: f"{SEARCH}/{rng.choice(inputs.active_ids)}",
}
DETAIL = "detail"


def _popular(rng: random.Random, choices: Sequence[T]) -> T:
    """A draw where the first choices are the popular ones (squared uniform: a long tail)."""
    return choices[int(len(choices) * rng.random() ** 2)]


def _mix(rng: random.Random, inputs: Inputs) -> str:
    """What browsers send, spread wide: the home page and a few pages on, commodities in any
    sort, commodity and country, price windows, a word (drawn as often as descriptions carry
    it), and cursors deep in the listings. Most keys are rare; a few are popular."""
    kind = rng.random()
    page = min(1 + int(rng.expovariate(1.0)), 10)
    if kind < 0.25:
        return search({"page": page})
    if kind < 0.45:
        return search(
            {"commodity": _popular(rng, COMMODITIES), "sort": rng.choice(SORTS), "page": page}
        )
    if kind < 0.60:
        return search(
            {"commodity": _popular(rng, COMMODITIES), "country": _popular(rng, COUNTRIES)}
        )
    if kind < 0.75:
        return _price(rng)
    if kind < 0.90:
        return search({"q": _popular(rng, WORDS), "page": page})
    return search(rng.choice(inputs.deep))


# Run only when asked (`--mix`): the standard table stays comparable across branches.
MIX = "mix: varied filters, cursors"
OPTIONAL_SHAPES: dict[str, Callable[[random.Random, Inputs], str]] = {MIX: _mix}
ALL_SHAPES = {**SHAPES, **OPTIONAL_SHAPES}


def generators(
    inputs: Inputs, names: list[str] | None = None, seed: int = 7
) -> dict[str, NextPath]:
    """A path generator per shape (all, or those named), each with its own random stream."""
    chosen = names or list(SHAPES)
    return {
        name: (lambda make, rng: lambda: make(rng, inputs))(
            ALL_SHAPES[name], random.Random(seed + i)
        )
        for i, name in enumerate(chosen)
    }


def deep_pages(api_url: str) -> tuple[list[dict[str, str | int]], str]:
    """The deep-page requests, and how they page: `cursor` when the API answers next_cursor.

    With keyset pagination the first 400 pages of 100 are walked once, following next_cursor,
    and the cursors at pages 50..400 (step 37) are kept; without it, `page=N` is used.
    """
    first = json.loads(fetch(api_url, search({"per_page": 100})).body)
    if "next_cursor" not in first:
        return [{"per_page": 100, "page": page} for page in DEEP_PAGES], "page"
    wanted = set(DEEP_PAGES)
    deep: list[dict[str, str | int]] = []
    cursor, page = first.get("next_cursor"), 2
    while cursor and page <= max(DEEP_PAGES):
        if page in wanted:
            deep.append({"per_page": 100, "cursor": cursor})
        body = json.loads(fetch(api_url, search({"per_page": 100, "cursor": cursor})).body)
        cursor, page = body.get("next_cursor"), page + 1
    if not deep:
        raise RuntimeError("next_cursor ran out before page 50: too few listings to page deep")
    return deep, "cursor"
