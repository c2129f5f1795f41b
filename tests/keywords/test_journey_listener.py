"""The Journey listener's own rule: a test whose spans carry a secret of the stack fails."""

from __future__ import annotations

from keywords.listeners.Journey import _leaked
from tooling.report.spans import Event, Span


def span(**attributes: object) -> Span:
    return Span("t" * 32, "s" * 16, "", "GET", "client", 0, 1, "api", dict(attributes))


def test_a_secret_in_an_attribute_or_event_is_named_never_shown() -> None:
    secrets = {"STRIPE_SECRET_KEY": "sk_test_0123456789", "JWT_SECRET": "j" * 48}
    spans = [
        span(**{"url.full": "http://h/v1/x?k=sk_test_0123456789"}),
        Span(
            "t" * 32,
            "a" * 16,
            "",
            "x",
            "internal",
            0,
            1,
            "api",
            events=(Event("audit", 0, {"note": "j" * 48}),),
        ),
    ]
    assert _leaked(spans, secrets) == ["JWT_SECRET", "STRIPE_SECRET_KEY"]


def test_clean_spans_and_unset_settings_leak_nothing() -> None:
    assert _leaked([span(**{"url.full": "http://h/v1/x"})], {"JWT_SECRET": ""}) == []
