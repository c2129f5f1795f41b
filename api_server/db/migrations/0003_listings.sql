-- Mineral listings, their photos (stored in PostgreSQL, so a deleted listing leaves no
-- orphan file) and the history of every change.

CREATE TABLE listings (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id           uuid NOT NULL REFERENCES users (id),
    title               text NOT NULL,
    commodity           text NOT NULL,
    description         text NOT NULL,
    quantity            numeric(18, 3) NOT NULL CHECK (quantity > 0),
    available_quantity  numeric(18, 3) NOT NULL
                        CHECK (available_quantity >= 0 AND available_quantity <= quantity),
    unit                text NOT NULL CHECK (unit IN ('t', 'kg', 'g', 'oz', 'ct')),
    price_per_unit      bigint NOT NULL CHECK (price_per_unit > 0),
    currency            char(3) NOT NULL,
    country             char(2) NOT NULL,
    location            text,
    grade               text,
    status              text NOT NULL DEFAULT 'pending_review'
                        CHECK (status IN ('pending_review', 'active', 'rejected', 'suspended',
                                          'archived')),
    status_reason       text,
    version             integer NOT NULL DEFAULT 1,
    search              tsvector GENERATED ALWAYS AS (
                            to_tsvector('english', title || ' ' || description)) STORED,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE listing_photos (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    listing_id    uuid NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    content_type  text NOT NULL,
    size          integer NOT NULL,
    sha256        text NOT NULL,
    data          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listing_photos_listing_idx ON listing_photos (listing_id);

CREATE TABLE listing_history (
    id          bigserial PRIMARY KEY,
    listing_id  uuid NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    actor_id    uuid,
    action      text NOT NULL,
    version     integer NOT NULL,
    changes     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listing_history_listing_idx ON listing_history (listing_id, id);

-- Search reads only active listings, so its indexes are partial: pending, rejected,
-- suspended and archived rows cost them nothing. Each index serves a sort order, alone or
-- after the equality filter in front of it; the id makes every order total (stable pages).
CREATE INDEX listings_active_newest_idx ON listings (created_at DESC, id DESC)
    WHERE status = 'active';
CREATE INDEX listings_active_price_idx ON listings (price_per_unit, id)
    WHERE status = 'active';
CREATE INDEX listings_active_commodity_newest_idx ON listings (commodity, created_at DESC, id DESC)
    WHERE status = 'active';
CREATE INDEX listings_active_commodity_price_idx ON listings (commodity, price_per_unit, id)
    WHERE status = 'active';
CREATE INDEX listings_active_commodity_country_idx
    ON listings (commodity, country, created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX listings_active_country_newest_idx ON listings (country, created_at DESC, id DESC)
    WHERE status = 'active';
CREATE INDEX listings_active_currency_price_idx ON listings (currency, price_per_unit, id)
    WHERE status = 'active';
CREATE INDEX listings_active_search_idx ON listings USING gin (search)
    WHERE status = 'active';
-- Not partial: it also serves the seller's own listings and the users foreign key.
CREATE INDEX listings_seller_idx ON listings (seller_id, created_at DESC, id DESC);
