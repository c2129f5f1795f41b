"""Validated query strings are remembered per operation: same answer, fresh dict, bounded."""

import falcon.testing
import pytest

from api_server.common.errors import Problem
from api_server.common.validation import QueryMemo, validator_for

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"page": {"type": "integer", "minimum": 1}, "q": {"type": "string"}},
}


def memo() -> QueryMemo:
    return QueryMemo(SCHEMA, validator_for(SCHEMA))


def req(query_string: str) -> falcon.Request:
    return falcon.testing.create_req(query_string=query_string)


def test_a_repeated_query_validates_alike_into_a_fresh_dict():
    queries = memo()
    first = queries.validated(req("page=2&q=gold"))
    first["page"] = 99  # a responder changing its copy changes nobody else's
    assert queries.validated(req("page=2&q=gold")) == {"page": 2, "q": "gold"}


def test_an_invalid_query_is_refused_every_time():
    queries = memo()
    for _ in range(2):
        with pytest.raises(Problem) as refused:
            queries.validated(req("page=0"))
        assert refused.value.status_code == 422


def test_the_memo_stays_bounded():
    queries = QueryMemo(SCHEMA, validator_for(SCHEMA), entries=3, max_text=20)
    for page in range(1, 11):
        assert queries.validated(req(f"page={page}")) == {"page": page}
        # Kept up to the bound (a memo that forgets early saves nothing), never past it.
        assert len(queries) == (page - 1) % 3 + 1
    before = len(queries)
    assert queries.validated(req("q=" + "x" * 30)) == {"q": "x" * 30}
    assert len(queries) == before  # too long to keep


@pytest.mark.parametrize("page", ["2%0A", "%EF%BC%92"])
def test_an_integer_is_ascii_digits_to_the_end(page: str):
    # "2\n" passed `^...$` (Python's `$` matches before a final newline) and became 2.
    with pytest.raises(Problem) as refused:
        memo().validated(req(f"page={page}"))
    assert refused.value.status_code == 422
