"""The sample: seeded, reproducible, stratified across modules, of the size asked."""

import pytest

from tooling.mutation.sample import allocate, draw

KEYS = {
    "big.py": [f"big.py:op:{i}" for i in range(300)],
    "mid.py": [f"mid.py:op:{i}" for i in range(60)],
    "small.py": [f"small.py:op:{i}" for i in range(3)],
    "one.py": ["one.py:op:0"],
}


def test_the_same_seed_draws_the_same_sample():
    assert draw(KEYS, 50, seed=7) == draw(KEYS, 50, seed=7)


def test_another_seed_draws_another_sample():
    assert draw(KEYS, 50, seed=7) != draw(KEYS, 50, seed=8)


def test_the_sample_has_the_size_asked_and_no_repeats():
    chosen = draw(KEYS, 50, seed=1)
    assert len(chosen) == 50
    assert len(set(chosen)) == 50


def test_every_module_is_represented_when_the_size_allows():
    chosen = draw(KEYS, 10, seed=1)
    assert {key.split(":")[0] for key in chosen} == set(KEYS)


@pytest.mark.parametrize(
    ("counts", "size", "expected"),
    [
        pytest.param({"a": 90, "b": 10}, 10, {"a": 9, "b": 1}, id="proportional"),
        pytest.param({"a": 99, "b": 1}, 10, {"a": 9, "b": 1}, id="at-least-one-each"),
        pytest.param(
            {"a": 5, "b": 5, "c": 5}, 1, {"a": 1, "b": 0, "c": 0}, id="fewer-than-modules"
        ),
        pytest.param({"a": 3, "b": 2}, 99, {"a": 3, "b": 2}, id="larger-than-population"),
        pytest.param({"a": 10, "b": 0}, 4, {"a": 4}, id="empty-module-left-out"),
    ],
)
def test_allocation_across_modules(counts, size, expected):
    assert allocate(counts, size) == expected


def test_allocation_adds_up_to_the_size():
    counts = {f"m{i}.py": n for i, n in enumerate([17, 3, 250, 41, 1, 9, 88])}
    assert sum(allocate(counts, 123).values()) == 123


def test_a_change_in_one_module_leaves_the_others_draws_alone():
    before = draw(KEYS, 40, seed=3)
    changed = {**KEYS, "mid.py": [*KEYS["mid.py"], "mid.py:op:new"]}
    after = draw(changed, 40, seed=3)
    assert [k for k in before if k.startswith("big.py")] == [
        k for k in after if k.startswith("big.py")
    ]


def test_no_size_takes_every_mutant():
    assert len(draw(KEYS, None, seed=1)) == sum(len(v) for v in KEYS.values())
