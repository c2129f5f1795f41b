"""The reports built from a real (tiny) Robot run: outcomes, soak pass rates, summary, history."""

import io
import json

import pytest

import robot
from tooling.report import history, outcomes, report, soak

SUITE = """*** Test Cases ***
Passes
    [Documentation]    Always passes.
    No Operation

Fails
    [Documentation]    Always fails.
    Fail    broken
"""


@pytest.fixture
def output(tmp_path):
    (tmp_path / "tiny.robot").write_text(SUITE)
    out = tmp_path / "results"
    robot.run(
        str(tmp_path / "tiny.robot"),
        outputdir=str(out),
        log="log.html",
        report="NONE",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return out / "output.xml"


def test_outcomes_list_each_test_with_its_log_id(output):
    tests = {t["name"]: t for t in outcomes.tests_of(output)}
    assert tests["Tiny.Fails"]["status"] == "FAIL"
    assert tests["Tiny.Fails"]["message"] == "broken"
    assert tests["Tiny.Passes"]["id"] == "s1-t1"
    assert outcomes.failed_tests(output) == ["Tiny.Fails"]


def test_soak_pass_rates_give_the_false_positive_figure(output):
    rates = soak.pass_rates([output, output])
    assert rates["tests"]["Tiny.Fails"] == {"runs": 2, "passes": 0, "rate": 0.0}
    assert rates["false_positive_percent"] == 50.0
    assert "Tiny.Fails" in soak.render(rates)


def test_report_writes_coverage_summary_and_history(output):
    results = output.parent
    coverage_dir = results / "coverage"
    coverage_dir.mkdir()
    document = {"paths": {"/api/x": {"get": {"responses": {"200": {}, "404": {}}}}}}
    (coverage_dir / "openapi.json").write_text(json.dumps(document))
    records = [
        {
            "operation": "GET /api/x",
            "method": "GET",
            "path": "/api/x",
            "status": 200,
            "ms": 12.5,
            "test": "Tiny.Passes",
        }
    ]
    (coverage_dir / "requests-1.json").write_text(json.dumps(records))
    (results / "flaky.json").write_text(json.dumps(["Tiny.Passes"]))
    built = report.build(results)
    assert built["figures"]["operations"]["percent"] == 100.0
    assert built["figures"]["error_statuses"]["percent"] == 0.0
    summary = (results / "summary.html").read_text()
    assert "log.html#s1-t2" in summary  # the failed test links into the log
    assert "Flaky" in summary
    assert "GET /api/x" in (results / "coverage.html").read_text()
    [run] = history.runs(results / "history")
    assert run["counts"] == {"total": 2, "passed": 1, "failed": 1, "skipped": 0, "flaky": 1}
    assert run["p95_ms"] == {"GET /api/x": 12.5}
    assert (results / "history" / "trend-p95.png").exists()


def test_the_instruments_figures_add_up_over_every_suite():
    from robot.running import TestSuite

    top = TestSuite(name="Top", metadata={"Invariant checks": "10", "Gateway checks": "5"})
    area = top.suites.create(name="Area", metadata={"Invariant checks": "32"})
    area.suites.create(name="Model", metadata={"Model-based steps": "67 in 7 sequences"})
    top.suites.create(name="Elsewhere", metadata={"Invariant checks": "not a count"})
    assert outcomes.instruments_of(top) == {
        "invariant checks": 42,
        "payments checked against their gateway": 5,
        "model-based sequences": 7,
        "model-based steps": 67,
    }
