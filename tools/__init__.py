"""Post-run tooling of the suite: coverage, timings, flaky tests, summary, history, soak."""
