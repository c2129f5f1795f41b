"""A test's journey from the spans the processes wrote (spans.py, journey.py, time_split.py).

The spans are made by the real SDK and written by the real OTLP JSON file exporter, one file
per "process", as a traced run writes them; only their shapes (what the suite, the API and
the outbox record) are played here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, Tracer, set_span_in_context

from tooling.report import journey, time_split
from tooling.report.spans import TraceIndex, read_spans


@contextmanager
def process(folder: Path, service: str) -> Iterator[Tracer]:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(folder / f"{service}.jsonl")))
    try:
        yield provider.get_tracer(service)
    finally:
        provider.shutdown()


def a_purchase(folder: Path, webhook_status: int = 200, fail: bool = False) -> str:
    """A suite's test buying through Flutterwave: the spans of the suite and of the API."""
    with process(folder, "suite") as suite, process(folder, "api") as api:
        root = suite.start_span("Buyer Pays")
        in_test = set_span_in_context(root)
        with (
            suite.start_as_current_span(
                "POST",
                context=in_test,
                kind=SpanKind.CLIENT,
                attributes={"peer.service": "api", "http.response.status_code": 201},
            ),
            api.start_as_current_span(
                "POST /api/payments",
                kind=SpanKind.SERVER,
                attributes={"http.route": "/api/payments", "http.response.status_code": 201},
            ) as server,
        ):
            with api.start_as_current_span("db.transaction", attributes={"db.system": "pg"}):
                for verb in ("INSERT", "UPDATE"):
                    with api.start_as_current_span(
                        verb,
                        kind=SpanKind.CLIENT,
                        attributes={"db.system": "pg", "db.statement": f"{verb} payments"},
                    ):
                        pass
            server.add_event(
                "payment.transition", {"payment.id": "p1", "to": "pending", "cause": "api"}
            )
            with api.start_as_current_span(
                "POST",
                kind=SpanKind.CLIENT,
                attributes={
                    "peer.service": "flutterwave",
                    "url.full": "http://127.0.0.1:9/v3/charges?type=mpesa",
                    "http.response.status_code": 200,
                },
            ):
                pass
        # The sandbox sends the webhook with the traceparent of the call that caused it.
        with (
            suite.start_as_current_span(
                "POST",
                context=in_test,
                kind=SpanKind.CLIENT,
                attributes={
                    "peer.service": "flutterwave",
                    "url.full": "http://127.0.0.1:9/_sandbox/charges/p1/decline",
                    "http.response.status_code": 200,
                },
            ),
            api.start_as_current_span(
                "POST /api/payments/webhooks/flutterwave",
                kind=SpanKind.SERVER,
                attributes={
                    "webhook.provider": "flutterwave",
                    "webhook.event": "charge.completed",
                    "http.response.status_code": webhook_status,
                },
            ) as hook,
        ):
            hook.add_event("payment.transition", {"from": "pending", "to": "failed"})
        for _ in range(3):
            with suite.start_as_current_span(
                "SELECT",
                context=in_test,
                kind=SpanKind.CLIENT,
                attributes={"db.system": "pg", "db.statement": "SELECT status FROM payments"},
            ):
                pass
        if fail:
            root.add_event(
                "robot.keyword.failed",
                {"keyword": "Payment Status Should Become", "message": "failed != succeeded"},
            )
            root.set_status(Status(StatusCode.ERROR, "failed != succeeded"))
        root.end()
        with api.start_as_current_span(
            "reconcile.payment", links=[Link(root.get_span_context())]
        ) as look:
            look.set_attribute("payment.id", "p1")
        return format(root.get_span_context().trace_id, "032x")


def labels(html: str) -> list[str]:
    return re.findall(r"<title>([^<]*)</title>", html)


def test_the_journey_draws_calls_webhooks_transactions_and_state_changes(tmp_path: Path) -> None:
    trace_id = a_purchase(tmp_path)
    index = TraceIndex()
    for path in tmp_path.glob("*.jsonl"):
        index.feed_file(path)
    html = journey.render(index.trace(trace_id) + index.linked_to(trace_id))
    assert labels(html) == [
        "suite → api: POST /api/payments 201",
        "api → database: transaction: 2 × INSERT UPDATE",
        "api → api: payment new → pending (api)",
        "api → flutterwave: POST /v3/charges?type=mpesa 200",
        "suite → flutterwave: POST /_sandbox/charges/p1/decline 200",
        "flutterwave → api: webhook charge.completed 200",
        "api → api: payment pending → failed",
        "suite → database: 3 × SELECT status FROM payments",
        "api → api: reconcile payment p1",
    ]
    assert "<svg" in html and "<script" not in html
    # The table keeps what the picture folds: each statement of the transaction.
    table = html[html.index("<details>") :]
    assert "INSERT payments" in table and "UPDATE payments" in table
    assert "Last step of each lane" not in html


def test_a_failed_test_shows_where_it_broke_and_each_lanes_last_step(tmp_path: Path) -> None:
    trace_id = a_purchase(tmp_path, webhook_status=500, fail=True)
    index = TraceIndex()
    for path in tmp_path.glob("*.jsonl"):
        index.feed_file(path)
    html = journey.render(index.trace(trace_id), failed=True, failure="failed != succeeded")
    assert "suite → suite: FAILED Payment Status Should Become: failed != succeeded" in labels(html)
    lasts = html[html.index("Last step of each lane") : html.index("<details>")]
    assert "<b>flutterwave</b>: webhook charge.completed 500" in lasts
    assert "<b>database</b>: 3 × SELECT status FROM payments" not in lasts  # the table's rows
    assert "<b>database</b>: SELECT status FROM payments" in lasts
    # The webhook the API refused is drawn in red.
    webhook = next(g for g in html.split("<g>") if "webhook charge.completed 500" in g)
    assert "#c62828" in webhook


