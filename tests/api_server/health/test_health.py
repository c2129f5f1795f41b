import falcon.testing
import psycopg2

from api_server.db.migrate import migrate
from tests.factories import app_config, make_app


def test_ready_when_database_answers_and_schema_is_current(app):
    result = falcon.testing.TestClient(app).simulate_get("/api/health/ready")
    assert result.status_code == 200
    assert result.json["checks"] == {"database": "ok", "migrations": "ok"}


def test_not_ready_while_migrations_are_pending(empty_dsn):
    app = make_app(app_config(empty_dsn))
    result = falcon.testing.TestClient(app).simulate_get("/api/health/ready")
    assert result.status_code == 503
    assert result.json["check"] == "migrations"
    migrate(empty_dsn)
    assert falcon.testing.TestClient(app).simulate_get("/api/health/ready").status_code == 200
    app.services.close()


def test_readiness_follows_the_database_down_and_back(postgres, dsn):
    """The same app (same pool) reports 503 while PostgreSQL is down and 200 once it is back."""
    app = make_app(app_config(dsn))
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/api/health/ready").status_code == 200
    postgres.stop()
    try:
        down = client.simulate_get("/api/health/ready")
        assert down.status_code == 503
        assert down.json["check"] == "database"
    finally:
        postgres.admin_dsn = postgres.start().replace("/mining_marketplace?", "/postgres?")
    assert client.simulate_get("/api/health/ready").status_code == 200
    app.services.close()


def test_liveness_needs_no_database():
    app = make_app(app_config("postgresql://nobody@/none?host=/nonexistent"))
    assert falcon.testing.TestClient(app).simulate_get("/api/health").json == {"status": "ok"}


def test_transaction_rolls_back_on_error(app):
    try:
        with app.services.db.transaction() as cur:
            cur.execute("INSERT INTO outbox (kind, payload) VALUES ('t', '{}')")
            raise ValueError("boom")
    except ValueError:
        pass
    with app.services.db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM outbox")
        assert cur.fetchone()["n"] == 0


def test_audit_rows_cannot_be_changed(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO audit_log (action, target_type, target_id) VALUES ('a','b','c')")
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute("DELETE FROM audit_log")
                raise AssertionError("delete should fail")
            except psycopg2.Error as exc:
                assert "cannot be changed" in str(exc)
    finally:
        conn.close()
