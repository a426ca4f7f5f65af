from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gridgov.audit.models import ChainHead
from gridgov.audit.verify import BATCH_SIZE, verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `gridgov audit verify` checks the hash chain and exits non-zero if it is broken."

    def add_arguments(self, parser: CommandParser) -> None:
        # A positional choice rather than sub-parsers, so `gridgov audit verify -v 0` works too.
        parser.add_argument(
            "subcommand",
            choices=["verify"],
            help="verify: recompute every row's hash and check the chain and its head",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="rows read per query (verify)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(batch_size=max(1, options["batch_size"]), show_progress=options["verbosity"] >= 1)

    def verify(self, *, batch_size: int, show_progress: bool) -> None:
        head = ChainHead.objects.filter(pk=1).first()
        total = head.seq if head is not None else 0
        if show_progress and total > batch_size:
            columns = (TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
                task = progress.add_task("verify", total=total)
                result = verify_chain(batch_size, lambda done: progress.update(task, completed=done))
        else:
            result = verify_chain(batch_size)
        if not result.ok:
            raise CommandError(result.describe(), returncode=1)
        self.stdout.write(self.style.SUCCESS(result.describe()))
