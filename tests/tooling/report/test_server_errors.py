"""No server error passes silently: the HTTP keywords' status check and the run's 5xx check."""

import json
import sys

import pytest
import requests

from keywords.libraries.ExpectedStatus import ExpectedStatus, expected_statuses, status_problem
from tooling.report import run_suite, server_errors


def access_line(request_id, status, path="/api/payments", method="POST"):
    record = {
        "time": "[07/Dec/2026:06:02:07 +0000]",
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "bytes": "223",
        "duration_ms": 54,
    }
    return json.dumps(record)


def response(status, request_id="r-1", url="http://127.0.0.1:1/api/payments", body=None):
    answer = requests.Response()
    answer.status_code = status
    answer.url = url
    answer.headers["X-Request-ID"] = request_id
    answer._content = json.dumps(body or {}).encode()
    answer.request = requests.Request("POST", url).prepare()
    return answer


@pytest.mark.parametrize(
    ("expected", "allowed"),
    [
        ("any", None),
        ("ANYTHING", None),
        (None, None),
        ("201", {201}),
        (502, {502}),
        ("502 or 504", {502, 504}),
        ("502, 504", {502, 504}),
        (["502", 504], {502, 504}),
        ("OK", {200}),
    ],
    ids=["any", "anything", "none", "text", "int", "or", "comma", "list", "named"],
)
def test_expected_status_spellings(expected, allowed):
    assert expected_statuses(expected) == allowed


@pytest.mark.parametrize("expected", ["teapots", ["any", "502"]], ids=["unknown", "any-in-list"])
def test_an_expected_status_that_names_nothing_is_refused(expected):
    with pytest.raises(ValueError):
        expected_statuses(expected)


@pytest.mark.parametrize(
    ("status", "allowed", "passes"),
    [
        (200, None, True),
        (404, None, True),
        (500, None, False),
        (503, None, False),
        (502, {502, 504}, True),
        (500, {502, 504}, False),
        (201, {200}, False),
    ],
    ids=["any-200", "any-404", "any-500", "any-503", "expected-502", "other-5xx", "wrong-2xx"],
)
def test_any_takes_every_status_but_a_server_error(status, allowed, passes):
    assert (status_problem(status, allowed) is None) is passes


def test_an_unexpected_server_error_fails_with_its_request_id(tmp_path, monkeypatch):
    monkeypatch.setenv(server_errors.EXPECTED_DIR_ENV, str(tmp_path))
    answer = response(500, "abc123", body={"code": "internal_error"})
    with pytest.raises(AssertionError, match=r"answered 500 internal_error.*request id abc123"):
        ExpectedStatus().status_should_be_as_expected(answer, "any")
    with pytest.raises(AssertionError, match=r"answered 500, expected 201 \(request id r-1"):
        ExpectedStatus().status_should_be_as_expected(response(500), "201")
    assert server_errors.expected_ids(tmp_path) == set()


def test_an_expected_server_error_is_recorded_and_others_are_not(tmp_path, monkeypatch):
    monkeypatch.setenv(server_errors.EXPECTED_DIR_ENV, str(tmp_path))
    check = ExpectedStatus().status_should_be_as_expected
    check(response(504, "timeout-1"), "502 or 504")
    check(response(409, "conflict-1"), "409")
    check(response(201, "created-1"), "any")
    assert server_errors.expected_ids(tmp_path) == {"timeout-1"}
    (written,) = tmp_path.iterdir()
    (record,) = [json.loads(line) for line in written.read_text().splitlines()]
    assert record["status"] == 504
    assert record["path"] == "/api/payments"


def test_the_access_log_gives_its_server_errors_and_skips_other_lines(tmp_path):
    log = tmp_path / "api_access.log"
    lines = [access_line("a", 200), "not json", access_line("b", 502), "[1, 2]"]
    lines.append(access_line("c", 500))
    log.write_text("\n".join(lines) + "\n")
    assert [e["request_id"] for e in server_errors.server_errors(log)] == ["b", "c"]


def test_every_server_error_expected_passes(tmp_path, capsys):
    log = tmp_path / "api_access.log"
    log.write_text(access_line("b", 502) + "\n" + access_line("c", 200) + "\n")
    expected = tmp_path / "expected-5xx"
    server_errors.record_expected(expected, {"request_id": "b", "status": 502})
    report = tmp_path / "server-errors.json"
    assert server_errors.check(log, expected, report) == 0
    assert json.loads(report.read_text())["unexpected"] == []
    assert "every one expected" in capsys.readouterr().out


