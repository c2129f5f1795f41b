-- A chargeback is decided by the card network, not by an admin: Stripe's
-- charge.dispute.closed ends it `won` (or `warning_closed`, an inquiry that never became a
-- chargeback) or `lost` (docs.stripe.com/api/disputes/object). Its own statuses, because
-- `resolved_rejected` reads as an admin's refusal and `resolved_refund` as a refund of ours,
-- while a lost chargeback is money the network took back without any refund row.
--   chargeback_won   the seller keeps the money; the payment is back at status_before.
--   chargeback_lost  the buyer keeps it; the payment is refunded (amount_refunded = amount).

ALTER TABLE disputes DROP CONSTRAINT disputes_status_check;
ALTER TABLE disputes ADD CONSTRAINT disputes_status_check
    CHECK (status IN ('open', 'resolved_refund', 'resolved_rejected', 'chargeback_won',
                      'chargeback_lost'));
