"""The capped stream a chunked body is read through: a file-like reader that stops one byte
past the limit and refuses the body there (what Falcon's readers rely on)."""

import io

import pytest

from api_server.common.errors import Problem
from api_server.common.middleware import _LimitedStream


@pytest.mark.parametrize("size", [None, -1], ids=["none", "minus-one"])
def test_reading_without_a_size_reads_the_whole_body_within_the_limit(size):
    stream = _LimitedStream(io.BytesIO(b"0123456789"), limit=10)
    assert stream.read() == b"0123456789"
    assert _LimitedStream(io.BytesIO(b"0123456789"), limit=10).read(size) == b"0123456789"


def test_reading_nothing_reads_nothing():
    stream = _LimitedStream(io.BytesIO(b"0123456789"), limit=10)
    assert stream.read(0) == b""
    assert stream.read(4) == b"0123"


def test_a_body_past_the_limit_is_refused_as_soon_as_it_shows():
    stream = _LimitedStream(io.BytesIO(b"0123456789AB"), limit=10)
    assert stream.read(10) == b"0123456789"
    with pytest.raises(Problem) as refused:
        stream.read(5)
    assert (refused.value.status_code, refused.value.code) == (413, "payload_too_large")


def test_a_reader_without_a_size_is_refused_past_the_limit():
    with pytest.raises(Problem):
        _LimitedStream(io.BytesIO(b"x" * 11), limit=10).read()
