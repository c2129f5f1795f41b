"""Percentiles, budgets, and rewriting robot/pabot command lines for re-runs and soaks."""

import pytest

from tooling.report import command, timings


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 95, 5.0),
        ([1, 2, 3, 4], 50, 2),
        ([*range(1, 101)], 95, 95),
        ([*range(1, 101)], 99, 99),
    ],
    ids=["single", "median-lower", "p95-of-100", "p99-of-100"],
)
def test_nearest_rank_percentile(values, q, expected):
    assert timings.percentile([float(v) for v in values], q) == expected


def test_operations_over_budget_are_named_with_their_figures():
    records = [{"operation": "GET /api/x", "ms": ms} for ms in (10, 20, 900)]
    records += [{"operation": "GET /api/y", "ms": 50}, {"operation": None, "ms": 9999}]
    figures = timings.percentiles_by_operation(records)
    budgets = {"default_p95_ms": 100, "p95_ms": {"GET /api/y": 40}}
    lines = timings.over_budget(figures, budgets)
    assert lines[0].startswith("GET /api/x p95 900 ms > budget 100 ms (p50 20")
    assert lines[1].startswith("GET /api/y p95 50 ms > budget 40 ms")
    assert timings.over_budget(figures, {}) == []


ROBOT = ["robot", "--outputdir", "results", "--xunit", "xunit.xml", "--pythonpath", ".", "robot"]
PABOT = ["python", "-m", "sandbox", "run", "--", ".venv/bin/pabot", "--processes", "4", "robot"]


def test_options_go_after_the_runner_and_dropped_ones_vanish():
    rewritten = command.with_options(ROBOT, ["--output", "rerun.xml"], drop=("--outputdir",))
    assert rewritten == [
        "robot",
        "--output",
        "rerun.xml",
        "--xunit",
        "xunit.xml",
        "--pythonpath",
        ".",
        "robot",
    ]


def test_the_runner_is_found_behind_a_launcher():
    assert command.with_options(PABOT, ["--rerunfailed", "x.xml"])[5:8] == [
        ".venv/bin/pabot",
        "--rerunfailed",
        "x.xml",
    ]


def test_option_values_are_read_after_the_runner():
    assert command.option_value(ROBOT, "--xunit", "-x") == "xunit.xml"
    assert command.option_value(PABOT, "--xunit") is None


def test_a_rerun_judges_the_books_from_its_own_start(tmp_path, monkeypatch):
    """The re-run's stack is new: the first attempt's payments are in gateways that are gone."""
    import subprocess
    import sys

    from tooling.report import run_suite

    first_start = "2000-01-01T00:00:00+00:00"
    monkeypatch.setenv("RUN_STARTED_AT", first_start)
    suite = tmp_path / "s.robot"
    suite.write_text(
        "*** Test Cases ***\nJudged From Its Own Start\n"
        f"    Should Not Be Equal    %{{RUN_STARTED_AT}}    {first_start}\n"
    )
    results = tmp_path / "results"
    robot = [sys.executable, "-m", "robot", "--outputdir", str(results), "--console", "none"]
    subprocess.call([*robot, str(suite)])
    flaky = run_suite.rerun_failed([*robot, str(suite)], results, tmp_path / "coverage")
    assert flaky == ["S.Judged From Its Own Start"]
