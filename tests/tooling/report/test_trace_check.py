"""The trace check: real exporter output passes, a broken line or a leaked secret fails it."""

import json

import pytest
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from api_server.observability.tracing import from_env
from tooling.report import trace_check

FILE = "suite-1.jsonl"


def export(folder, make, name=FILE):
    """Spans written by the real OTLP JSON file exporter, as each process of a run writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "suite"}))
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(folder / name)))
    make(provider.get_tracer("test"))
    provider.shutdown()
    return folder / name


def journey(tracer):
    with tracer.start_as_current_span("root") as root:
        attributes = {
            "peer.service": "api",
            "http.response.status_code": 200,
            "url.full": "http://127.0.0.1:8000/api/verify?token=REDACTED&page=2",
            "ratio": 0.5,
            "retried": False,
            "roles": ("buyer", "seller"),
        }
        with tracer.start_as_current_span(
            "GET /x", kind=SpanKind.CLIENT, attributes=attributes
        ) as client:
            client.add_event("payment.transition", {"from": "pending", "to": "paid"})
            client.set_status(Status(StatusCode.ERROR, "gateway said no"))
    with tracer.start_as_current_span("bg", links=[Link(root.get_span_context())]):
        pass


def one_span(attributes=None, name="GET /x", event=None, status=None):
    def make(tracer):
        with tracer.start_as_current_span(name, attributes=attributes) as span:
            if event:
                span.add_event("payment.transition", event)
            if status:
                span.set_status(Status(StatusCode.ERROR, status))

    return make


def documents(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def rewrite(path, documents_):
    path.write_text("".join(json.dumps(d) + "\n" for d in documents_))


def first_span(document):
    return document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]


def run(capsys, *argv):
    status = trace_check.main([str(a) for a in argv])
    return status, capsys.readouterr().out


def test_the_real_exporters_spans_pass(tmp_path, capsys):
    export(tmp_path / "traces", journey)
    report = trace_check.check(tmp_path / "traces", [])
    assert report.problems == []
    assert (report.spans, report.traces, report.files) == (3, 2, 1)
    status, out = run(capsys, tmp_path / "traces")
    assert status == 0
    assert out.strip() == "3 spans in 2 traces from 1 file: ok"


def test_the_products_scrubbed_spans_pass(tmp_path):
    folder = tmp_path / "traces"
    tracing = from_env({"OTEL_TRACES_DIR": str(folder)}, "api")
    with tracing.tracer().start_as_current_span("GET /verify") as span:
        span.set_attribute("url.full", "http://h/api/verify?token=abc123&x=1")
        span.set_attribute("http.request.header.authorization", "Bearer abcdefgh12345678")
        span.set_attribute("note", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
    tracing.shutdown()
    assert trace_check.check(folder, []).problems == []


def test_protobuf_reads_the_hex_ids_as_the_same_bytes(tmp_path):
    [document, *_] = documents(export(tmp_path, journey))
    [span] = trace_check.load(document).resource_spans[0].scope_spans[0].spans
    assert span.trace_id.hex() == first_span(document)["traceId"]
    assert span.parent_span_id.hex() == first_span(document)["parentSpanId"]
    assert span.kind == SpanKind.CLIENT.value + 1  # the protobuf enum counts UNSPECIFIED as 0


SECRETS = [
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.3Hq1rZp-yGx_8kQ", "JWT"),
    ("bearer", "Bearer abc123def456ghi789", "Bearer token"),
    ("stripe-test", "sk_test_51HxQ2kLmNoPqRs", "Stripe key"),
    ("stripe-live", "sk_live_51HxQ2kLmNoPqRs", "Stripe key"),
    ("stripe-restricted", "rk_live_51HxQ2kLmNoPqRs", "Stripe key"),
    ("webhook", "whsec_4f2a9c0e7b1d", "Stripe webhook secret"),
    ("flutterwave", "FLWSECK_TEST-9f8e7d6c5b4a-X", "Flutterwave secret key"),
    ("card", "4242424242424242", "card number"),
    ("card-spaced", "paid with 4242 4242 4242 4242 today", "card number"),
    ("card-dashed", "4000-0566-5566-5556", "card number"),
    ("card-amex", "378282246310005", "card number"),
    ("card-int", 4242424242424242, "card number"),
]


@pytest.mark.parametrize(("value", "kind"), [s[1:] for s in SECRETS], ids=[s[0] for s in SECRETS])
def test_a_secret_in_an_attribute_fails_named_by_its_kind(tmp_path, capsys, value, kind):
    export(tmp_path, one_span({"payment.note": value}))
    problems = [str(p) for p in trace_check.check(tmp_path, []).problems]
    assert problems == [
        f"{tmp_path / FILE}:1: {kind} in span {span_id(tmp_path)} attribute payment.note"
    ]
    status, out = run(capsys, tmp_path)
    assert status == 1
    assert str(value) not in out
    assert out.splitlines()[-1] == "1 span in 1 trace from 1 file: 1 problem"


def span_id(folder):
    return first_span(documents(folder / FILE)[0])["spanId"]


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (one_span(name="GET /pay sk_test_51HxQ2kLmNoPqRs"), "name"),
        (
            one_span(event={"to": "sk_test_51HxQ2kLmNoPqRs"}),
            "event payment.transition attribute to",
        ),
        (one_span(status="refused sk_test_51HxQ2kLmNoPqRs"), "status message"),
        (one_span({"sk_test_51HxQ2kLmNoPqRs": "x"}), "attribute #1 key"),
    ],
    ids=["span-name", "event-attribute", "status-message", "attribute-key"],
)
def test_a_secret_anywhere_in_a_span_fails(tmp_path, capsys, make, where):
    export(tmp_path, make)
    messages = [p.message for p in trace_check.check(tmp_path, []).problems]
    assert messages == [f"Stripe key in span {span_id(tmp_path)} {where}"]
    assert "sk_test_51HxQ2kLmNoPqRs" not in run(capsys, tmp_path)[1]


@pytest.mark.parametrize(
    ("attribute", "value", "parameter"),
    [
        ("url.full", "https://api.test/api/verify?token=abc123", "token"),
        ("url.query", "page=2&Password=hunter2", "password"),
        ("http.url", "https://api.test/hook?signature=t%3D1%2Cv1%3Dff", "signature"),
        ("http.target", "/api/x?API_KEY=k-1", "api_key"),
        ("url.full", "https://api.test/cb?access_token=tok-9z&key=k-8y", "access_token"),
    ],
    ids=["token", "password", "signature", "api-key", "access-token"],
)
def test_a_secret_query_parameter_fails(tmp_path, capsys, attribute, value, parameter):
    export(tmp_path, one_span({attribute: value}))
    messages = [p.message for p in trace_check.check(tmp_path, []).problems]
    assert (
        f"secret query parameter {parameter} in span {span_id(tmp_path)} attribute {attribute}"
        in messages
    )
    assert value.rpartition("=")[2] not in run(capsys, tmp_path)[1]


@pytest.mark.parametrize(
    "value",
    [
        "Bearer REDACTED",
        "This operation needs a Bearer access token.",
        'Bearer realm="mining-marketplace", error="invalid_token"',
        "Send the token as `Authorization: Bearer <token>`.",
        "Invalid API Key provided: sk_test_****************abcd",
        "4242424242424241",  # fails Luhn
        "42424242424242424242",  # 20 digits: no card has as many
        "order 5a275d52-0aa3-4910-8d91-9dbf3d6ba90d",
        # Card-like digits (4222222222222 passes Luhn) inside a longer word or a hex id.
        "ERRNO123456T4222222222222",
        "ab4242424242424242cd",
    ],
)
def test_what_only_looks_like_a_secret_passes(tmp_path, value):
    export(tmp_path, one_span({"note": value, "url.full": "http://h/x?token=REDACTED&key="}))
    assert trace_check.check(tmp_path, []).problems == []


@pytest.mark.parametrize(
    "header", ["http.request.header.authorization", "http.response.header.set_cookie"]
)
def test_a_header_attribute_fails(tmp_path, capsys, header):
    export(tmp_path, one_span({header: ("session=s3cr3t",)}))
    messages = [p.message for p in trace_check.check(tmp_path, []).problems]
    assert messages == [f"header attribute {header} in span {span_id(tmp_path)} attribute {header}"]
    assert "s3cr3t" not in run(capsys, tmp_path)[1]


def test_a_given_secret_fails_wherever_it_appears(tmp_path, capsys, monkeypatch):
    export(tmp_path, one_span({"db.name": "market"}, name="GET /x plain-s3cr3t"))
    monkeypatch.setenv("DB_PASSWORD", "market")
    monkeypatch.setenv("EMPTY_SECRET", "")
    status, out = run(
        capsys,
        tmp_path,
        "--secret",
        "plain-s3cr3t",
        "--secret",
        "",
        "--secret-env",
        "DB_PASSWORD",
        "--secret-env",
        "EMPTY_SECRET",
        "--secret-env",
        "UNSET_SECRET",
    )
    assert status == 1
    assert f"given secret #1 in span {span_id(tmp_path)} name" in out
    assert f"given secret #3 in span {span_id(tmp_path)} attribute db.name" in out  # by position
    assert "plain-s3cr3t" not in out
    assert "market" not in out


def test_the_secret_env_alone_fails_the_run(tmp_path, capsys, monkeypatch):
    export(tmp_path, one_span({"gateway.key": "FLW-not-a-known-prefix-77"}))
    assert run(capsys, tmp_path)[0] == 0
    monkeypatch.setenv("FLUTTERWAVE_SECRET_KEY", "FLW-not-a-known-prefix-77")
    status, out = run(capsys, tmp_path, "--secret-env", "FLUTTERWAVE_SECRET_KEY")
    assert status == 1
    assert "given secret #1" in out
    assert "FLW-not-a-known-prefix-77" not in out


def break_span(change):
    def broken(path):
        docs = documents(path)
        change(first_span(docs[0]))
        rewrite(path, docs)

    return broken


def swap_times(span):
    span["startTimeUnixNano"], span["endTimeUnixNano"] = (
        span["endTimeUnixNano"],
        str(int(span["startTimeUnixNano"]) - 1),
    )


def truncate(path):
    path.write_text(path.read_text()[:200] + "\n")


def duplicate(path):
    path.write_text(path.read_text() * 2)


def two_values(span):
    span["attributes"] = [{"key": "a", "value": {"intValue": "1", "stringValue": "1"}}]


def no_value(span):
    span["attributes"] = [{"key": "a", "value": {}}]


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        (
            break_span(lambda s: s.update(traceId="zz" * 16)),
            "schema: $.resourceSpans[0].scopeSpans[0].spans[0].traceId: does not match",
        ),
        (break_span(lambda s: s.update(spanId="abc")), "spans[0].spanId: does not match"),
        (break_span(lambda s: s.update(spanId="0" * 16)), "spanId: is all zeroes"),
        (break_span(swap_times), "ends before it starts"),
        (break_span(lambda s: s.pop("name")), "spans[0]: missing name"),
        (break_span(lambda s: s.update(name="")), "spans[0].name: is empty"),
        (break_span(lambda s: s.update(kind=7)), "kind: is out of range (maximum 5)"),
        (break_span(lambda s: s.update(kind="SPAN_KIND_CLIENT")), "kind: is not of type integer"),
        (
            break_span(lambda s: s.update(startTimeUnixNano=17)),
            "startTimeUnixNano: is not of type string",
        ),
        (break_span(lambda s: s.update(durationNano="5")), "spans[0]: unknown field durationNano"),
        (
            break_span(two_values),
            "protobuf: ExportTraceServiceRequest refuses it at "
            "resourceSpans.scopeSpans.spans.attributes.value",
        ),
        (break_span(two_values), "attributes[0].value: has more than 1 field"),
        (break_span(no_value), "attributes[0].value: has fewer than 1 field"),
        (break_span(lambda s: s.update(parentSpanId="ab")), "parentSpanId: does not match"),
        (truncate, "not JSON: "),
        (duplicate, "repeats a span id of its trace (first at suite-1.jsonl:1)"),
    ],
    ids=[
        "bad-hex-trace-id",
        "short-span-id",
        "zero-span-id",
        "end-before-start",
        "missing-name",
        "empty-name",
        "kind-out-of-range",
        "kind-as-name",
        "time-as-number",
        "unknown-field",
        "protobuf-refuses",
        "two-values",
        "no-value",
        "short-parent-id",
        "invalid-json",
        "repeated-span-id",
    ],
)
def test_a_broken_line_fails(tmp_path, capsys, breaks, expected):
    breaks(export(tmp_path, journey))
    problems = [str(p) for p in trace_check.check(tmp_path, []).problems]
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"{tmp_path / FILE}:") for p in problems)
    status, out = run(capsys, tmp_path)
    assert status == 1
    assert out.splitlines()[-1].endswith("problem" if len(problems) == 1 else "problems")


def test_a_secret_in_a_line_that_does_not_parse_still_fails(tmp_path, capsys):
    path = export(tmp_path, one_span({"note": "whsec_4f2a9c0e7b1d"}))
    path.write_text(path.read_text()[:-20] + "\n")
    messages = [p.message for p in trace_check.check(tmp_path, []).problems]
    assert messages[0].startswith("not JSON: ")
    assert messages[1:] == ["Stripe webhook secret in the line"]
    assert "whsec_4f2a" not in run(capsys, tmp_path)[1]


def test_each_file_and_line_is_named(tmp_path):
    export(tmp_path, journey, name="api-1.jsonl")
    path = export(tmp_path, one_span({"note": "sk_live_51HxQ2kLmNoPqRs"}), name="suite-2.jsonl")
    export(tmp_path, one_span(), name="suite-2.jsonl")  # appended: the same file's second line
    report = trace_check.check(tmp_path, [])
    assert [(p.file, p.line) for p in report.problems] == [(path, 1)]
    assert (report.spans, report.files) == (5, 2)
    assert report.summary() == "5 spans in 4 traces from 2 files: 1 problem"


def test_a_span_id_repeated_in_another_file_fails_alike_in_parallel(tmp_path):
    path = export(tmp_path, journey, name="api-1.jsonl")
    (tmp_path / "api-2.jsonl").write_text(path.read_text().splitlines()[1] + "\n")
    export(tmp_path, one_span({"note": "sk_live_51HxQ2kLmNoPqRs"}), name="api-3.jsonl")
    serial, parallel = (trace_check.check(tmp_path, [], workers=n) for n in (1, 2))
    assert parallel == serial
    assert [str(p) for p in serial.problems] == [
        f"{tmp_path / 'api-2.jsonl'}:1: span {first_span(documents(path)[1])['spanId']} "
        "repeats a span id of its trace (first at api-1.jsonl:2)",
        f"{tmp_path / 'api-3.jsonl'}:1: Stripe key in span "
        f"{first_span(documents(tmp_path / 'api-3.jsonl')[0])['spanId']} attribute note",
    ]
    assert serial.summary() == "5 spans in 3 traces from 3 files: 2 problems"


def test_a_missing_folder_means_tracing_was_off(tmp_path, capsys):
    status, out = run(capsys, tmp_path / "traces")
    assert status == 0
    assert "nothing was traced" in out


@pytest.mark.parametrize(
    ("files", "counted"),
    [({}, "0 files"), ({"api-1.jsonl": "", "notes.txt": "not a trace"}, "1 file")],
    ids=["no-file", "empty-file"],
)
def test_a_folder_without_spans_fails(tmp_path, capsys, files, counted):
    (tmp_path / "traces").mkdir()
    for name, text in files.items():
        (tmp_path / "traces" / name).write_text(text)
    status, out = run(capsys, tmp_path / "traces")
    assert status == 1
    assert f"{tmp_path / 'traces'}: no spans: nothing was traced" in out
    assert out.splitlines()[-1] == f"0 spans in 0 traces from {counted}: 1 problem"
