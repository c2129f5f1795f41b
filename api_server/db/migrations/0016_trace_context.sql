-- The W3C traceparent of the request that caused a row's later work: the outbox's mail is
-- delivered as a span of that trace; a payment's expiry and reconciliation link to the trace
-- that created it (docs/architecture.md "Traces"). Null when tracing is off.
ALTER TABLE outbox ADD COLUMN traceparent text;
ALTER TABLE payments ADD COLUMN traceparent text;
