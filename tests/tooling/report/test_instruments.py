"""The pytest instruments' figures: recorded per process, added up per label, forgotten."""

from __future__ import annotations

from tooling.report import instruments


def test_figures_from_every_process_add_up_per_label(tmp_path):
    instruments.record(tmp_path, "race pairs", 1)
    instruments.record(tmp_path, "hostile cases", 2_400)
    instruments.record(tmp_path, "race pairs", 1)
    # Another xdist worker's file, and a torn line a killed worker left.
    other = tmp_path / instruments.FOLDER / "other.jsonl"
    other.write_text('{"label": "race pairs", "count": 3}\n{"label": "race')
    assert instruments.totals(tmp_path) == {"race pairs": 5, "hostile cases": 2_400}


def test_a_new_run_forgets_the_last_ones_figures(tmp_path):
    instruments.record(tmp_path, "race rounds", 4)
    instruments.forget(tmp_path)
    assert instruments.totals(tmp_path) == {}
    instruments.forget(tmp_path / "never-made")
