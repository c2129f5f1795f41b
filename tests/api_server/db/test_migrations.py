import threading

import psycopg2
import pytest

from api_server.db.migrate import MIGRATIONS_DIR, MigrationError, load_migrations, migrate


def _versions(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [row[0] for row in cur.fetchall()]


def test_applies_every_file_once_in_order(empty_dsn):
    expected = [m.version for m in load_migrations()]
    assert migrate(empty_dsn) == expected
    assert migrate(empty_dsn) == []
    assert _versions(empty_dsn) == expected


def test_concurrent_runs_apply_each_migration_once(empty_dsn):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(migrate(empty_dsn))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied = sorted(v for r in results for v in r)
    assert applied == [m.version for m in load_migrations()]


def test_a_changed_applied_migration_is_refused(empty_dsn, tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE t1 (id int);")
    migrate(empty_dsn, tmp_path)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE t1 (id bigint);")
    with pytest.raises(MigrationError, match="changed"):
        migrate(empty_dsn, tmp_path)


def test_a_failing_migration_leaves_nothing_behind(empty_dsn, tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE t1 (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE t2 (id int); SELECT nonsense;")
    with pytest.raises(psycopg2.Error):
        migrate(empty_dsn, tmp_path)
    assert _versions(empty_dsn) == [1]
    with psycopg2.connect(empty_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('t2')")
        assert cur.fetchone()[0] is None


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["0001_a.sql", "0003_c.sql"], "missing"),
        (["1_bad.sql"], "NNNN_name"),
    ],
)
def test_bad_file_sets_are_refused(tmp_path, names, message):
    for name in names:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=message):
        load_migrations(tmp_path)


def test_shipped_migrations_are_well_formed():
    assert load_migrations(MIGRATIONS_DIR)
