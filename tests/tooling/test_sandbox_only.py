"""The static sandbox-only check: a test that reaches a /_sandbox/ control carries the tag."""

from __future__ import annotations

from pathlib import Path

from tooling import sandbox_only

CONTROLS = """*** Keywords ***
Control Gateway
    [Documentation]    Posts to a sandbox control.
    [Arguments]    ${path}
    Log    ${STRIPE_API_BASE}/_sandbox/${path}

Withhold Webhooks
    [Documentation]    A keyword that reaches a control through another.
    Control Gateway    webhooks/pause

Buy Something
    [Documentation]    What a real buyer does: no control.
    Log    buying
"""


def _tree(tmp_path: Path, tests: str) -> Path:
    (tmp_path / "keywords" / "libraries").mkdir(parents=True)
    (tmp_path / "keywords" / "sandbox_controls.resource").write_text(CONTROLS)
    (tmp_path / "robot" / "payments").mkdir(parents=True)
    suite = "*** Settings ***\nResource    ../../keywords/sandbox_controls.resource\n\n"
    (tmp_path / "robot" / "payments" / "late.robot").write_text(suite + tests)
    return tmp_path


def test_the_suite_as_it_is_passes():
    assert sandbox_only.violations() == []


def test_a_planted_test_that_reaches_a_control_without_the_tag_is_found(tmp_path: Path):
    root = _tree(
        tmp_path,
        "*** Test Cases ***\n"
        "Tagged\n    [Tags]    sandbox-only\n    Withhold Webhooks\n\n"
        "Planted\n    [Tags]    payments\n    Buy Something\n    Wait Until Keyword Succeeds"
        "    3x    1s    Withhold Webhooks\n\n"
        "Harmless\n    [Tags]    payments\n    Buy Something\n",
    )
    assert sandbox_only.violations(root) == [
        "robot/payments/late.robot: Planted (reaches Withhold Webhooks)"
    ]


def test_a_control_in_the_suite_setup_needs_the_tag_on_every_test(tmp_path: Path):
    root = _tree(tmp_path, "")
    suite = root / "robot" / "payments" / "late.robot"
    suite.write_text(
        "*** Settings ***\nResource    ../../keywords/sandbox_controls.resource\n"
        "Suite Setup    Withhold Webhooks\n\n*** Test Cases ***\n"
        "Looks Harmless\n    [Tags]    payments\n    Buy Something\n"
    )
    assert sandbox_only.violations(root) == [
        "robot/payments/late.robot: Looks Harmless (reaches Withhold Webhooks)"
    ]


def test_a_control_written_outside_its_home_is_found(tmp_path: Path):
    root = _tree(
        tmp_path, "*** Test Cases ***\nHarmless\n    [Tags]    payments\n    Buy Something\n"
    )
    (root / "keywords" / "purchases.resource").write_text(
        "*** Keywords ***\nPeek At The Sandbox\n    [Documentation]    A stray control.\n"
        "    Log    ${FLUTTERWAVE_API_BASE}/_sandbox/checkouts\n"
    )
    assert sandbox_only.violations(root) == [
        "keywords/purchases.resource: Peek At The Sandbox"
        " (a /_sandbox/ call outside keywords/sandbox_controls.resource)"
    ]
