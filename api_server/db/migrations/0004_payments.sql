-- Payments, their state transitions, gateway events, refunds and idempotency keys.

CREATE TABLE payments (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- No cascade: a listing with payments is archived, never erased.
    listing_id        uuid NOT NULL REFERENCES listings (id),
    buyer_id          uuid NOT NULL REFERENCES users (id),
    seller_id         uuid NOT NULL REFERENCES users (id),
    quantity          numeric(18, 3) NOT NULL CHECK (quantity > 0),
    -- What the buyer pays, in `currency` minor units.
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          char(3) NOT NULL,
    -- The listing's own price for this quantity, and the conversion used, if any.
    listing_amount    bigint NOT NULL CHECK (listing_amount > 0),
    listing_currency  char(3) NOT NULL,
    fx_rate           numeric(24, 10),
    fx_source         text,
    fx_at             timestamptz,
    provider          text NOT NULL CHECK (provider IN ('stripe', 'flutterwave')),
    provider_ref      text,
    provider_txn_id   text,
    client_secret     text,
    payment_link      text,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'processing', 'succeeded',
                                        'partially_refunded', 'refunded', 'failed',
                                        'canceled', 'disputed')),
    amount_refunded   bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    refund_pending    bigint NOT NULL DEFAULT 0 CHECK (refund_pending >= 0),
    failure_code      text,
    decline_code      text,
    failure_message   text,
    reserved          boolean NOT NULL DEFAULT true,
    expires_at        timestamptz NOT NULL,
    paid_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (amount_refunded + refund_pending <= amount)
);
CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref);
CREATE INDEX payments_buyer_idx ON payments (buyer_id, created_at DESC);
CREATE INDEX payments_seller_idx ON payments (seller_id, created_at DESC);
CREATE INDEX payments_listing_idx ON payments (listing_id);
CREATE INDEX payments_open_idx ON payments (status) WHERE status IN ('pending', 'processing');

CREATE TABLE payment_transitions (
    id           bigserial PRIMARY KEY,
    payment_id   uuid NOT NULL REFERENCES payments (id),
    from_status  text,
    to_status    text NOT NULL,
    cause        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX payment_transitions_payment_idx ON payment_transitions (payment_id, id);

CREATE TABLE payment_events (
    id           bigserial PRIMARY KEY,
    provider     text NOT NULL,
    event_id     text NOT NULL,
    event_type   text NOT NULL,
    payment_id   uuid REFERENCES payments (id),
    outcome      text NOT NULL DEFAULT 'received',
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, event_id)
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id);

CREATE TABLE refunds (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id          uuid NOT NULL REFERENCES payments (id),
    amount              bigint NOT NULL CHECK (amount > 0),
    currency            char(3) NOT NULL,
    reason              text,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_refund_id  text,
    failure_code        text,
    requested_by        uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

CREATE TABLE idempotency_keys (
    user_id        uuid NOT NULL REFERENCES users (id),
    key            text NOT NULL,
    request_hash   text NOT NULL,
    status_code    integer,
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
