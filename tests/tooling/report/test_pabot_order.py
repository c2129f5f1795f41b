"""resources/pabot-order.txt: generated from a run's timings, checked against the suite files."""

from __future__ import annotations

from pathlib import Path

from tooling.report import pabot_order


def test_the_committed_order_names_every_suite_once():
    text = pabot_order.ORDER.read_text(encoding="utf-8")
    assert pabot_order.problems(text, pabot_order.suites()) == []


def test_a_suite_left_out_named_twice_or_gone_is_reported(tmp_path: Path):
    robot = tmp_path / "robot"
    (robot / "payments").mkdir(parents=True)
    for name in ("read_only.robot", "refunds.robot", "__init__.robot"):
        (robot / "payments" / name).write_text("*** Test Cases ***\n")
    expected = pabot_order.suites(robot)
    assert expected == ["Robot.Payments.Read Only", "Robot.Payments.Refunds"]
    planted = "{\n--suite Robot.Payments.Refunds\n--suite Robot.Payments.Refunds\n"
    planted += "--suite Robot.Payments.Gone\n}\n"
    assert pabot_order.problems(planted, expected) == [
        "missing from the order: Robot.Payments.Read Only",
        "named 2 times: Robot.Payments.Refunds",
        "no such suite: Robot.Payments.Gone",
    ]


def test_groups_are_balanced_longest_first_and_a_new_suite_counts_as_the_median():
    seconds = {"A": 30.0, "B": 20.0, "C": 10.0, "D": 10.0}
    order = pabot_order.balance(["A", "B", "C", "D", "New"], seconds, groups=2)
    # Longest first into the group that ends soonest; the new suite costs the median, 15 s.
    assert order == [["A", "C"], ["B", "New", "D"]]
    assert sorted(n for group in order for n in group) == ["A", "B", "C", "D", "New"]
    assert pabot_order.named(pabot_order.render(order)) == [n for g in order for n in g]


def test_a_suite_that_reads_the_others_data_waits_for_every_group():
    names = ["Robot.Deployment.Read Only", "Robot.Payments.Refunds", "Robot.Users.Login"]
    seconds = {"Robot.Deployment.Read Only": 9.0, "Robot.Payments.Refunds": 5.0}
    order = pabot_order.balance(names, seconds, 2)
    # The new Login counts as the median (7 s) and goes first; the reader waits apart.
    assert order == [
        ["Robot.Users.Login"],
        ["Robot.Payments.Refunds"],
        ["Robot.Deployment.Read Only"],
    ]
    text = pabot_order.render(order)
    assert text.endswith("}\n#WAIT\n{\n--suite Robot.Deployment.Read Only\n}\n")
    assert pabot_order.problems(text, sorted(names)) == []
    planted = "{\n--suite Robot.Deployment.Read Only\n--suite Robot.Payments.Refunds\n}\n"
    assert pabot_order.problems(
        planted, ["Robot.Deployment.Read Only", "Robot.Payments.Refunds"]
    ) == ["runs before the #WAIT: Robot.Deployment.Read Only"]
    wrong = (
        "{\n--suite Robot.Deployment.Read Only\n}\n#WAIT\n{\n--suite Robot.Payments.Refunds\n}\n"
    )
    assert pabot_order.problems(
        wrong, ["Robot.Deployment.Read Only", "Robot.Payments.Refunds"]
    ) == [
        "runs before the #WAIT: Robot.Deployment.Read Only",
        "waits for the others but need not: Robot.Payments.Refunds",
    ]
