"""Webhook ingestion benchmark and the last-units race.

    python -m tooling.bench.webhooks [--payments N] [--clients N]   (or: make bench-webhooks)

1. Two identical sets of Stripe payments are made through the API (listings, buyers and
   scenarios alike): a good card, a declined card then a good one, a declined card then a
   cancel at Stripe. The Stripe stand-in's webhook delivery is paused, so the API hears of
   them only through the events this benchmark posts.
2. Set A's events (read back from the stand-in's /v1/events) are posted in order, one at a
   time: the reference. Set B's events get 30% duplicates, are shuffled, and are posted from
   CLIENTS concurrent keep-alive connections, signed as Stripe signs (t=..,v1=HMAC-SHA256):
   events/s is measured there.
3. The two sets must end alike: each payment's status, each listing's available quantity and
   the number of stored events, pair by pair.
4. The race: 50 buyers ask for one unit each of a 10-unit listing at once and pay; exactly 10
   sales must follow.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import hashlib
import hmac
import json
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import requests

from tooling.bench import cpu
from tooling.bench.loadgen import Connection
from tooling.bench.race import race
from tooling.bench.stack import fresh_stack
from tooling.seeding.accounts import create_accounts, create_listings, log_in

WEBHOOK_PATH = "/api/payments/webhooks/stripe"
# Per payment, by index: what the buyer does at Stripe, and the status it must end in.
SCENARIOS = (
    (("pm_card_visa",), "succeeded"),
    (("pm_card_visa",), "succeeded"),
    (("pm_card_chargeDeclined", "pm_card_visa"), "succeeded"),
    (("pm_card_chargeDeclined", "cancel"), "canceled"),
    (("pm_card_chargeDeclined",), "requires_payment_method"),
)
PER_LISTING = 10


@dataclass
class PaymentSet:
    """One set of payments: their ids, intents and listings, in scenario order."""

    name: str
    listings: list[str]
    payments: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)


class Gateway:
    """What a buyer's browser and the Stripe dashboard do at the Stripe stand-in."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.base = settings["STRIPE_API_BASE"]
        self._secret = settings["STRIPE_SECRET_KEY"]
        self._http = requests.Session()

    def control(self, action: str) -> None:
        self._http.post(f"{self.base}/_sandbox/webhooks/{action}", json={}, timeout=10)

    def confirm(self, stripe: dict[str, Any], method: str) -> None:
        self._http.post(
            f"{self.base}/v1/payment_intents/{stripe['payment_intent_id']}/confirm",
            data={"payment_method": method, "client_secret": stripe["client_secret"]},
            headers={"Authorization": f"Bearer {stripe['publishable_key']}"},
            timeout=30,
        )

    def cancel(self, intent: str) -> None:
        response = self._http.post(
            f"{self.base}/v1/payment_intents/{intent}/cancel", auth=(self._secret, ""), timeout=30
        )
        response.raise_for_status()

    def events(self) -> list[dict[str, Any]]:
        """Every event the stand-in recorded, oldest first (it lists newest first)."""
        events: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100, **({"starting_after": after} if after else {})}
            page = self._http.get(
                f"{self.base}/v1/events", params=params, auth=(self._secret, ""), timeout=30
            ).json()
            events.extend(page["data"])
            if not page.get("has_more") or not page["data"]:
                return list(reversed(events))
            after = page["data"][-1]["id"]


