"""The coverage model: operations and statuses seen, figures, the gate, state machines."""

import json

import pytest

from tooling.report import coverage, transitions

DOCUMENT = {
    "paths": {
        "/api/things": {
            "get": {"responses": {"200": {}, "401": {}, "default": {}}},
            "post": {"responses": {"201": {}, "409": {}, "422": {}}},
        },
        "/api/things/{id}": {"delete": {"responses": {"204": {}, "404": {}}}},
    }
}


def record(operation, status, test="Suite.A Test", ms=10.0):
    method, _, path = (operation or "GET /api/nothing").partition(" ")
    return {
        "operation": operation,
        "method": method,
        "path": path,
        "status": status,
        "ms": ms,
        "test": test,
    }


RECORDS = [
    record("GET /api/things", 200),
    record("GET /api/things", 200, test="Suite.Other"),
    record("GET /api/things", 401),
    record("POST /api/things", 201),
    record("POST /api/things", 409),
    record("POST /api/things", 500),
    record(None, 405),
]


def test_each_operation_lists_documented_statuses_without_default():
    rows = {r["operation"]: r for r in coverage.operations(DOCUMENT, RECORDS)}
    assert rows["GET /api/things"]["documented"] == ["200", "401"]
    assert rows["GET /api/things"]["seen"]["200"] == ["Suite.A Test", "Suite.Other"]
    assert rows["POST /api/things"]["missing"] == ["422"]
    assert rows["POST /api/things"]["undocumented"] == ["500"]
    assert rows["DELETE /api/things/{id}"]["seen"] == {}


def test_figures_count_operations_and_error_statuses():
    rows = coverage.operations(DOCUMENT, RECORDS)
    moves = {"payments": [{"seen": True}], "listings": [{"seen": False}]}
    figures = coverage.figures(rows, moves)
    assert figures["operations"] == {"seen": 2, "total": 3, "percent": 66.7}
    # Errors documented: 401, 409, 422, 404; seen: 401, 409.
    assert figures["error_statuses"] == {"seen": 2, "total": 4, "percent": 50.0}
    assert figures["transitions"]["percent"] == 50.0


def test_the_gate_names_each_shortfall():
    figures = {
        "operations": {"seen": 3, "total": 3, "percent": 100.0},
        "error_statuses": {"seen": 8, "total": 10, "percent": 80.0},
        "transitions": {"seen": 4, "total": 4, "percent": 100.0},
    }
    assert coverage.gate(figures) == ["error statuses: 80.0% < 90% (8 of 10)"]


def test_unmatched_requests_are_counted():
    assert coverage.unmatched(RECORDS) == [
        {"method": "GET", "path": "/api/nothing", "status": 405, "count": 1}
    ]


def test_build_reads_every_process_file(tmp_path):
    (tmp_path / "openapi.json").write_text(json.dumps(DOCUMENT))
    (tmp_path / "requests-1.json").write_text(json.dumps(RECORDS[:3]))
    (tmp_path / "requests-2.json").write_text(json.dumps(RECORDS[3:]))
    (tmp_path / "transitions-1.json").write_text(
        json.dumps({"listings": [["create", None, None]], "listings_erased": 0, "payments": []})
    )
    report = coverage.build(tmp_path)
    assert report["requests"] == len(RECORDS)
    assert report["state_recorded"]
    assert report["timings"]["GET /api/things"]["count"] == 3


@pytest.mark.parametrize(
    ("row", "move"),
    [
        (["create", None, None], ("create", None, "pending_review")),
        (["approve", "rejected", "active"], ("approve", "rejected", "active")),
        (["archive", "active", "archived"], ("archive", "any", "archived")),
    ],
    ids=["create", "approve-rejected", "archive-from-anything"],
)
def test_listing_history_rows_name_machine_moves(row, move):
    assert transitions.seen_listing_moves({"listings": [row]}) == {move}


def test_machines_come_from_the_api_rules():
    assert (None, "pending") in transitions.payment_machine()
    assert ("succeeded", "refunded") in transitions.payment_machine()
    assert ("reject", "pending_review", "rejected") in transitions.listing_machine()
    assert ("delete", "any", "erased") in transitions.listing_machine()


def test_compare_flags_moves_the_machine_does_not_allow():
    seen = {"payments": [["refunded", "succeeded"], [None, "pending"]], "listings_erased": 1}
    result = transitions.compare([seen])
    assert {"machine": "payments", "from": "refunded", "to": "succeeded"} in result["unexpected"]
    assert next(m for m in result["payments"] if m["from"] is None)["seen"]
    assert next(m for m in result["listings"] if m["action"] == "delete")["seen"]
