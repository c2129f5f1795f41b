"""ETag rules for listings (RFC 9110): a version's strong tag, and If-Match compared strongly.

A listing's entity tag is its version in double quotes. If-Match holds `*` or a list of
entity tags separated by commas with optional whitespace; under the strong comparison that
If-Match requires, a weak tag (`W/"1"`) never matches, and tags are opaque strings compared
exactly, never as numbers or substrings.
"""

from __future__ import annotations

import pytest

from api_server.marketplace.views import etag, etag_matches


@pytest.mark.parametrize(
    ("version", "tag"),
    [(1, '"1"'), (2, '"2"'), (42, '"42"'), (1000, '"1000"')],
    ids=["first", "second", "two-digits", "four-digits"],
)
def test_the_tag_of_a_version_is_the_version_in_double_quotes(version, tag):
    assert etag(version) == tag


MATCHES = [
    ('"3"', True, "the-current-tag"),
    ('"2"', False, "a-stale-tag"),
    ('"4"', False, "a-future-tag"),
    ("*", True, "star-matches-any-version"),
    ("  *  ", True, "star-with-whitespace"),
    ('"7", "3"', True, "list-holding-the-tag"),
    ('"7","3"', True, "list-without-spaces"),
    ('"3" ,  "7"', True, "list-with-spaces-around-commas"),
    ('   "3"\t', True, "whitespace-around-one-tag"),
    ('"7", "9"', False, "list-without-the-tag"),
    ('"37"', False, "no-substring-match"),
    ('"03"', False, "no-numeric-match"),
    ('W/"3"', False, "weak-tag-never-matches"),
    ('"7", W/"3"', False, "weak-tag-in-a-list"),
    ("3", False, "unquoted-version"),
    ("'3'", False, "single-quotes"),
    ('"3', False, "unclosed-quote"),
    ("", False, "empty-header"),
    (",", False, "only-a-comma"),
]


@pytest.mark.parametrize(
    ("if_match", "matches"), [(h, m) for h, m, _ in MATCHES], ids=[i for *_, i in MATCHES]
)
def test_if_match_against_version_3(if_match, matches):
    assert etag_matches(if_match, 3) is matches


@pytest.mark.parametrize("version", [1, 2, 10, 99])
def test_a_version_always_matches_its_own_tag_and_no_other(version):
    assert etag_matches(etag(version), version)
    assert not etag_matches(etag(version + 1), version)
    assert not etag_matches(f"W/{etag(version)}", version)
