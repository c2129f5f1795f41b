-- A listing's public JSON is kept on its row (`doc`), built by the trigger that already owns
-- its version. Reads then send stored text: a page of 20 listings is one string_agg of 20
-- values instead of 20 JSON objects built field by field (and their photos looked up) on
-- every search. Every write goes through the trigger, so the document cannot go stale: photo
-- changes touch the listing row after the photo row is written.

DROP TRIGGER listings_version ON listings;
DROP FUNCTION listings_bump_version();

-- The one representation of a listing in the API: ISO 8601 times in UTC with microseconds,
-- quantities as decimal strings with three places, prices as integer minor units.
CREATE FUNCTION listing_document(l listings) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', l.id, 'seller_id', l.seller_id, 'title', l.title, 'commodity', l.commodity,
        'description', l.description, 'quantity', l.quantity::text,
        'available_quantity', l.available_quantity::text, 'unit', l.unit,
        'price_per_unit', l.price_per_unit, 'currency', l.currency, 'country', l.country,
        'location', l.location, 'grade', l.grade, 'status', l.status,
        'status_reason', l.status_reason, 'version', l.version,
        'photos', (SELECT coalesce(json_agg(json_build_object(
                       'id', p.id, 'content_type', p.content_type, 'size', p.size,
                       'url', '/api/marketplace/' || l.id || '/photos/' || p.id)
                       ORDER BY p.created_at, p.id), '[]'::json)
                   FROM listing_photos p WHERE p.listing_id = l.id),
        'created_at', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
        'updated_at', to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    )::text
$$;

ALTER TABLE listings ADD COLUMN doc text;
UPDATE listings l SET doc = listing_document(l);
ALTER TABLE listings ALTER COLUMN doc SET NOT NULL;

-- Still the one owner of "every change bumps the version" (0007), now also of the document.
CREATE FUNCTION listings_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.version := OLD.version + 1;
    END IF;
    NEW.doc := listing_document(NEW);
    RETURN NEW;
END;
$$;

CREATE TRIGGER listings_write BEFORE INSERT OR UPDATE ON listings
    FOR EACH ROW EXECUTE FUNCTION listings_before_write();
