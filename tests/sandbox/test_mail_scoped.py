"""A mail outage scoped to one mailbox: that recipient gets a temporary failure, everyone else
is served, so a test can break mail for its own user while parallel tests read theirs."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
import requests

from sandbox.mail import MailSink
from tests.sandbox.test_mail import TIMEOUT, get_messages, make_message, send


@pytest.fixture
def mail() -> Iterator[MailSink]:
    started = MailSink()
    started.start()
    yield started
    started.stop()


def test_a_scoped_outage_refuses_only_its_mailbox_until_it_ends(mail: MailSink) -> None:
    sink = mail
    out = f"{sink.api_url}/outage"
    assert (
        requests.post(out, params={"match": "Bob@Example.com"}, timeout=TIMEOUT).status_code == 204
    )
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(sink, make_message("To Bob", "held\n", to="bob@example.com"))
    assert refused.value.recipients["bob@example.com"][0] == 451
    send(sink, make_message("To Alice", "served\n"))
    assert [m["to"] for m in get_messages(sink)] == ["alice@example.com"]

    assert (
        requests.delete(out, params={"match": "bob@example.com"}, timeout=TIMEOUT).status_code
        == 204
    )
    send(sink, make_message("To Bob", "now served\n", to="bob@example.com"))
    assert [m["subject"] for m in get_messages(sink, to="bob@example.com")] == ["To Bob"]
