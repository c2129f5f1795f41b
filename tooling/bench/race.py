"""The last-units race: 50 buyers ask for one unit each of a 10-unit listing at once, and pay.

Exactly 10 payments may be created and succeed; the other buyers must be refused (409).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from typing import Any

import psycopg2
import requests


def settled(dsn: str, listing: str, wait: float = 30.0) -> tuple[int, int, str]:
    """Sales, payments and available quantity of `listing` once its webhooks have landed.

    The API answers a confirmation at once; the sale is recorded when Stripe's webhook
    arrives, so this waits (up to `wait` seconds) until no payment of the listing is pending.
    """
    deadline = time.monotonic() + wait
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            while True:
                cur.execute(
                    "SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*), "
                    "count(*) FILTER (WHERE status IN ('pending', 'processing')) "
                    "FROM payments WHERE listing_id = %s",
                    (listing,),
                )
                sales, payments, open_ = cur.fetchone() or (0, 0, 0)
                if not open_ or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            cur.execute("SELECT available_quantity FROM listings WHERE id = %s", (listing,))
            (available,) = cur.fetchone() or (None,)
    finally:
        conn.close()
    return sales, payments, str(available)


def race(api_url: str, dsn: str, tokens: list[str], listing: str) -> dict[str, Any]:
    """Every buyer asks for one unit of a 10-unit listing at the same instant, then pays."""
    start = threading.Barrier(len(tokens))

    def buyer(token: str) -> int:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        start.wait()
        created = session.post(
            f"{api_url}/api/payments",
            json={"listing_id": listing, "quantity": 1, "provider": "stripe"},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            timeout=60,
        )
        if created.status_code != 201:
            return created.status_code
        paid = session.post(
            f"{api_url}/api/payments/{created.json()['id']}/confirm",
            json={"payment_method": "pm_card_visa"},
            headers=headers,
            timeout=60,
        )
        return 1000 + paid.status_code

    with concurrent.futures.ThreadPoolExecutor(len(tokens)) as pool:
        outcomes = list(pool.map(buyer, tokens))
    sales, payments, available = settled(dsn, listing)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        label = f"paid {outcome - 1000}" if outcome >= 1000 else f"refused {outcome}"
        counts[label] = counts.get(label, 0) + 1
    return {
        "buyers": len(tokens),
        "units": 10,
        "answers": counts,
        "payments_created": payments,
        "sales": sales,
        "available_after": available,
        "exactly_10_sales": sales == 10 and payments == 10,
    }
