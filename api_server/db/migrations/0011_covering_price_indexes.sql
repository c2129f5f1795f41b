-- Price windows, shown newest first (the default sort). The price indexes of 0003 find a
-- window's rows, but the page is ordered by created_at, which they do not hold: PostgreSQL
-- either fetched every match from the table to sort it, or walked the newest-first index and
-- filtered it by price. At 100,000 listings a USD window of 200,000 (about 600 matches) cost
-- 2,780 buffers and 4.2 ms a search that way (EXPLAIN (ANALYZE, BUFFERS), docs/performance.md).
-- With created_at carried in the index, the window is read by an index-only scan and sorted
-- in memory: about 40 buffers and a quarter of the time. The key columns are unchanged, so
-- the price sorts and their cursors use these indexes exactly as before.
DROP INDEX listings_active_price_idx;
CREATE INDEX listings_active_price_idx ON listings (price_per_unit, id)
    INCLUDE (created_at) WHERE status = 'active';

DROP INDEX listings_active_commodity_price_idx;
CREATE INDEX listings_active_commodity_price_idx ON listings (commodity, price_per_unit, id)
    INCLUDE (created_at) WHERE status = 'active';

DROP INDEX listings_active_currency_price_idx;
CREATE INDEX listings_active_currency_price_idx ON listings (currency, price_per_unit, id)
    INCLUDE (created_at) WHERE status = 'active';
