-- Disputes: opened by a buyer or by Stripe (charge.dispute.created), resolved by an admin.

CREATE TABLE disputes (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id           uuid NOT NULL REFERENCES payments (id),
    source               text NOT NULL CHECK (source IN ('buyer', 'stripe')),
    opened_by            uuid REFERENCES users (id),
    provider_dispute_id  text UNIQUE,
    reason               text NOT NULL,
    details              text,
    status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'resolved_refund', 'resolved_rejected')),
    status_before        text NOT NULL,
    resolution_note      text,
    resolved_by          uuid REFERENCES users (id),
    resolved_at          timestamptz,
    refund_id            uuid REFERENCES refunds (id),
    created_at           timestamptz NOT NULL DEFAULT now()
);
-- One open dispute per payment at a time.
CREATE UNIQUE INDEX disputes_one_open_idx ON disputes (payment_id) WHERE status = 'open';
CREATE INDEX disputes_status_idx ON disputes (status, created_at);
