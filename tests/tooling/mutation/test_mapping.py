"""The module map and the equivalents file: complete, pointing at real suites, well formed."""

from pathlib import Path

import pytest

from tooling.mutation.settings import (
    EQUIVALENT_FILE,
    ROOT,
    Settings,
    is_pytest,
    load_equivalents,
    load_map,
    relative_module,
    suite_option,
)


def test_every_api_module_is_mapped_or_left_out_with_a_reason():
    module_map = load_map()
    modules = {
        path.relative_to(ROOT / "api_server").as_posix()
        for path in (ROOT / "api_server").rglob("*.py")
        if path.stat().st_size > 0 and path.name != "__init__.py"
    }
    assert modules - set(module_map.suites) - set(module_map.unmutated) == set()
    assert set(module_map.suites) - modules == set(), "the map names modules that do not exist"


def test_every_mapped_suite_and_pytest_target_exists():
    for module, entries in load_map().suites.items():
        for entry in entries:
            path = ROOT / entry.split("::")[0] if is_pytest(entry) else ROOT / "robot" / entry
            assert path.is_file(), f"{module} -> {entry}"


@pytest.mark.parametrize(
    ("loader", "text", "message"),
    [
        pytest.param(load_map, "modules:\n  app.py: []\n", "names no suite", id="no-suite"),
        pytest.param(
            load_map, "modules:\n  app.py: [health/__init__.robot]\n", "not a suite", id="init"
        ),
        pytest.param(
            load_equivalents,
            "- module: app.py\n  operator: core/AddNot\n  line: x\n",
            "reason",
            id="equivalent-without-reason",
        ),
    ],
)
def test_a_malformed_file_is_refused(tmp_path: Path, loader, text, message):
    bad = tmp_path / "file.yaml"
    bad.write_text(text)
    with pytest.raises(ValueError, match=message):
        loader(bad)


def test_excluded_operators_match_from_the_start_of_the_name():
    module_map = load_map()
    assert module_map.operator_excluded("core/ReplaceBinaryOperator_Add_Pow")
    assert not module_map.operator_excluded("core/ReplaceBinaryOperator_Add_Sub")
    assert module_map.operator_excluded("core/ReplaceComparisonOperator_Eq_Lt")
    assert not module_map.operator_excluded("core/ReplaceComparisonOperator_Eq_NotEq")
    assert not module_map.operator_excluded("core/ReplaceComparisonOperator_Lt_LtE")


def test_every_equivalent_has_a_reason_and_names_a_mapped_module():
    mapped = set(load_map().suites)
    for entry in load_equivalents(EQUIVALENT_FILE):
        assert entry.reason.strip()
        assert relative_module(entry.module) in mapped


def test_suite_files_become_robot_suite_names():
    assert suite_option("marketplace/retrieval.robot") == "Robot.marketplace.retrieval"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, Settings(), id="defaults"),
        pytest.param(
            {"MUTATION_SAMPLE": "all", "MUTATION_TIME": "0"},
            Settings(sample=None, time_budget=None),
            id="full-run",
        ),
        pytest.param(
            {"MUTATION_SAMPLE": "25", "MUTATION_SEED": "9", "MUTATION_MODULES": "a.py, b/c.py"},
            Settings(sample=25, seed=9, modules=("a.py", "b/c.py")),
            id="sample-seed-modules",
        ),
    ],
)
def test_settings_from_the_environment(env, expected):
    assert Settings.from_env(env) == expected
