"""Planting: filters for what is no fault, and a trial that only ever touches its copy."""

import textwrap
from pathlib import Path

import psycopg2
import pytest
from cosmic_ray.work_item import MutationSpec, WorkerOutcome, WorkItem
from cosmic_ray.work_item import TestOutcome as Verdict

from tooling.mutation import catalogue, trial
from tooling.mutation.catalogue import Mutant, annotation_spans, filter_reason, in_spans
from tooling.mutation.settings import ModuleMap
from tooling.mutation.workspace import copy_tree, private_database

SOURCE = textwrap.dedent(
    """\
    def limit(page: int | None = None) -> int:
        return 10 if page is None else page + 1
    """
)
MAP = ModuleMap({"m.py": ("x.robot",)}, {}, ("core/ReplaceBinaryOperator_Add_Pow",))


def mutant(operator, line="x = 1"):
    return Mutant("job", "api_server/m.py", operator, 0, 1, line)


def test_annotations_are_spans_in_cosmic_ray_columns():
    spans = annotation_spans(SOURCE)
    assert in_spans((1, 16), spans)  # the | of `int | None`
    assert in_spans((1, 38), spans)  # the return annotation
    assert not in_spans((2, 11), spans)  # the 10 in the body


@pytest.mark.parametrize(
    ("operator", "line", "start", "reason"),
    [
        ("core/ReplaceBinaryOperator_Add_Pow", "x = a + b", (2, 0), "operator excluded by the map"),
        ("core/NumberReplacer", "x = 1  # pragma: no mutate", (2, 0), "pragma: no mutate"),
        (
            "core/ReplaceBinaryOperator_BitOr_BitAnd",
            "def f(a: int | None)",
            (1, 16),
            "inside a type annotation",
        ),
        ("core/NumberReplacer", "    return 10", (2, 11), None),
        (
            "core/ReplaceBinaryOperator_Mul_Div",
            "def f(a, *, b):",
            (1, 9),
            "the keyword-only marker of a signature, not an operator",
        ),
        (
            "core/ReplaceBinaryOperator_Mul_Div",
            "    *,",
            (1, 4),
            "the keyword-only marker of a signature, not an operator",
        ),
        ("core/ReplaceBinaryOperator_Mul_Div", "    return a * b", (1, 13), None),
    ],
)
def test_what_is_filtered_and_why(operator, line, start, reason):
    assert filter_reason(mutant(operator, line), start, MAP, annotation_spans(SOURCE)) == reason


def item():
    spec = MutationSpec(Path("api_server/m.py"), "core/NumberReplacer", 0, (2, 11), (2, 13))
    return WorkItem.single("job", spec)


@pytest.fixture
def trees(tmp_path):
    source = tmp_path / "source"
    (source / "api_server").mkdir(parents=True)
    (source / "api_server" / "m.py").write_text(SOURCE)
    (source / "api_server" / "__pycache__").mkdir()
    return source, copy_tree(source, tmp_path / "copy")


def test_a_trial_mutates_only_the_copy_and_restores_it(trees):
    source, copy = trees
    seen = {}

    def runner(argv, cwd, env, timeout):
        seen["cwd"], seen["text"] = cwd, (cwd / "api_server" / "m.py").read_text()
        return 1, "a test failed"

    outcome = trial.mutate_and_run(copy, item(), ("x.robot",), {}, 5.0, runner=runner)
    assert seen["cwd"] == copy
    assert "11 if page" in seen["text"]
    assert (source / "api_server" / "m.py").read_text() == SOURCE
    assert (copy / "api_server" / "m.py").read_text() == SOURCE
    assert not (copy / "api_server" / "__pycache__").exists()
    assert outcome.result.test_outcome == Verdict.KILLED
    assert "+    return 11 if page" in outcome.result.diff


@pytest.mark.parametrize(
    ("code", "outcome", "timed_out"),
    [
        pytest.param(0, Verdict.SURVIVED, False, id="suites-pass"),
        pytest.param(3, Verdict.KILLED, False, id="suites-fail"),
        pytest.param(None, Verdict.KILLED, True, id="timeout"),
    ],
)
def test_the_verdict_follows_the_suites(trees, code, outcome, timed_out):
    result = trial.mutate_and_run(
        trees[1], item(), ("x.robot",), {}, 5.0, runner=lambda *a: (code, "")
    )
    assert result.result.test_outcome == outcome
    assert result.timed_out is timed_out


