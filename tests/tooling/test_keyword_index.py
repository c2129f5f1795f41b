"""The keyword index lists every keyword once and links each to a page that was written."""

from __future__ import annotations

from pathlib import Path

from tooling import keyword_index


def test_every_keyword_is_listed_once_and_its_page_exists(tmp_path: Path) -> None:
    assert keyword_index.main([str(tmp_path)]) == 0
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for source in keyword_index.sources():
        assert (tmp_path / f"{source.stem}.html").is_file(), source
    assert index.count(">Create Listing As</a>") == 1
    # A keyword of a Python library whose import takes arguments is indexed too.
    assert ">AuthorizationMatrix</td>" in index


def test_a_keyword_name_cannot_inject_markup() -> None:
    page = keyword_index.render([("<b>x</b>", "f", "[]", "a & b")])
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page and "a &amp; b" in page
