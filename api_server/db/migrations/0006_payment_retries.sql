-- A declined or unauthenticated attempt keeps the payment open (the buyer may try another
-- card on the same PaymentIntent or hosted checkout), and a success that arrives after we gave
-- up on a payment is settled or refunded, never ignored.

ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'requires_action', 'requires_payment_method', 'processing',
                      'succeeded', 'partially_refunded', 'refunded', 'failed', 'canceled',
                      'disputed'));

-- What the buyer must do next (Stripe's next_action, e.g. a 3-D Secure challenge).
ALTER TABLE payments ADD COLUMN next_action jsonb;
-- Set when a late success could not be sold (the stock was gone): the whole amount is owed
-- back to the buyer, and reconciliation retries the refund until the gateway takes it.
ALTER TABLE payments ADD COLUMN refund_due_reason text;
-- True once the gateway can no longer take money for this payment (the PaymentIntent is
-- canceled, or the hosted checkout's session is over); until then reconciliation keeps
-- asking about canceled and failed payments, so a late success is never missed.
ALTER TABLE payments ADD COLUMN closed_at_gateway boolean NOT NULL DEFAULT false;

DROP INDEX payments_open_idx;
CREATE INDEX payments_open_idx ON payments (status)
    WHERE status IN ('pending', 'requires_action', 'requires_payment_method', 'processing');
CREATE INDEX payments_unclosed_idx ON payments (updated_at)
    WHERE status IN ('canceled', 'failed') AND NOT closed_at_gateway;
CREATE INDEX payments_refund_due_idx ON payments (id) WHERE refund_due_reason IS NOT NULL;
