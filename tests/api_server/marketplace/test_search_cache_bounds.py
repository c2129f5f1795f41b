"""The search cache on its own: bounds, least-recently-used order, generations, threads."""

from __future__ import annotations

import random
import threading

from api_server.marketplace.search_cache import (
    ENTRY_OVERHEAD_BYTES,
    Generation,
    SearchCache,
    SearchPage,
)

G1 = Generation(1, 111)
G2 = Generation(2, 222)


def page(text: str) -> SearchPage:
    return SearchPage.of(f'{{"items":[],"note":"{text}"}}')


def test_a_filed_page_comes_back_for_its_key_and_generation_only():
    cache = SearchCache(10, 1 << 20)
    cache.put(G1, ("a",), page("a"))
    assert cache.get(G1, ("a",)) == page("a")
    assert cache.get(G1, ("b",)) is None
    assert (cache.stats()["hits"], cache.stats()["misses"]) == (1, 1)


def test_the_entry_bound_drops_the_least_recently_used():
    cache = SearchCache(3, 1 << 20)
    for key in "abc":
        cache.put(G1, key, page(key))
    assert cache.get(G1, "a") is not None  # a is now the most recently used
    cache.put(G1, "d", page("d"))
    assert [k for k in "abcd" if cache.get(G1, k) is not None] == ["a", "c", "d"]
    stats = cache.stats()
    assert (stats["entries"], stats["evictions"]) == (3, 1)


def test_the_byte_bound_holds_and_a_page_larger_than_it_is_not_kept():
    one = page("x" * 1000)
    cache = SearchCache(100, 3 * one.cost + 10)
    for key in range(10):
        cache.put(G1, key, page(f"{key}" + "x" * 999))
        assert cache.stats()["bytes"] <= cache.max_bytes
    assert cache.stats()["entries"] == 3
    assert [k for k in range(10) if cache.get(G1, k)] == [7, 8, 9]
    cache.put(G1, "huge", page("y" * (4 * one.cost)))
    assert cache.get(G1, "huge") is None
    assert cache.stats()["entries"] == 3


def test_refiling_a_key_counts_its_bytes_once():
    cache = SearchCache(10, 1 << 20)
    for _ in range(5):
        cache.put(G1, "a", page("a"))
    assert cache.stats()["bytes"] == page("a").cost
    assert page("a").cost == len(page("a").body) + len(page("a").etag) + ENTRY_OVERHEAD_BYTES


def test_a_newer_generation_empties_the_cache_and_an_older_one_is_never_served_or_kept():
    cache = SearchCache(10, 1 << 20)
    cache.put(G1, "a", page("at 1"))
    assert cache.get(G2, "a") is None
    assert cache.stats()["entries"] == 0
    cache.put(G2, "a", page("at 2"))
    # A reader that read generation 1 began before the commit of 2: the database answers it.
    assert cache.get(G1, "a") is None
    cache.put(G1, "a", page("at 1"))
    assert cache.get(G2, "a") == page("at 2")
    assert cache.stats()["older"] == 2


def test_the_same_value_with_another_token_is_another_generation():
    """A database restored to an earlier point counts the same values again."""
    cache = SearchCache(10, 1 << 20)
    cache.put(G1, "a", page("first timeline"))
    assert cache.get(Generation(1, 999), "a") is None
    assert cache.stats()["entries"] == 0


def test_sized_to_nothing_it_is_off_and_keeps_nothing():
    for entries, size in ((0, 1 << 20), (10, 0)):
        cache = SearchCache(entries, size)
        assert not cache.enabled
        cache.put(G1, "a", page("a"))
        assert cache.stats()["entries"] == 0


def test_threads_sharing_it_keep_the_bounds_and_the_counts():
    cache = SearchCache(50, 50 * page("k0000").cost)
    gets_per_thread = 2000

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(gets_per_thread):
            generation = Generation(rng.choice((5, 6)), 0)
            key = f"k{rng.randrange(200):04d}"
            found = cache.get(generation, key)
            assert found is None or found == page(key)
            cache.put(generation, key, page(key))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = cache.stats()
    assert stats["hits"] + stats["misses"] == 8 * gets_per_thread
    assert stats["entries"] <= 50
    assert stats["bytes"] == stats["entries"] * page("k0000").cost  # every page is this size
