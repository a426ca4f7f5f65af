import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from gridgov.audit import checkpoints
from gridgov.care import services as care
from gridgov.events.queue import QUEUE_BATCH, write_queued_reports
from gridgov.events.worker import run_once
from gridgov.mobile import changes as sync_changes
from gridgov.overview import reports as overview_reports
from gridgov.patrols import services as patrols
from gridgov.registry import exports

# Overdue visits are looked for at most this often (a visit falls overdue at midnight; the
# pass reads every overdue schedule of the city, so not every 30 s).
REMINDER_INTERVAL = 600.0


class Command(BaseCommand):
    warned_unkeyed = False
    reminded_at = 0.0
    help = (
        "Background worker: write queued reports (Prefer: respond-async) as events; mark overdue events, "
        "escalate them one level, notify; build queued Excel exports; purge patrol tracks past their "
        "keeping period; remind workers of overdue care visits; checkpoint the audit chain; keep the overview's rollups current and build "
        "its reports (loop; --once for one pass)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="seconds between passes over the clocks"
        )
        parser.add_argument(
            "--queue-interval",
            type=float,
            default=0.1,
            help="seconds between looks at the report queue when it is empty",
        )
        parser.add_argument(
            "--rollup-interval",
            type=float,
            default=15.0,
            help="seconds between passes over the overview's rollups (a change shows within 60 s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.write_queue(stop=None, idle=0)
            self.run_pass(once=True)
            self.keep_rollups(stop=None, interval=0)
            return
        # Queued reports are written by their own thread: a pass that builds a large export
        # takes minutes, and a phone waits for its report in about a second.
        stop = threading.Event()
        writer = threading.Thread(
            target=self.write_queue, args=(stop, options["queue_interval"]), name="report-queue", daemon=True
        )
        writer.start()
        # The overview's rollups on their own thread too: a pass building an export must not
        # hold a change back from the overview for minutes.
        rollup_keeper = threading.Thread(
            target=self.keep_rollups,
            args=(stop, options["rollup_interval"]),
            name="overview-rollups",
            daemon=True,
        )
        rollup_keeper.start()
        try:
            while True:
                self.run_pass(once=False)
                # Drop a connection the database closed meanwhile (a long-running loop, like a request end).
                close_old_connections()
                time.sleep(max(options["interval"], 1.0))
        finally:
            stop.set()
            writer.join(timeout=10)
            rollup_keeper.join(timeout=10)

    def run_pass(self, *, once: bool) -> None:
        try:
            summary: dict[str, Any] = {
                **run_once().as_dict(),
                **exports.run_pending(),
                **overview_reports.run_pending(),
                "sync_changes_pruned": sync_changes.prune(),
                "patrol_tracks_purged": patrols.purge_tracks(),
                "patrol_findings_linked": patrols.link_reported_findings(),
                "visit_overdue_notices": self.remind_overdue_visits(once=once),
            }
        except Exception as exc:  # keep the loop alive; the next pass retries
            if once:
                raise
            self.stderr.write(f"worker pass failed: {exc!r}")
            return
        summary["audit_checkpoint"] = self.checkpoint_audit_chain(once=once)
        if once or any(
            summary[k]
            for k in (
                "marked_overdue",
                "escalated",
                "follow_ups_overdue",
                "exports_built",
                "exports_failed",
                "exports_expired",
                "patrol_tracks_purged",
                "visit_overdue_notices",
                "reports_queued",
                "reports_built",
                "reports_failed",
            )
        ):
            self.stdout.write(f"worker: {summary}")

    def remind_overdue_visits(self, *, once: bool) -> int:
        """Notices of visits gone overdue (gridgov.care.services), every REMINDER_INTERVAL s."""
        if not once and time.monotonic() - self.reminded_at < REMINDER_INTERVAL:
            return 0
        self.reminded_at = time.monotonic()
        return care.notify_overdue_visits()

    def checkpoint_audit_chain(self, *, once: bool) -> int | None:
        """Pin the audit chain's head outside the database when it grew (AUDIT_CHECKPOINT_INTERVAL)."""
        try:
            written = checkpoints.write_if_due(interval=0 if once else None)
        except checkpoints.ChainNotKeyed as exc:
            if not self.warned_unkeyed:
                self.stderr.write(f"audit checkpoints paused: {exc}")
                self.warned_unkeyed = True
            return None
        except Exception as exc:  # a full disk must not stop the worker's other duties
            if once:
                raise
            self.stderr.write(f"audit checkpoint failed: {exc!r}")
            return None
        return written.seq if written is not None else None

    def write_queue(self, stop: threading.Event | None, idle: float) -> None:
        """Write the report queue until it is empty (`stop` None: once), else keep looking every `idle` s."""
        try:
            while stop is None or not stop.is_set():
                try:
                    result = write_queued_reports()
                except Exception as exc:  # keep the loop alive; the rows stay queued for the next look
                    if stop is None:
                        raise
                    self.stderr.write(f"writing queued reports failed: {exc!r}")
                    close_old_connections()
                    stop.wait(max(idle, 1.0))
                    continue
                if stop is None and (result.written or result.failed):
                    self.stdout.write(
                        f"worker: wrote {result.written} queued reports, {result.failed} failed"
                    )
                if result.written + result.failed < QUEUE_BATCH:
                    if stop is None:
                        return
                    stop.wait(idle)
        finally:
            if stop is not None:
                connection.close()

    def keep_rollups(self, stop: threading.Event | None, interval: float) -> None:
        """Recount the overview's figures that changed (`stop` None: once), then every `interval` s."""
        from gridgov.overview import rollups

        try:
            while True:
                try:
                    result = rollups.catch_up()
                except Exception as exc:  # keep the loop alive; the watermark did not move
                    if stop is None:
                        raise
                    self.stderr.write(f"overview rollups failed: {exc!r}")
                    close_old_connections()
                else:
                    if stop is None or result.full or result.stocks_recounted:
                        self.stdout.write(f"worker: {result.as_dict()}")
                if stop is None or stop.wait(max(interval, 1.0)):
                    return
        finally:
            if stop is not None:
                connection.close()
