"""gridgov.core.sqlite: write transactions on a SQLite file queue on a lock instead of failing."""

import threading
import time

import pytest
from django.db import connection

from gridgov.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only")


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    """These tests open their own database files, outside the test database."""
    with django_db_blocker.unblock():
        yield


def _wrapper(path, alias):
    # A busy timeout far shorter than the other writer's transaction: SQLite alone would say
    # "database is locked".
    settings = {
        **connection.settings_dict,
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.05},
    }
    db = DatabaseWrapper(settings, alias=alias)
    db.ensure_connection()
    return db


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    path = tmp_path / "queue.sqlite3"
    setup = _wrapper(path, "setup")
    setup.cursor().execute("CREATE TABLE t (who TEXT)")
    setup.close()
    first_holds_lock = threading.Event()
    waited: dict[str, float] = {}
    errors: list[BaseException] = []

    def first():
        db = _wrapper(path, "first")
        try:
            db._start_transaction_under_autocommit()
            db.cursor().execute("INSERT INTO t VALUES ('first')")
            first_holds_lock.set()
            time.sleep(0.3)
            db.commit()
        except BaseException as exc:
            errors.append(exc)
            first_holds_lock.set()
        finally:
            db.close()

    def second():
        first_holds_lock.wait()
        db = _wrapper(path, "second")
        try:
            started = time.monotonic()
            db._start_transaction_under_autocommit()
            waited["second"] = time.monotonic() - started
            db.cursor().execute("INSERT INTO t VALUES ('second')")
            db.commit()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert waited["second"] >= 0.2  # it queued behind the first transaction…
    check = _wrapper(path, "check")
    rows = check.cursor().execute("SELECT who FROM t ORDER BY rowid").fetchall()
    check.close()
    assert rows == [("first",), ("second",)]  # …and both writes are in


def test_rollback_and_close_release_the_lock(tmp_path):
    path = tmp_path / "release.sqlite3"
    db = _wrapper(path, "one")
    db.cursor().execute("CREATE TABLE t (n INTEGER)")
    db._start_transaction_under_autocommit()
    db.rollback()
    db._start_transaction_under_autocommit()
    db.close()  # in a transaction: closing gives the lock back too
    other = _wrapper(path, "other")
    started = time.monotonic()
    other._start_transaction_under_autocommit()
    other.cursor().execute("INSERT INTO t VALUES (1)")
    other.commit()
    other.close()
    assert time.monotonic() - started < 1


def test_in_memory_databases_take_no_lock():
    db = _wrapper(":memory:", "memory")
    db._start_transaction_under_autocommit()
    assert db._lock_fd is None
    db.rollback()
    db.close()
