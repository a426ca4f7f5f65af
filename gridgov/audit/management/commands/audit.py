from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gridgov.audit import checkpoints
from gridgov.audit.models import ChainHead
from gridgov.audit.rechain import RechainRefused, rechain
from gridgov.audit.verify import BATCH_SIZE, verify_chain


class Command(BaseCommand):
    help = (
        "Audit log tools. `verify` checks the MAC chain and every checkpoint and exits non-zero if "
        "either is broken; `checkpoint` appends a signed checkpoint of the chain head; `rechain` "
        "re-chains a log written before the chain was keyed, once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # A positional choice rather than sub-parsers, so `gridgov audit verify -v 0` works too.
        parser.add_argument(
            "subcommand",
            choices=["verify", "checkpoint", "rechain"],
            help=(
                "verify: recompute every row's MAC, check the chain, its head and the checkpoints; "
                "checkpoint: append a signed checkpoint of the head to GRIDGOV_PRIVATE_DIR; "
                "rechain: re-chain rows written before the chain was keyed (once, before any checkpoint)"
            ),
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="rows read per query")
        parser.add_argument(
            "--checkpoints",
            action="append",
            type=Path,
            metavar="FILE",
            help="(verify) a checkpoint file to check, e.g. a copy from append-only storage; repeat for "
            "several; default: the file in GRIDGOV_PRIVATE_DIR",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, options["batch_size"])
        if options["subcommand"] == "verify":
            self.verify(
                batch_size=batch_size,
                show_progress=options["verbosity"] >= 1,
                files=options["checkpoints"],
            )
        elif options["subcommand"] == "checkpoint":
            self.checkpoint()
        else:
            self.rechain(batch_size)

    def verify(self, *, batch_size: int, show_progress: bool, files: list[Path] | None) -> None:
        for path in files or ():
            if not path.is_file():
                raise CommandError(f"--checkpoints {path}: no such file", returncode=2)
        head = ChainHead.objects.filter(pk=1).first()
        total = head.seq if head is not None else 0
        if show_progress and total > batch_size:
            columns = (TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
                task = progress.add_task("verify", total=total)
                result = verify_chain(batch_size, lambda done: progress.update(task, completed=done), files)
        else:
            result = verify_chain(batch_size, checkpoint_files=files)
        if not result.ok:
            raise CommandError(result.describe(), returncode=1)
        self.stdout.write(self.style.SUCCESS(result.describe()))

    def checkpoint(self) -> None:
        try:
            written = checkpoints.write_checkpoint()
        except checkpoints.ChainNotKeyed as exc:
            raise CommandError(str(exc), returncode=1) from None
        except OSError as exc:
            raise CommandError(f"cannot write {checkpoints.default_path()}: {exc}", returncode=1) from None
        if written is None:
            self.stdout.write("the audit log is empty: nothing to checkpoint")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"checkpoint #{written.seq} {written.hash} appended to {checkpoints.default_path()}"
            )
        )

    def rechain(self, batch_size: int) -> None:
        try:
            result = rechain(batch_size)
        except RechainRefused as exc:
            raise CommandError(f"rechain refused: {exc}", returncode=1) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"re-chained {result.rows} rows under the keyed MAC ({result.unkeyed_rows} were unkeyed); "
                f"checkpoint #{result.checkpoint.seq if result.checkpoint else 0} written to "
                f"{checkpoints.default_path()}"
            )
        )
