-- The listings' generation: one row whose value moves on with every committed transaction
-- that wrote `listings`. The API's search cache (api_server/marketplace/search_cache.py)
-- keeps rendered search pages under the generation they were computed at, and reads the
-- generation before every search: equal generation, equal listings, equal answer. Because the
-- counter lives in PostgreSQL and moves in the writing transaction itself, a write through any
-- worker, any host, or plain SQL is seen by the next search everywhere (read-your-writes).
--
-- What a search shows: queries.SEARCH reads `listings` only (status, the filter columns, the
-- sort keys and `doc`). `doc` holds the listing's photos and is rebuilt by the listings_write
-- trigger (0008) only when the listing row is written; the API touches the row whenever a
-- photo changes, and a photo row written behind its back leaves `doc` (and so every search,
-- cached or not) unchanged. Users' status is not read by a search: disabling a seller does
-- not hide their listings. So `listings` is the one table whose writes must bump.
--
-- Why deferred, and why it cannot deadlock. A transaction that bumps holds the counter row's
-- lock until it ends, so every listing writer queues on that row. Were the bump immediate
-- (at the first written listing), a writer would hold the counter and then wait for other
-- locks (another listing row, a payment row), while a second writer held those and waited for
-- the counter: a deadlock, and listing writers serialised for their whole duration. As a
-- DEFERRABLE INITIALLY DEFERRED constraint trigger the bump runs at COMMIT, after every other
-- statement of the transaction: the counter row is the last lock any transaction takes, and a
-- holder of it waits for nothing else before it commits (it only runs the remaining deferred
-- triggers, which take no other locks). A cycle of waits needs a holder that waits, so there is
-- none; writers queue only for the instant of their commits. (A session that runs
-- SET CONSTRAINTS ALL IMMEDIATE would bump at once and lose that guarantee; nothing does.)
--
-- Once per transaction: the row remembers the transaction that bumped it last, so a statement
-- touching 100,000 listings bumps once; later firings of the same transaction see their own
-- bump and update nothing. A rolled-back transaction (or savepoint) fires nothing.
--
-- Why the order holds: a bump UPDATEs the one row, so bumps are serialised by its lock and
-- bump k+1 starts only after the transaction of bump k committed. A snapshot that sees value g
-- therefore sees exactly the listing writers 1..g and none after: the visible listings are a
-- function of the generation. This needs writers in READ COMMITTED (every writer of the API
-- is): a REPEATABLE READ or SERIALIZABLE writer whose snapshot predates another's bump gets a
-- serialization failure at COMMIT and must retry, as for any row two transactions update.
--
-- For later migrations: PostgreSQL refuses CREATE INDEX and ALTER TABLE on a table with
-- trigger events pending, so a migration that writes listings and then alters or indexes them
-- runs `SET CONSTRAINTS listings_generation_bump IMMEDIATE` in between (bench/seeding.py does).
--
-- `token` is drawn anew at every bump. A database restored to an earlier point, or a replica
-- promoted after losing commits, counts the same values again with other listings behind
-- them; the token tells those generations apart, so a cache never serves a page of the lost
-- timeline under a value that came back.
CREATE TABLE listings_generation (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    value      bigint NOT NULL,
    token      bigint NOT NULL,
    bumped_by  xid8
);
INSERT INTO listings_generation (value, token) VALUES (1, (random() * 4e18)::bigint);

CREATE FUNCTION listings_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE listings_generation
    SET value = value + 1, token = (random() * 4e18)::bigint, bumped_by = pg_current_xact_id()
    WHERE bumped_by IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER listings_generation_bump
    AFTER INSERT OR UPDATE OR DELETE ON listings
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION listings_generation_bump();

-- TRUNCATE fires no row trigger, so a statement trigger bumps (at once: only row triggers can
-- be deferred). TRUNCATE holds the table exclusively: no other listing writer is running, so
-- none holds the counter, and none can ask for it before this transaction ends.
CREATE TRIGGER listings_generation_truncate
    AFTER TRUNCATE ON listings
    FOR EACH STATEMENT EXECUTE FUNCTION listings_generation_bump();
