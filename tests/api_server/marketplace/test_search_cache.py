"""The search cache in the app: hits skip the search, and no write is ever missed, whether it
comes through this worker, another worker, or plain SQL.

Most tests here count the statements a search runs, or expect a plain SQL commit to show at
once: they are about reading the generation from PostgreSQL, and run with the generation
watch off (`pulling`). What the watch changes is tested in (d) and in test_generation_watch.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import falcon.testing
import psycopg2
import pytest

from api_server.app import MarketplaceApp
from api_server.config import Config
from api_server.db import Database
from api_server.db.prepared import statement
from api_server.marketplace import queries
from api_server.marketplace.resources import Listings
from api_server.marketplace.search_cache import SearchCache
from tests.api_server.marketplace.support import (
    eventually,
    moderate,
    patch,
    raw_sql,
    search,
    upload,
)
from tests.factories import LISTING, make_app, make_listing, make_user

GENERATION = statement(queries.SEARCH_GENERATION).name


class RecordingDatabase(Database):
    """The real pool; every statement of a read is written down (the round trips), and
    `after_statement` (when set) runs after each, to make a commit land between two."""

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn, 1, 1)
        self.reads: list[str] = []
        self.after_statement: Callable[[str], None] = lambda sql: None

    @contextmanager
    def read(self) -> Iterator[Any]:
        with super().read() as cur:
            yield RecordingCursor(cur, self)


class RecordingCursor:
    def __init__(self, cur: Any, db: RecordingDatabase) -> None:
        self._cur = cur
        self._db = db

    def execute(self, sql: str, params: Any = None) -> None:
        self._db.reads.append(sql)
        self._cur.execute(sql, params)
        self._db.after_statement(sql)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


@pytest.fixture
def pulling(config: Config) -> Config:
    """The config with the generation watch off: every search reads the generation first."""
    return dataclasses.replace(config, search_watch_seconds=0)


def recording_app(config: Config) -> Iterator[tuple[MarketplaceApp, RecordingDatabase]]:
    db = RecordingDatabase(config.database_url)
    application = make_app(config, db=db)
    yield application, db
    application.services.close()


@pytest.fixture
def recorded(pulling: Config) -> Iterator[tuple[MarketplaceApp, RecordingDatabase]]:
    yield from recording_app(pulling)


@pytest.fixture
def watching(config: Config) -> Iterator[tuple[MarketplaceApp, RecordingDatabase]]:
    yield from recording_app(config)


@pytest.fixture
def pulling_client(pulling: Config) -> Iterator[falcon.testing.TestClient]:
    application = make_app(pulling)
    yield falcon.testing.TestClient(application)
    application.services.close()


@pytest.fixture
def other_worker(config: Config, app: MarketplaceApp) -> Iterator[falcon.testing.TestClient]:
    """A second app on the same database and the same commit clock: another gunicorn worker
    of the same server."""
    application = make_app(config, commit_clock=app.services.commit_clock)
    yield falcon.testing.TestClient(application)
    application.services.close()


@pytest.fixture
def other_server(config: Config) -> Iterator[falcon.testing.TestClient]:
    """A second app on the same database with a commit clock of its own: another server."""
    application = make_app(config)
    yield falcon.testing.TestClient(application)
    application.services.close()


def trusted(client: falcon.testing.TestClient) -> bool:
    return client.app.services.generation_watch.current() is not None


def titles(client: falcon.testing.TestClient, seller: dict[str, Any]) -> list[str]:
    return [item["title"] for item in search(client, seller_id=seller["id"]).json["items"]]


def descriptions(client: falcon.testing.TestClient, seller: dict[str, Any]) -> list[str]:
    # A description, unlike a title, is edited without sending the listing back to review.
    return [item["description"] for item in search(client, seller_id=seller["id"]).json["items"]]


def hits(client: falcon.testing.TestClient) -> int:
    return client.app.services.search_cache.stats()["hits"]


# (a) a hit runs no search


def test_a_hit_is_one_round_trip_and_runs_no_search(recorded, seller):
    app, db = recorded
    client = falcon.testing.TestClient(app)
    make_listing(app, seller, status="active")
    db.reads.clear()
    first = search(client, seller_id=seller["id"], sort="price_asc")
    executed = [s for s in db.reads if s.startswith("EXECUTE")]
    # A key never filed: the generation is not read first, the search alone runs.
    assert len(executed) == 1
    assert executed[0] != f"EXECUTE {GENERATION}"
    db.reads.clear()
    again = search(client, seller_id=seller["id"], sort="price_asc")
    # (The generation's statement is prepared on this connection's first use of it.)
    assert [s for s in db.reads if not s.startswith("PREPARE")] == [f"EXECUTE {GENERATION}"]
    assert (again.text, again.headers["ETag"]) == (first.text, first.headers["ETag"])
    assert app.services.search_cache.stats()["hits"] == 1


def test_a_filed_key_at_an_older_generation_reads_the_generation_then_searches(
    recorded, seller, dsn
):
    """A key filed before a write may still hit after it only if the generation is read: it
    is, and, the listings having moved, the search runs and the new page is filed."""
    app, db = recorded
    client = falcon.testing.TestClient(app)
    listing = make_listing(app, seller, status="active", title="Before")
    assert titles(client, seller) == ["Before"]
    with raw_sql(dsn) as cur:
        cur.execute("UPDATE listings SET title = 'After' WHERE id = %s", (listing["id"],))
    db.reads.clear()
    assert titles(client, seller) == ["After"]
    executed = [s for s in db.reads if s.startswith("EXECUTE")]
    assert len(executed) == 2 and executed[0] == f"EXECUTE {GENERATION}"
    stats = app.services.search_cache.stats()
    assert (stats["hits"], stats["misses"]) == (0, 2)


def test_full_text_searches_are_cached_too(recorded, seller):
    app, db = recorded
    client = falcon.testing.TestClient(app)
    make_listing(app, seller, status="active", description="Kimberlite pipe gravels")
    first = search(client, q="kimberlite")
    db.reads.clear()
    assert search(client, q="kimberlite").text == first.text
    assert [s for s in db.reads if not s.startswith("PREPARE")] == [f"EXECUTE {GENERATION}"]


def test_a_hit_answers_what_the_database_answers(client, app, seller, config):
    """Same body, ETag, Cache-Control, totals and cursor as with the cache off; 304 on a hit."""
    for n in range(3):
        make_listing(app, seller, status="active", title=f"Cassiterite lot {n}")
    uncached_app = make_app(config, search_cache=SearchCache(0, 0))
    uncached = falcon.testing.TestClient(uncached_app)
    params = {"seller_id": seller["id"], "per_page": 2}
    search(client, **params)
    hit, truth = search(client, **params), search(uncached, **params)
    assert hits(client) == 1
    assert hit.text == truth.text
    assert hit.json["next_cursor"] and (hit.json["total"], hit.json["total_exact"]) == (3, True)
    for header in ("ETag", "Cache-Control", "Vary", "Content-Type"):
        assert hit.headers[header] == truth.headers[header]
    revalidated = client.simulate_get(
        "/api/marketplace", params=params, headers={"If-None-Match": hit.headers["ETag"]}
    )
    assert (revalidated.status_code, revalidated.text) == (304, "")
    assert hits(client) == 2
    uncached_app.services.close()


def test_keys_are_normalised_and_every_parameter_counts(client, app, seller):
    make_listing(app, seller, status="active")
    search(client, seller_id=seller["id"])
    search(client, seller_id=seller["id"], page=1, per_page=20, sort="newest")
    assert hits(client) == 1
    search(client, seller_id=seller["id"], per_page=19)
    search(client, seller_id=seller["id"], sort="price_asc")
    search(client, seller_id=seller["id"], commodity="gold")
    assert hits(client) == 1


def test_a_refused_query_never_reaches_the_cache(client):
    result = search(client, min_price=10, max_price=5)
    assert result.status_code == 422
    assert client.app.services.search_cache.stats()["misses"] == 0


def test_a_commit_racing_a_miss_never_leaves_a_stale_page(recorded, seller, dsn):
    """A write commits right after the search statement of a miss ran: the page it filed
    shows the listings before the write, and the next search must not be served that page."""
    app, db = recorded
    client = falcon.testing.TestClient(app)
    listing = make_listing(app, seller, status="active", title="Before the race")

    def commit_a_write(sql: str) -> None:
        if sql.startswith("EXECUTE") and GENERATION not in sql:
            db.after_statement = lambda sql: None
            with raw_sql(dsn) as cur:
                cur.execute("UPDATE listings SET title = 'Won' WHERE id = %s", (listing["id"],))

    db.after_statement = commit_a_write
    assert titles(client, seller) == ["Before the race"]
    assert titles(client, seller) == ["Won"]
    assert titles(client, seller) == ["Won"]
    assert hits(client) == 1


# (b) read-your-writes across workers


def test_a_write_through_one_worker_is_seen_at_once_by_another(
    client, other_worker, app, seller, admin
):
    listing = make_listing(
        app, seller, status="active", description="Before the edit lot description"
    )
    assert (
        descriptions(other_worker, seller)
        == descriptions(other_worker, seller)
        == ["Before the edit lot description"]
    )
    assert hits(other_worker) == 1
    assert (
        patch(
            client, listing, seller, {"description": "After the edit lot description"}
        ).status_code
        == 200
    )
    assert descriptions(other_worker, seller) == ["After the edit lot description"]
    assert upload(client, listing, seller, b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).status_code == 201
    photos = search(other_worker, seller_id=seller["id"]).json["items"][0]["photos"]
    assert len(photos) == 1
    moderate(client, admin, listing, "suspend", reason="Licence expired")
    assert titles(other_worker, seller) == []
    moderate(client, admin, listing, "reinstate")
    assert descriptions(other_worker, seller) == ["After the edit lot description"]
    created = client.simulate_post(
        "/api/marketplace", json={**LISTING, "title": "A second lot"}, headers=seller["headers"]
    )
    moderate(client, admin, created.json, "approve")
    assert sorted(titles(other_worker, seller)) == ["A second lot", LISTING["title"]]
    assert (
        client.simulate_delete(
            f"/api/marketplace/{created.json['id']}", headers=seller["headers"]
        ).status_code
        == 204
    )
    assert descriptions(other_worker, seller) == ["After the edit lot description"]


# (c) writes from outside the app


def test_plain_sql_writes_are_seen_at_once(pulling_client, app, seller, dsn):
    client = pulling_client
    listing = make_listing(app, seller, status="active", title="Original")
    assert titles(client, seller) == titles(client, seller) == ["Original"]
    with raw_sql(dsn) as cur:
        cur.execute("UPDATE listings SET title = 'Renamed in SQL' WHERE id = %s", (listing["id"],))
        # Not committed yet: every search still shows the committed listings.
        assert titles(client, seller) == ["Original"]
    assert titles(client, seller) == ["Renamed in SQL"]
    with raw_sql(dsn) as cur:
        cur.execute(
            "INSERT INTO listings (seller_id, title, commodity, description, quantity, "
            "available_quantity, unit, price_per_unit, currency, country, status) "
            "VALUES (%s, 'Inserted in SQL', 'tin', 'x', 1, 1, 't', 1, 'USD', 'RW', 'active')",
            (seller["id"],),
        )
    assert sorted(titles(client, seller)) == ["Inserted in SQL", "Renamed in SQL"]
    with raw_sql(dsn) as cur:
        cur.execute("DELETE FROM listing_history WHERE listing_id = %s", (listing["id"],))
        cur.execute("DELETE FROM listings WHERE id = %s", (listing["id"],))
    assert titles(client, seller) == ["Inserted in SQL"]
    with raw_sql(dsn) as cur:
        cur.execute("TRUNCATE listings CASCADE")
    assert titles(client, seller) == []


def test_without_a_counter_row_searches_answer_and_nothing_is_filed(
    pulling_client, app, seller, dsn
):
    """A database whose generation row is gone (restored without it, say) is still searched;
    with no generation to file pages under, every search runs."""
    client = pulling_client
    make_listing(app, seller, status="active", title="Uncounted")
    assert titles(client, seller) == ["Uncounted"]  # filed under the generation
    with raw_sql(dsn) as cur:
        cur.execute("DELETE FROM listings_generation")
    for _ in range(2):
        assert titles(client, seller) == ["Uncounted"]
    stats = client.app.services.search_cache.stats()
    assert (stats["hits"], stats["stores"]) == (0, 1)


def test_a_rolled_back_write_changes_nothing_and_keeps_the_cache(client, app, seller, dsn):
    listing = make_listing(app, seller, status="active", title="Kept")
    titles(client, seller)
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("UPDATE listings SET title = 'Never' WHERE id = %s", (listing["id"],))
    conn.rollback()
    conn.close()
    assert titles(client, seller) == ["Kept"]
    assert hits(client) == 1


# (d) the generation watch: a hit without a round trip, and writes still seen


def test_with_the_watch_a_hit_runs_no_statement(watching, seller):
    app, db = watching
    client = falcon.testing.TestClient(app)
    make_listing(app, seller, status="active", title="Watched")
    first = search(client, seller_id=seller["id"])
    assert titles(client, seller) == ["Watched"]  # a filed key: the watch starts
    assert eventually(lambda: trusted(client))
    db.reads.clear()
    again = search(client, seller_id=seller["id"])
    assert db.reads == []
    assert (again.text, again.headers["ETag"]) == (first.text, first.headers["ETag"])
    assert hits(client) == 2


def test_each_write_through_this_server_is_seen_by_the_next_search_on_another_worker(
    client, other_worker, app, seller
):
    """The commit clock: no worker trusts a generation read before its server's last commit,
    however soon after the write the search comes."""
    listing = make_listing(app, seller, status="active", description="Edit 0 lot description")
    assert (
        descriptions(other_worker, seller)
        == descriptions(other_worker, seller)
        == ["Edit 0 lot description"]
    )
    assert eventually(lambda: trusted(other_worker))
    for n in range(1, 21):
        assert (
            patch(client, listing, seller, {"description": f"Edit {n} lot description"}).status_code
            == 200
        )
        assert descriptions(other_worker, seller) == [f"Edit {n} lot description"]
        assert descriptions(other_worker, seller) == [f"Edit {n} lot description"]


def test_a_write_through_another_server_reaches_the_watch_by_notification(
    client, other_server, app, seller
):
    """Another server's commit is not on this server's clock: PostgreSQL's NOTIFY brings it
    (the watch's own read, SEARCH_WATCH_SECONDS later, at the latest)."""
    listing = make_listing(app, seller, status="active", description="Before lot description")
    assert (
        descriptions(client, seller) == descriptions(client, seller) == ["Before lot description"]
    )
    assert eventually(lambda: trusted(client))
    watch = app.services.generation_watch
    notified = watch.stats()["notified"]
    assert (
        patch(other_server, listing, seller, {"description": "After lot description"}).status_code
        == 200
    )
    assert eventually(lambda: descriptions(client, seller) == ["After lot description"])
    assert eventually(lambda: watch.stats()["notified"] > notified)
    with app.services.db.read() as cur:
        cur.execute(queries.SEARCH_GENERATION)
        generation = cur.fetchone()["generation"]
    assert eventually(lambda: watch.stats()["generation"] == generation)


# (e) only what every caller sees alike is cached


def test_the_search_reads_no_token_so_one_page_serves_every_caller(client, app, seller, admin):
    """The premise of sharing pages: a search is public (no token is even read) and shows
    active listings only, to everyone. If the search ever answers differently per caller,
    this fails, and the cache must learn to tell views apart (or let them bypass it)."""
    assert Listings.on_get.__operation__.auth == "none"  # type: ignore[attr-defined]
    make_listing(app, seller, status="active", title="Public lot")
    make_listing(app, seller, title="Pending, the owner's only")
    anonymous = search(client, seller_id=seller["id"])
    for caller in (seller, admin, make_user(app)):
        seen = client.simulate_get(
            "/api/marketplace", params={"seller_id": seller["id"]}, headers=caller["headers"]
        )
        assert (seen.text, seen.headers["ETag"]) == (anonymous.text, anonymous.headers["ETag"])
    assert [i["title"] for i in anonymous.json["items"]] == ["Public lot"]
    assert hits(client) == 3


def test_reads_that_depend_on_the_caller_bypass_the_cache(client, app, seller):
    """The owner's view of a listing (pending: only the owner and admins see it) is read from
    the database each time and never filed in the search cache."""
    pending = make_listing(app, seller, title="Drafted")
    before = app.services.search_cache.stats()
    for _ in range(2):
        seen = client.simulate_get(f"/api/marketplace/{pending['id']}", headers=seller["headers"])
        assert seen.headers["Cache-Control"] == "private, no-cache"
    assert app.services.search_cache.stats() == before


def test_sized_to_zero_the_cache_is_off_and_a_search_is_one_statement(config):
    db = RecordingDatabase(config.database_url)
    app = make_app(config, db=db, search_cache=SearchCache(0, 1 << 20))
    client = falcon.testing.TestClient(app)
    for _ in range(2):
        db.reads.clear()
        search(client, commodity="gold")
        assert len(db.reads) in (1, 2)  # PREPARE on the connection's first use, then EXECUTE
        assert GENERATION not in " ".join(db.reads)
    assert app.services.search_cache.stats()["entries"] == 0
    db.close()


def test_the_cache_is_bounded_in_the_app_too(config):
    app = make_app(config, search_cache=SearchCache(2, 1 << 20))
    client = falcon.testing.TestClient(app)
    for commodity in ("gold", "copper", "cobalt", "lithium"):
        search(client, commodity=commodity)
    assert app.services.search_cache.stats()["entries"] == 2
    app.services.close()
