-- Price windows at any table size. After 0011 a window newest first is read from a price
-- index and sorted, which costs in proportion to the window's matches: ten times more rows,
-- ten times the sort. The other way, walking the newest-first index until a page of matches
-- is found, costs in proportion to the page over the window's share, whatever the table's
-- size; but the newest-first indexes did not hold the price or the currency, so each row
-- walked was fetched from the table to be filtered (2,780 buffers for a USD window at
-- 100,000 listings). Carrying both lets that walk filter inside the index (23 buffers, 0.25
-- ms), and the planner picks whichever way its statistics say is cheaper.
DROP INDEX listings_active_newest_idx;
CREATE INDEX listings_active_newest_idx ON listings (created_at DESC, id DESC)
    INCLUDE (price_per_unit, currency) WHERE status = 'active';

DROP INDEX listings_active_commodity_newest_idx;
CREATE INDEX listings_active_commodity_newest_idx ON listings (commodity, created_at DESC, id DESC)
    INCLUDE (price_per_unit, currency) WHERE status = 'active';
