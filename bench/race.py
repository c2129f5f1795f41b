"""The last-units race: 50 buyers ask for one unit each of a 10-unit listing at once, and pay.

Exactly 10 payments may be created and succeed; the other buyers must be refused (409).
"""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from typing import Any

import psycopg2
import requests


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
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FROM payments "
            "WHERE listing_id = %s",
            (listing,),
        )
        sales, payments = cur.fetchone() or (0, 0)
        cur.execute("SELECT available_quantity FROM listings WHERE id = %s", (listing,))
        (available,) = cur.fetchone() or (None,)
    conn.close()
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
        "available_after": str(available),
        "exactly_10_sales": sales == 10 and payments == 10,
    }
