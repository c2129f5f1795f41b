"""The report: figures per module and overall, equivalents left out of the target's score."""

from tooling.mutation.report import build, score, summary_lines
from tooling.mutation.report_html import render
from tooling.mutation.settings import Equivalent


def row(module, status, n, line="x = 1", operator="core/NumberReplacer", **extra):
    return {
        "key": f"{module}:{operator}:{n}",
        "job_id": f"{module}-{n}",
        "module": module,
        "operator": operator,
        "occurrence": n,
        "line_number": 3,
        "line": line,
        "status": status,
        "skip_reason": extra.get("skip_reason"),
        "diff": "-x = 1\n+x = 2",
        "output": None,
        "seconds": extra.get("seconds", 10.0),
    }


ROWS = [
    *(row("api_server/a.py", "killed", i) for i in range(7)),
    row("api_server/a.py", "timeout", 7),
    row("api_server/a.py", "survived", 8, line="    LIMIT = 100"),
    row("api_server/a.py", "survived", 9, line="    gap = 1"),
    row("api_server/b.py", "killed", 0),
    row("api_server/b.py", "not-run", 1),
    row("api_server/b.py", "skipped", 2, skip_reason="not in the sample"),
    row("api_server/b.py", "skipped", 3, skip_reason="inside a type annotation"),
]
EQUIVALENT = Equivalent("a.py", "core/NumberReplacer", "LIMIT = 100", "no test can tell")


def test_score_is_detected_over_judged():
    assert score(9, 10) == 90.0
    assert score(2, 3) == 66.7
    assert score(0, 0) is None


def test_timeouts_count_as_detected_and_skipped_mutants_not_at_all():
    report = build([dict(r) for r in ROWS], [], {"sample": 12})
    a = report["modules"]["api_server/a.py"]
    assert (a["killed"], a["timeout"], a["survived"], a["mutants"]) == (7, 1, 2, 10)
    assert a["score"] == 80.0
    assert report["overall"]["mutants"] == 11
    assert report["overall"]["not_run"] == 1
    assert report["skipped"] == {"inside a type annotation": 1, "not in the sample": 1}


def test_a_listed_equivalent_leaves_the_target_score_but_not_the_raw_one():
    report = build([dict(r) for r in ROWS], [EQUIVALENT], {"sample": 12})
    overall = report["overall"]
    assert overall["equivalent"] == 1
    assert overall["score"] == round(100 * 9 / 11, 1)
    assert overall["score_without_equivalents"] == 90.0
    assert report["target"]["met"] is True


def test_an_equivalent_must_match_module_operator_and_line():
    other_operator = Equivalent("a.py", "core/AddNot", "LIMIT = 100", "r")
    other_line = Equivalent("a.py", "core/NumberReplacer", "LIMIT = 101", "r")
    report = build([dict(r) for r in ROWS], [other_operator, other_line], {})
    assert report["overall"]["equivalent"] == 0
    assert report["target"]["met"] is False


def test_every_survivor_is_listed_with_its_diff_and_verdict():
    report = build([dict(r) for r in ROWS], [EQUIVALENT], {})
    survivors = {s["line"].strip(): s for s in report["survivors"]}
    assert set(survivors) == {"LIMIT = 100", "gap = 1"}
    assert survivors["LIMIT = 100"]["equivalent"] == "no test can tell"
    assert survivors["gap = 1"]["equivalent"] is None
    assert survivors["gap = 1"]["diff"]


def test_the_page_and_the_console_show_the_figures():
    report = build([dict(r) for r in ROWS], [EQUIVALENT], {"sample": 12, "seed": 1})
    html = render(report)
    assert "api_server/a.py" in html
    assert "not listed as equivalent" in html
    assert "90.0%" in html
    assert any("target 90.0%: met" in line for line in summary_lines(report))


def test_context_tells_apart_the_same_line_in_two_places():
    answer = {**row("api_server/a.py", "survived", 20, line="    x = 1"), "above": ["ANSWER = {"]}
    request = {
        **row("api_server/a.py", "survived", 21, line="    x = 1"),
        "above": ["def _object():"],
    }
    only_answer = Equivalent(
        "a.py", "core/NumberReplacer", "x = 1", "an answer schema", "ANSWER = {"
    )
    report = build([answer, request], [only_answer], {})
    verdicts = {s["key"]: s["equivalent"] for s in report["survivors"]}
    assert verdicts == {answer["key"]: "an answer schema", request["key"]: None}
