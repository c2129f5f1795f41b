-- How the buyer pays a Flutterwave payment (api_server/payments/methods.py): the hosted
-- checkout (`card`) or a direct charge completed away from us (mobile money, a transfer to a
-- one-time account, a USSD code). `payer` keeps what the charge was sent with (the phone
-- number, network, country or bank), so support can read what the buyer was asked to do.
ALTER TABLE payments ADD COLUMN method text NOT NULL DEFAULT 'card'
    CHECK (method IN ('card', 'mobile_money', 'bank_transfer', 'ussd'));
ALTER TABLE payments ADD COLUMN payer jsonb;

-- Money that reached the gateway for a payment but is not the payment's, each given back:
--   short      a bank transfer of less than the amount (the whole transfer goes back; the
--              order stays open for a transfer of the right amount until its window ends)
--   excess     what an over-transfer brought beyond the amount (the payment is sold)
--   duplicate  a second successful transaction for a payment already paid
-- `received` is the whole transaction, `amount` what is given back of it. A transaction
-- is one receipt at most: the unique key makes a replayed webhook a no-op.
CREATE TABLE gateway_receipts (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id          uuid NOT NULL REFERENCES payments (id),
    provider            text NOT NULL,
    transaction_id      text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('short', 'excess', 'duplicate')),
    received            bigint NOT NULL CHECK (received > 0),
    amount              bigint NOT NULL CHECK (amount > 0 AND amount <= received),
    currency            char(3) NOT NULL,
    status              text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'refunded', 'failed')),
    provider_refund_id  text,
    failure             text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    settled_at          timestamptz,
    UNIQUE (provider, transaction_id)
);
CREATE INDEX gateway_receipts_payment_idx ON gateway_receipts (payment_id);
CREATE INDEX gateway_receipts_due_idx ON gateway_receipts (created_at) WHERE status <> 'refunded';