def pay(api_url: str, token: str, listing: str, gateway: Gateway, steps: tuple[str, ...]) -> Any:
    """A buyer buys one unit through the API, then acts at Stripe as the browser would."""
    response = requests.post(
        f"{api_url}/api/payments",
        json={"listing_id": listing, "quantity": 1, "provider": "stripe"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/payments answered {response.status_code}: {response.text}")
    payment = response.json()
    for step in steps:
        if step == "cancel":
            gateway.cancel(payment["stripe"]["payment_intent_id"])
        else:
            gateway.confirm(payment["stripe"], step)
    return payment


def make_set(
    name: str, count: int, api_url: str, tokens: list[str], listings: list[str], gw: Gateway
) -> PaymentSet:
    made = PaymentSet(name, listings)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        jobs = [
            pool.submit(
                pay,
                api_url,
                tokens[i % len(tokens)],
                listings[i // PER_LISTING],
                gw,
                SCENARIOS[i % len(SCENARIOS)][0],
            )
            for i in range(count)
        ]
        for job in jobs:
            payment = job.result()
            made.payments.append(payment["id"])
            made.intents.append(payment["stripe"]["payment_intent_id"])
    return made


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """The payload and headers of one delivery, signed as Stripe signs."""
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={digest}"}
    return payload, headers


async def _post_all(
    api_url: str, deliveries: list[tuple[bytes, dict[str, str]]], clients: int
) -> dict[int, int]:
    parts = urlsplit(api_url)
    queue = iter(deliveries)
    statuses: dict[int, int] = {}

    async def client() -> None:
        conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
        try:
            for payload, headers in queue:
                answer = await conn.request("POST", WEBHOOK_PATH, headers, payload)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return statuses


def deliver(
    api_url: str, deliveries: list[tuple[bytes, dict[str, str]]], clients: int
) -> tuple[float, dict[int, int]]:
    """Posts every delivery from `clients` connections; returns the seconds taken and statuses."""
    started = time.perf_counter()
    statuses = asyncio.run(_post_all(api_url, deliveries, clients))
    return time.perf_counter() - started, statuses


def state(dsn: str, made: PaymentSet) -> dict[str, Any]:
    """What the database holds for one set: statuses, available quantities, stored events."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id::text, status FROM payments WHERE id = ANY(%s::uuid[])", (made.payments,)
        )
        status = dict(cur.fetchall())
        cur.execute(
            "SELECT id::text, available_quantity FROM listings WHERE id = ANY(%s::uuid[])",
            (made.listings,),
        )
        available = dict(cur.fetchall())
        cur.execute(
            "SELECT count(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id "
            "WHERE p.id = ANY(%s::uuid[])",
            (made.payments,),
        )
        (stored,) = cur.fetchone() or (0,)
    conn.close()
    return {
        "statuses": [status.get(p) for p in made.payments],
        "available": [str(available.get(lid)) for lid in made.listings],
        "stored_events": stored,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.bench.webhooks")
    parser.add_argument("--payments", type=int, default=int(os.environ.get("PAYMENTS") or 500))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("CLIENTS") or 32))
    parser.add_argument("--duplicates", type=float, default=0.30)
    args = parser.parse_args(argv)
    count = args.payments - args.payments % PER_LISTING or PER_LISTING
    rng = random.Random(11)
    with fresh_stack("bench-webhooks-") as stack:
        api_url, dsn = stack.settings["API_URL"], stack.settings["DATABASE_URL"]
        secret = stack.settings["STRIPE_WEBHOOK_SECRET"]
        gateway = Gateway(stack.settings)
        gateway.control("pause")
        (seller,) = create_accounts(dsn, "seller", 1, "wh")
        buyers = create_accounts(dsn, "buyer", 50, "wh")
        tokens = [log_in(api_url, b) for b in buyers]
        sets = [
            make_set(
                name,
                count,
                api_url,
                tokens[:20],
                create_listings(dsn, seller.id, count // PER_LISTING, PER_LISTING, tag=name),
                gateway,
            )
            for name in ("A", "B")
        ]
        print(f"made 2 x {count} Stripe payments; webhook delivery paused at the stand-in")
        owner = {pi: s.name for s in sets for pi in s.intents}
        by_set: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
        for event in gateway.events():
            obj = event["data"]["object"]
            intent = obj.get("id") if obj.get("object") == "payment_intent" else None
            intent = intent or obj.get("payment_intent")
            if intent in owner:
                by_set[owner[intent]].append(event)
        in_order = [signed(e, secret) for e in by_set["A"]]
        seq_s, seq_statuses = deliver(api_url, in_order, 1)
        events_b = by_set["B"] + rng.sample(by_set["B"], round(args.duplicates * len(by_set["B"])))
        rng.shuffle(events_b)
        shuffled = [signed(e, secret) for e in events_b]
        before = cpu.snapshot()
        con_s, con_statuses = deliver(api_url, shuffled, args.clients)
        usage = cpu.usage(before, cpu.snapshot())
        state_a, state_b = state(dsn, sets[0]), state(dsn, sets[1])
        expected = [SCENARIOS[i % len(SCENARIOS)][1] for i in range(count)]
        gateway.control("resume")
        race_listing = create_listings(dsn, seller.id, 1, 10, tag="race")[0]
        raced = race(api_url, dsn, tokens, race_listing)
    report = {
        "payments_per_set": count,
        "events_in_order": len(in_order),
        "in_order_seconds": round(seq_s, 2),
        "in_order_events_per_s": round(len(in_order) / seq_s, 1),
        "in_order_answers": seq_statuses,
        "events_shuffled": len(shuffled),
        "duplicates": len(shuffled) - len(by_set["B"]),
        "clients": args.clients,
        "shuffled_seconds": round(con_s, 2),
        "shuffled_events_per_s": round(len(shuffled) / con_s, 1),
        "shuffled_answers": con_statuses,
        "cpu_percent": usage,
        "same_statuses": state_a["statuses"] == state_b["statuses"],
        "statuses_as_expected": state_b["statuses"] == expected,
        "same_available_quantities": state_a["available"] == state_b["available"],
        "stored_events": {"A": state_a["stored_events"], "B": state_b["stored_events"]},
        "race": raced,
    }
    print(json.dumps(report, indent=2))
    ok = (
        report["same_statuses"]
        and report["statuses_as_expected"]
        and report["same_available_quantities"]
        and state_a["stored_events"] == state_b["stored_events"]
        and raced["exactly_10_sales"]
    )
    goal = report["shuffled_events_per_s"] >= 500
    print(
        f"\nshuffled with {report['duplicates']} duplicates: {report['shuffled_events_per_s']} "
        f"events/s from {args.clients} clients (goal >= 500: {'met' if goal else 'MISSED'}); "
        f"in order, one client: {report['in_order_events_per_s']} events/s"
    )
    print(f"same end state as in order: {'yes' if ok else 'NO'}; race: {raced['sales']} sales")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
