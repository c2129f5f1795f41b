"""Benchmarks run by make targets; they print figures and assert nothing."""
