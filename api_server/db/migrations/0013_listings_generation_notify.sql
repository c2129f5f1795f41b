-- Every bump of the listings' generation (0010) is also announced: NOTIFY listings_generation
-- with "<value> <token>". PostgreSQL delivers it when the bumping transaction commits, and
-- only then; a rolled-back bump announces nothing. Each API process keeps the generation it
-- was told (api_server/marketplace/generation_watch.py), so a cached search answers without
-- asking for the generation first.
--
-- What it costs writers: a transaction that notifies takes PostgreSQL's notification queue
-- lock at COMMIT, which serialises notifying commits. Listing writers already queue on the
-- counter row for the instant of their commits (0010), so they wait for nothing new; a
-- transaction that writes no listing never bumps and never notifies.
CREATE OR REPLACE FUNCTION listings_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bumped listings_generation%ROWTYPE;
BEGIN
    UPDATE listings_generation
    SET value = value + 1, token = (random() * 4e18)::bigint, bumped_by = pg_current_xact_id()
    WHERE bumped_by IS DISTINCT FROM pg_current_xact_id()
    RETURNING * INTO bumped;
    IF FOUND THEN
        PERFORM pg_notify('listings_generation', bumped.value || ' ' || bumped.token);
    END IF;
    RETURN NULL;
END;
$$;
