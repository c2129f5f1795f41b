"""Tooling around the suite: post-run reports (coverage, timings, flaky tests, summary,
history, soak) and small drivers that make targets run against a stack
(python -m tooling.report.NAME)."""
