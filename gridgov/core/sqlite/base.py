"""SQLite, with writers queued on a file lock instead of SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the database locked waits in
SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and polls: with a web server's
twenty threads reporting events at once, most of a request's time became sleeping after the lock
had long been free, and a writer unlucky enough to poll at the wrong moments hit the timeout
("database is locked"). Here every write transaction (`BEGIN IMMEDIATE`, see settings) first takes
an exclusive `flock` on a file next to the database: the kernel queues the waiters and wakes the
next one the moment the lock is released, across threads and processes (the web server, the
worker, commands). The lock is released at COMMIT or ROLLBACK, or when the connection closes (or
its process dies). In-memory databases (tests) have no file and no other process: no lock.
"""

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held = False

    def _writes_queued(self) -> bool:
        mode = (self.settings_dict.get("OPTIONS") or {}).get("transaction_mode")
        return mode in {"IMMEDIATE", "EXCLUSIVE"} and not self.is_in_memory_db()

    def _take_write_lock(self) -> None:
        if self._lock_held or not self._writes_queued():
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{self.settings_dict['NAME']}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._lock_held = True

    def _release_write_lock(self) -> None:
        if self._lock_held and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in the stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
