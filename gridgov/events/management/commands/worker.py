import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from gridgov.events.worker import run_once
from gridgov.registry import exports


class Command(BaseCommand):
    help = ("Background worker: mark overdue events, escalate them one level, notify; build queued Excel "
            "exports (loop; --once for one pass).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                summary = {**run_once().as_dict(), **exports.run_pending()}
            except Exception as exc:  # keep the loop alive; the next pass retries
                if options["once"]:
                    raise
                self.stderr.write(f"worker pass failed: {exc!r}")
            else:
                if options["once"] or any(summary[k] for k in ("marked_overdue", "escalated", "exports_built",
                                                                 "exports_failed", "exports_expired")):
                    self.stdout.write(f"worker: {summary}")
            if options["once"]:
                return
            # Drop a connection the database closed meanwhile (a long-running loop, like a request end).
            close_old_connections()
            time.sleep(max(options["interval"], 1.0))