def test_an_occurrence_past_the_last_is_no_mutation(trees):
    spec = MutationSpec(Path("api_server/m.py"), "core/NumberReplacer", 99, (2, 11), (2, 13))
    result = trial.mutate_and_run(trees[1], WorkItem.single("j", spec), ("x.robot",), {}, 5.0)
    assert result.result.worker_outcome == WorkerOutcome.NO_TEST


def test_a_module_outside_the_copy_is_refused(trees):
    spec = MutationSpec(
        Path("../source/api_server/m.py"), "core/NumberReplacer", 0, (2, 11), (2, 13)
    )
    with pytest.raises(ValueError, match="outside"):
        trial.mutate_and_run(trees[1], WorkItem.single("j", spec), ("x.robot",), {}, 5.0)


def test_the_trial_runs_the_suites_on_a_fresh_stack_then_the_pytest_targets():
    robot, pytest_run = trial.commands(
        ("marketplace/retrieval.robot", "tests/api_server/test_cli.py")
    )
    assert robot[1:5] == ["-m", "sandbox", "run", "--"]
    assert "--exitonfailure" in robot
    assert robot[robot.index("--suite") + 1] == "Robot.marketplace.retrieval"
    assert pytest_run[1:3] == ["-m", "pytest"]
    assert pytest_run[-2:] == ["-x", "tests/api_server/test_cli.py"]
    (baseline,) = trial.commands(("a.robot",), exit_on_failure=False)
    assert "--exitonfailure" not in baseline


@pytest.mark.parametrize(
    ("codes", "expected", "ran", "killer"),
    [
        pytest.param([0, 0], 0, 2, None, id="both-pass"),
        pytest.param([1, 0], 1, 1, "robot", id="robot-kills-pytest-not-run"),
        pytest.param([0, 2], 2, 2, "pytest", id="pytest-kills"),
    ],
)
def test_the_commands_run_in_turn_until_one_fails(tmp_path, codes, expected, ran, killer):
    calls = []

    def runner(argv, cwd, env, timeout):
        calls.append(argv)
        return codes[len(calls) - 1], ""

    argvs = [["python", "-m", "robot"], ["python", "-m", "pytest"]]
    code, _, killed_by = trial.run_all(argvs, tmp_path, {}, 10.0, runner)
    assert (code, len(calls), killed_by) == (expected, ran, killer)


def test_a_command_past_its_timeout_is_stopped(tmp_path):
    code, _ = trial.run_command(["sleep", "30"], tmp_path, {"PATH": "/usr/bin:/bin"}, 0.5)
    assert code is None


def test_a_session_knows_when_its_modules_changed(trees, tmp_path):
    source, _ = trees
    session = tmp_path / "session.sqlite"
    catalogue.create(session, source, [Path("api_server/m.py")])
    assert catalogue.changed_modules(session, source) == []
    (source / "api_server" / "m.py").write_text(SOURCE + "\nLATER = 2\n")
    assert catalogue.changed_modules(session, source) == ["api_server/m.py"]


def test_a_mutant_cosmic_ray_cannot_plant_is_an_error_and_the_file_is_kept(tmp_path):
    source = "try:\n    pass\nexcept (os.error, ValueError):\n    pass\n"
    (tmp_path / "api_server").mkdir()
    (tmp_path / "api_server" / "m.py").write_text(source)
    spec = MutationSpec(Path("api_server/m.py"), "core/ExceptionReplacer", 0, (3, 8), (3, 16))
    outcome = trial.mutate_and_run(tmp_path, WorkItem.single("j", spec), ("x.robot",), {}, 5.0)
    assert outcome.result.worker_outcome == WorkerOutcome.EXCEPTION
    assert (tmp_path / "api_server" / "m.py").read_text() == source


def test_a_private_database_lives_on_the_shared_server_for_one_trial(dsn):
    with private_database(dsn) as own:
        assert own != dsn
        psycopg2.connect(own).close()
    with pytest.raises(psycopg2.OperationalError, match="does not exist"):
        psycopg2.connect(own).close()
