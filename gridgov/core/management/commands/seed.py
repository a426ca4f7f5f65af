from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.context import acting_as
from gridgov.core.seeding import SCALES, run_seed
from gridgov.hierarchy.models import Node


class Command(BaseCommand):
    help = "Load the Hohhot demo city (--scale demo) or the full 5,880-grid city (--scale city)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="demo")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the database has a city already"
        )
        parser.add_argument("--seed", type=int, default=2024, help="random seed (same seed, same city)")

    def handle(self, *args: Any, **options: Any) -> None:
        if Node.objects.filter(parent__isnull=True).exists():
            if options["if_empty"]:
                self.stdout.write("The database already has a city; nothing loaded.")
                return
            raise CommandError(
                "The database already has a city. Seed an empty database "
                "(e.g. remove var/gridgov.sqlite3 and run `gridgov migrate`), or pass --if-empty."
            )
        with acting_as(None, channel="command", username="system:seed"):
            run_seed(options["scale"], seed=options["seed"], quiet=options["verbosity"] == 0)
        self.stdout.write(self.style.SUCCESS(f"Seeded the {options['scale']} city."))
