"""Seeding for the benchmarks: sellers and listings inserted through SQL in seconds.

Shared by `tooling.bench.listings` (sequential timings and plans) and
`tooling.bench.throughput` (the closed-loop comparison with /api/health): the same spread of
statuses, commodities and words."""

from __future__ import annotations

from typing import Any

import psycopg2

from api_server.marketplace.schemas import COMMODITIES

COUNTRIES = ["ZA", "ZM", "CD", "GH", "NG", "TZ", "KE", "BW", "NA", "ZW", "AU", "CA", "CL", "PE"]
CURRENCIES = ["USD", "USD", "USD", "EUR", "ZAR", "GHS", "NGN", "KES"]
# Listing words, most frequent first: descriptions draw them with a skew, so the first
# match half of all listings and the last a few percent, as real text does.
WORDS = [
    "ore",
    "grade",
    "concentrate",
    "high",
    "export",
    "bulk",
    "certified",
    "assay",
    "lot",
    "shipment",
    "premium",
    "raw",
    "refined",
    "stockpile",
    "mine",
    "tonnes",
    "purity",
    "smelter",
    "washed",
    "sorted",
    "fines",
    "lumps",
    "pellets",
    "cathode",
    "ingot",
    "dore",
    "alluvial",
    "artisanal",
    "sealed",
    "bagged",
    "containerised",
    "inspected",
    "licensed",
    "traceable",
    "conflict-free",
    "oxide",
    "sulphide",
    "nugget",
    "rough",
    "polished",
    "industrial",
    "battery",
    "magnet",
    "alloy",
    "feedstock",
    "tailings",
    "byproduct",
    "spodumene",
    "cassiterite",
    "wolframite",
    "coltan",
    "heterogenite",
    "laterite",
    "hematite",
    "magnetite",
    "bauxitic",
    "placer",
    "vein",
    "reef",
]
# In `rare_share` of the listings (one in 250 by default): the selective end of full-text search.
RARE_WORD = "kimberlite"
COMMON_WORD = "ore"


def _drop_secondary_indexes(cur: Any, table: str) -> list[str]:
    """Drops the table's indexes that back no constraint; returns their definitions.

    Read from the catalogue, so whatever indexes the migrations of the day create are rebuilt.
    """
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        (table,),
    )
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in found]


def seed(dsn: str, listings: int, sellers: int = 500, rare_share: float = 0.004) -> None:
    """Inserts active sellers and `listings` listings in a realistic spread of statuses.

    `rare_share` of the descriptions carry RARE_WORD; COMMON_WORD lands in about half.
    """
    words = "(ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "])"
    pick = f"{words}[1 + floor(power(random(), 1.5) * {len(WORDS)})::int]"
    description = " || ' ' || ".join([pick] * 10)
    description += f" || CASE WHEN random() < {rare_share:f} THEN ' {RARE_WORD}' ELSE '' END"
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO users (email, password_hash, full_name, role, status, verified_at)
            SELECT 'bench-seller-' || i || '@example.com', 'x', 'Bench Seller ' || i,
                   'seller', 'active', now()
            FROM generate_series(1, %s) i
            """,
            (sellers,),
        )
        # Bulk load: building each index once afterwards beats updating it per row.
        # One transaction, so a failed insert leaves the indexes as they were.
        cur.execute("BEGIN")
        indexes = _drop_secondary_indexes(cur, "listings")
        cur.execute(
            f"""
            WITH s AS (SELECT array_agg(id) AS ids FROM users WHERE role = 'seller'),
            g AS (
                SELECT i, random() AS r, (%(commodities)s)[1 + floor(random() * %(nc)s)::int] AS c,
                       round((1 + random() * 5000)::numeric, 3) AS q
                FROM generate_series(1, %(n)s) i
            )
            INSERT INTO listings (seller_id, title, commodity, description, quantity,
                                  available_quantity, unit, price_per_unit, currency, country,
                                  status, created_at, updated_at)
            SELECT s.ids[1 + (g.i %% array_length(s.ids, 1))],
                   initcap(g.c) || ' ' || {pick} || ' lot ' || g.i, g.c, {description},
                   g.q, g.q, (ARRAY['t','kg','g','oz','ct'])[1 + (g.i %% 5)],
                   (100 + floor(random() * 10000000))::bigint,
                   (%(currencies)s)[1 + floor(random() * %(ncur)s)::int],
                   (%(countries)s)[1 + floor(random() * %(nco)s)::int],
                   CASE WHEN g.r < 0.85 THEN 'active' WHEN g.r < 0.92 THEN 'pending_review'
                        WHEN g.r < 0.95 THEN 'rejected' WHEN g.r < 0.98 THEN 'suspended'
                        ELSE 'archived' END,
                   now() - random() * interval '365 days', now()
            FROM g, s
            """,
            {
                "n": listings,
                "commodities": list(COMMODITIES),
                "nc": len(COMMODITIES),
                "currencies": CURRENCIES,
                "ncur": len(CURRENCIES),
                "countries": COUNTRIES,
                "nco": len(COUNTRIES),
            },
        )
        # The generation's bump (migration 0010) is deferred to COMMIT, and PostgreSQL builds
        # no index on a table with trigger events pending: bump now.
        cur.execute("SET CONSTRAINTS listings_generation_bump IMMEDIATE")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in indexes:
            cur.execute(definition)
        cur.execute("COMMIT")
        cur.execute("VACUUM ANALYZE listings")
        cur.execute("VACUUM ANALYZE users")
    conn.close()
