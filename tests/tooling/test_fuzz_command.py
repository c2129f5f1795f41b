"""The fuzzer's bound: every phase once by default, a time budget only when asked for."""

from pathlib import Path

from tooling.fuzz.__main__ import command


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_by_default_a_pass_is_bounded_by_examples_and_seeded(monkeypatch):
    for name in ("FUZZ_MAX_TIME", "FUZZ_EXAMPLES", "FUZZ_SEED"):
        monkeypatch.delenv(name, raising=False)
    args = command("http://127.0.0.1:1", Path("out"), [])
    assert _option(args, "--max-time") is None
    assert _option(args, "--max-examples") == "10"
    assert _option(args, "--seed") == "1"


def test_a_time_budget_and_a_random_seed_are_opt_in(monkeypatch):
    monkeypatch.setenv("FUZZ_MAX_TIME", "40")
    monkeypatch.setenv("FUZZ_SEED", "random")
    args = command("http://127.0.0.1:1", Path("out"), ["--exclude-name", "x"])
    assert _option(args, "--max-time") == "40"
    assert "--seed" not in args
    assert args[-2:] == ["--exclude-name", "x"]
