"""Small HTML building blocks shared by the reports: one page style, escaped tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;width:100%}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f0f0f0}.pass{color:#1a7f37}.fail{color:#c62828;font-weight:bold}
.warn{color:#b26a00;font-weight:bold}.muted{color:#777}.figure{display:inline-block;
margin:0 1.5em 1em 0;padding:.6em 1em;border:1px solid #ccc;border-radius:6px}
.figure b{font-size:1.6em;display:block}details{margin:.2em 0}img{max-width:100%}
"""


def page(title: str, body: Iterable[str]) -> str:
    """A whole HTML page."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{''.join(body)}</body></html>"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; cells are HTML already (escape text with `text`)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def text(value: object) -> str:
    """`value` as escaped text."""
    return escape("" if value is None else str(value))


def mark(ok: bool, yes: str = "seen", no: str = "NOT SEEN") -> str:
    """A green or red word."""
    return f"<span class='pass'>{yes}</span>" if ok else f"<span class='fail'>{no}</span>"


def figure(label: str, value: str, ok: bool | None = None) -> str:
    """A headline figure box."""
    css = "" if ok is None else (" class='pass'" if ok else " class='fail'")
    return f"<div class='figure'><b{css}>{escape(value)}</b>{escape(label)}</div>"


def percent(fig: dict[str, float]) -> str:
    """ "87.5% (35/40)"."""
    return f"{fig['percent']}% ({fig['seen']}/{fig['total']})"
