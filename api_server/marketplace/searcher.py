"""Answering a search: from the search cache when the listings have not moved (as the
generation watch or PostgreSQL says), else from the one search statement, whose page is then
filed for the next caller."""

from __future__ import annotations

from typing import Any

from api_server.db import Database
from api_server.db.prepared import statement
from api_server.marketplace import queries
from api_server.marketplace import search as listing_search
from api_server.marketplace.generation_watch import GenerationWatch
from api_server.marketplace.search_cache import Generation, SearchCache, SearchPage


def generation_of(row: dict[str, Any] | None) -> Generation | None:
    """The generation a row carries; None without one (no counter row: nothing is cached)."""
    if row is None or row["generation"] is None:
        return None
    return Generation(row["generation"], row["generation_token"])


class Searcher:
    """Public searches over one database, through one process's cache of their pages."""

    def __init__(
        self, db: Database, cache: SearchCache, watch: GenerationWatch, cursor_key: bytes
    ) -> None:
        self._db = db
        self._cursor_key = cursor_key
        self._cache = cache
        self._watch = watch

    def search(self, query: dict[str, Any]) -> SearchPage:
        """One page of active listings matching the validated `query`.

        A hit costs no round trip while the generation watch holds a generation it trusts;
        otherwise it costs one (the generation, read first). A miss runs the search itself,
        which reads the generation again in its own snapshot and files the page under it. A
        search whose key has no page filed under any generation cannot hit, so it asks for no
        generation: a search nobody repeats (a price window, say) costs what it would without
        the cache.
        """
        found = listing_search.plan(query, self._cursor_key)
        may_hit = self._cache.enabled and self._cache.may_hit(found.key)
        pushed = self._watch.current() if may_hit else None
        if pushed is not None:
            cached = self._cache.get(pushed, found.key)
            if cached is not None:
                return cached
        with self._db.read() as cur:
            if may_hit and pushed is None:
                statement(queries.SEARCH_GENERATION).run(cur, {})
                generation = generation_of(cur.fetchone())
                cached = self._cache.get(generation, found.key) if generation else None
                if cached is not None:
                    return cached
            if found.prepared:
                statement(found.sql).run(cur, found.params)
            else:
                cur.execute(found.sql, found.params)
            row = cur.fetchone()
        page = SearchPage.of(listing_search.page_text(found, row, self._cursor_key))
        shown_at = generation_of(row)
        if shown_at is not None:
            self._cache.put(shown_at, found.key, page)
        return page
