-- "Every change to a listing bumps its version" has one owner: this trigger. The version is
-- the listing's ETag and the If-Match guard of an edit, so a statement that forgot to bump it
-- would let a stale edit through; no statement writes `version` itself any more.

CREATE FUNCTION listings_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;

CREATE TRIGGER listings_version BEFORE UPDATE ON listings
    FOR EACH ROW EXECUTE FUNCTION listings_bump_version();
