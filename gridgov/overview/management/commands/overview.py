from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridgov.core.context import acting_as
from gridgov.overview import rollups


class Command(BaseCommand):
    help = "The overview's rollups: `rebuild` counts everything again, `catch-up` what changed since the last pass."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "catch-up"])

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(None, channel="command", username="system:overview"):
            if options["action"] == "rebuild":
                self.stdout.write(f"rollups rebuilt: {rollups.rebuild()} rows")
            else:
                self.stdout.write(f"rollups: {rollups.catch_up().as_dict()}")