def test_an_unasked_server_error_fails_the_check_with_its_request_id(tmp_path, capsys):
    log = tmp_path / "api_access.log"
    lines = [
        access_line("asked", 504),
        access_line("unasked", 500, "/api/users/login"),
        access_line("-", 503, "/api/health/ready", "GET"),
    ]
    log.write_text("\n".join(lines) + "\n")
    expected = tmp_path / "expected-5xx"
    # Two Robot processes (pabot) wrote their own files; a recorded "-" vouches for nothing.
    server_errors.record_expected(expected, {"request_id": "asked", "status": 504})
    (expected / "expected-5xx-2.jsonl").write_text(json.dumps({"request_id": "-"}) + "\n")
    report = tmp_path / "server-errors.json"
    assert server_errors.check(log, expected, report) == 1
    found = json.loads(report.read_text())["unexpected"]
    assert [e["request_id"] for e in found] == ["unasked", "-"]
    out = capsys.readouterr().out
    assert "500 POST /api/users/login request_id=unasked" in out
    assert "503 GET /api/health/ready request_id=-" in out


def test_without_an_access_log_nothing_is_checked(tmp_path):
    assert server_errors.check(tmp_path / "missing.log", tmp_path / "none") == 0


def test_the_command_line_reads_the_results_folder(tmp_path):
    (tmp_path / "api_access.log").write_text(access_line("x", 500) + "\n")
    assert server_errors.main([str(tmp_path)]) == 1
    server_errors.record_expected(tmp_path / "expected-5xx", {"request_id": "x"})
    assert server_errors.main([str(tmp_path)]) == 0


SUITE = """*** Settings ***
Library    OperatingSystem

*** Test Cases ***
The Stack Answers
    [Documentation]    Writes what a stack and the HTTP keywords would: two 5xx, one expected.
    Create File    %{API_ACCESS_LOG}    ${LINES}
    VAR    ${dir} =    %{API_EXPECTED_5XX_DIR}
    VAR    &{record} =    request_id=asked
    Evaluate    tooling.report.server_errors.record_expected(pathlib.Path($dir), $record)
    ...    modules=tooling.report.server_errors,pathlib
"""


def test_the_suite_wrapper_fails_a_passing_run_on_an_unasked_server_error(tmp_path, monkeypatch):
    (tmp_path / "tiny.robot").write_text(SUITE)
    results = tmp_path / "results"
    results.mkdir()
    (results / "api_access.log").write_text(access_line("stale", 500) + "\n")
    lines = access_line("asked", 502) + "\n" + access_line("unasked", 500) + "\n"
    command = [sys.executable, "-m", "robot", "--outputdir", str(results), "--pythonpath", "."]
    command += ["--variable", f"LINES:{lines}", "--log", "NONE", "--report", "NONE"]
    command += ["--console", "none", str(tmp_path / "tiny.robot")]
    monkeypatch.setattr(run_suite.report, "build", lambda results: None)
    monkeypatch.setattr(sys, "argv", ["run_suite", "--outputdir", str(results), "--", *command])
    assert run_suite.main() == 1
    found = json.loads((results / "server-errors.json").read_text())["unexpected"]
    assert [e["request_id"] for e in found] == ["unasked"]


def test_a_guarded_run_fails_on_a_server_error_its_command_left_unasked(tmp_path):
    # The command stands in for a robot run whose stack wrote its access log where told.
    (tmp_path / "api_access.log").write_text(access_line("old", 500) + "\n")
    script = "import os, sys; open(os.environ['API_ACCESS_LOG'], 'a').write(sys.argv[1] + '\\n')"
    unasked = [sys.executable, "-c", script, access_line("new", 502)]
    assert server_errors.main(["--guard", str(tmp_path), "--", *unasked]) == 1
    found = json.loads((tmp_path / "server-errors.json").read_text())["unexpected"]
    # The earlier run's line was forgotten first: only this run's error counts.
    assert [e["request_id"] for e in found] == ["new"]


def test_a_guarded_run_keeps_its_commands_status_when_nothing_went_wrong(tmp_path):
    script = "import os, sys; open(os.environ['API_ACCESS_LOG'], 'a').write(sys.argv[1] + '\\n')"
    failing = [sys.executable, "-c", script + "; sys.exit(3)", access_line("fine", 200)]
    assert server_errors.main(["--guard", str(tmp_path), "--", *failing]) == 3
