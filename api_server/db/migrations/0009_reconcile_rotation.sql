-- Reconciliation takes a bounded batch. Oldest-first let payments the gateway can never
-- answer for (an error every time) fill every batch, so newer payments were never checked:
-- a batch now takes the never-checked first (newest first), then the least recently checked.
ALTER TABLE payments ADD COLUMN reconciled_at timestamptz;
