"""The search's pure rules: a cursor reads back whatever its length, totals are capped, and
numbered pages stop where the count does (COUNT_CAP matches are too many to list in Robot)."""

import json
import uuid

import pytest

from api_server.common.errors import Invalid, Malformed
from api_server.marketplace.search import (
    COUNT_CAP,
    Plan,
    cursor_key_of,
    decode_cursor,
    encode_cursor,
    page_text,
)

LISTING = str(uuid.UUID(int=7))
CREATED = "2024-06-01T12:00:00.000000+00:00"
KEY = cursor_key_of("a server secret")


@pytest.mark.parametrize("digits", range(1, 14))
def test_a_cursor_reads_back_whatever_its_length(digits):
    # Price keys of 1 to 13 digits give cursors of every length modulo 4 and 5.
    key = "9" * digits
    cursor = encode_cursor("price_asc", key, LISTING, KEY)
    assert "=" not in cursor
    assert decode_cursor(cursor, "price_asc", KEY) == (key, LISTING)


@pytest.mark.parametrize(
    ("cursor", "sort"),
    [
        pytest.param(
            encode_cursor("price_asc", "100", LISTING, KEY), "price_desc", id="other-sort"
        ),
        pytest.param(encode_cursor("newest", "yesterday", LISTING, KEY), "newest", id="bad-key"),
        pytest.param(
            encode_cursor("price_asc", "100", "not-a-uuid", KEY), "price_asc", id="bad-id"
        ),
    ],
)
def test_a_cursor_the_api_did_not_give_is_refused(cursor, sort):
    with pytest.raises(Invalid) as refused:
        decode_cursor(cursor, sort, KEY)
    assert refused.value.errors[0]["field"] == "cursor"


def plan_at(offset, page=1):
    return Plan("", {}, page, 20, offset, "newest", True, ("newest", page, 20, offset))


def row(total, more=False):
    return {"total": total, "items": "[]", "more": more, "last_key": CREATED, "last_id": LISTING}


@pytest.mark.parametrize(
    ("total", "shown", "exact"),
    [
        (COUNT_CAP - 1, COUNT_CAP - 1, True),
        (COUNT_CAP, COUNT_CAP, True),
        (COUNT_CAP + 1, COUNT_CAP, False),
    ],
)
def test_totals_are_counted_up_to_the_cap(total, shown, exact):
    page = json.loads(page_text(plan_at(0), row(total), KEY))
    assert (page["total"], page["total_exact"]) == (shown, exact)


def test_numbered_pages_end_at_the_cap_when_there_are_more_matches():
    json.loads(page_text(plan_at(COUNT_CAP - 1), row(COUNT_CAP + 1), KEY))
    with pytest.raises(Invalid) as refused:
        page_text(plan_at(COUNT_CAP), row(COUNT_CAP + 1), KEY)
    assert refused.value.code == "page_too_deep"


def test_a_page_past_an_exact_total_is_just_empty():
    page = json.loads(page_text(plan_at(COUNT_CAP), row(COUNT_CAP), KEY))
    assert page["items"] == []


def test_the_next_cursor_continues_after_the_last_row():
    page = json.loads(page_text(plan_at(0), row(30, more=True), KEY))
    assert decode_cursor(page["next_cursor"], "newest", KEY) == (CREATED, LISTING)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("%%%", id="not-base64"),
        pytest.param("bm90LWEtY3Vyc29y", id="unsigned"),
        pytest.param(encode_cursor("newest", CREATED, LISTING, cursor_key_of("other")), id="key"),
        pytest.param(
            encode_cursor("newest", CREATED, LISTING, KEY)[:-2] + "AA", id="tampered-payload"
        ),
    ],
)
def test_a_cursor_not_written_by_this_api_or_changed_since_is_malformed(cursor):
    with pytest.raises(Malformed) as refused:
        decode_cursor(cursor, "newest", KEY)
    assert refused.value.code == "invalid_cursor"
