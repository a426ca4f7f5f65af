import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.context import acting_as
from gridgov.search import index
from gridgov.search.tokens import TOKENIZER_VERSION


class Command(BaseCommand):
    help = (
        "Rebuild the keyword index for the current tokenizer: names and addresses are tokenized "
        "again, phone and ID-number tokens kept (--full: every document rebuilt from the registry, "
        "decrypting phones and ID numbers, e.g. after restoring the registry without its index)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild every document from the registry")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        with acting_as(None, channel="command", username="system:reindex_search"):
            count = index.rebuild_all() if options["full"] else index.retokenize_all()
            record(
                Action.COMMAND,
                object_type="search.searchdoc",
                object_repr="keyword index",
                changes={"documents": count, "full": options["full"], "tokenizer": TOKENIZER_VERSION},
                message=f"keyword index rebuilt: {count} documents",
            )
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt {count:,} search documents in {time.monotonic() - started:.0f} s.")
        )