def test_a_failure_with_no_failed_keyword_is_marked_at_the_end(tmp_path: Path) -> None:
    trace_id = a_purchase(tmp_path)
    spans = [s for s in read_spans(tmp_path) if s.trace_id == trace_id]
    html = journey.render(spans, failed=True, failure="Setup failed")
    assert labels(html)[-1] == "suite → suite: FAILED: Setup failed"


def test_no_spans_says_so() -> None:
    assert "no spans" in journey.render([])


def test_the_index_reads_only_complete_lines_and_only_once(tmp_path: Path) -> None:
    trace_id = a_purchase(tmp_path)
    path = tmp_path / "api.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[1][:20])
    index = TraceIndex()
    index.feed_file(path)
    first = len(index.all())
    path.write_text("".join(lines))
    index.feed_file(path)
    index.feed_file(path)
    assert first == 1 and len(index.all()) == len(lines)
    assert index.trace(trace_id)


def test_time_split_per_operation_and_per_test(tmp_path: Path) -> None:
    trace_id = a_purchase(tmp_path)
    spans = read_spans(tmp_path)
    ops = time_split.by_operation(spans)
    assert set(ops) == {"POST /api/payments", "POST /api/payments/webhooks/flutterwave"}
    create = ops["POST /api/payments"]
    assert create.calls == 1 and create.database_ms > 0 and create.gateways_ms > 0
    assert create.database_ms + create.gateways_ms + create.own_ms <= create.api_ms + 1e-6
    test = time_split.split_of_test([s for s in spans if s.trace_id == trace_id])
    assert test.calls == 2 and test.suite_ms >= test.api_ms
    html = "".join(time_split.section(tmp_path))
    assert "Where the time goes" in html and "POST /api/payments" in html


def test_an_untraced_run_has_no_time_split(tmp_path: Path) -> None:
    assert time_split.section(tmp_path / "traces") == []


def test_the_check_names_each_test_without_its_journey(tmp_path: Path) -> None:
    from robot import run
    from tooling.report import journey_check

    (tmp_path / "draws.py").write_text(
        "from robot.api import logger\n"
        "def end_test(data, result):\n"
        "    if 'Drawn' in data.name:\n"
        "        logger.info(\"<div class='journey'>x</div>\", html=True)\n"
    )
    (tmp_path / "s.robot").write_text(
        "*** Test Cases ***\nDrawn\n    No Operation\nForgotten\n    No Operation\n"
    )
    output = tmp_path / "output.xml"
    run(
        str(tmp_path / "s.robot"),
        listener=str(tmp_path / "draws.py"),
        output=str(output),
        log=None,
        report=None,
        stdout=io.StringIO(),
    )
    total, without, empty = journey_check.missing(output)
    assert (total, without, empty) == (2, ["S.Forgotten"], [])
    assert journey_check.main([str(output)]) == 1


def test_a_webhook_served_while_the_api_waits_on_stripe_is_not_counted_twice(
    tmp_path: Path,
) -> None:
    with (
        process(tmp_path, "api") as api,
        api.start_as_current_span("POST /confirm", kind=SpanKind.SERVER) as confirm,
        api.start_as_current_span(
            "POST", kind=SpanKind.CLIENT, attributes={"peer.service": "stripe"}
        ),
        api.start_as_current_span("POST /webhooks/stripe", kind=SpanKind.SERVER),
        api.start_as_current_span("UPDATE", kind=SpanKind.CLIENT, attributes={"db.system": "pg"}),
    ):
        pass
    spans = read_spans(tmp_path)
    ops = time_split.by_operation(spans)
    assert ops["POST /confirm"].database_ms == 0 and ops["POST /confirm"].gateways_ms > 0
    assert ops["POST /webhooks/stripe"].database_ms > 0
    test = time_split.split_of_test(spans)
    assert test.calls == 1 and test.api_ms == next(
        s.ms for s in spans if s.span_id == format(confirm.get_span_context().span_id, "016x")
    )


def test_what_users_wrote_is_text_in_the_picture_and_the_table() -> None:
    """A listing's title reaches a mail subject, a failure message quotes a body: never markup."""
    from tooling.report.spans import Event, Span

    hostile = "<script>alert(1)</script>' onload='x"
    spans = [
        Span(
            "t" * 32,
            "r" * 16,
            "",
            "Buyer",
            "internal",
            0,
            9,
            "suite",
            events=(Event("robot.keyword.failed", 5, {"keyword": "K", "message": hostile}),),
        ),
        Span(
            "t" * 32,
            "m" * 16,
            "r" * 16,
            "smtp send",
            "client",
            1,
            2,
            "api",
            {"peer.service": "mail", "mail.subject": f"You sold {hostile}"},
        ),
    ]
    html = journey.render(spans, failed=True, failure=hostile)
    assert "<script" not in html and "' onload=" not in html
    assert "&lt;script&gt;" in html
