"""`gridgov import households.xlsx --grid 150105006036001 [--commit]`: the Excel import from a shell.

Takes .xlsx, .xls, .ods and .csv (UTF-8 or GBK), as the upload page does.

Without --commit it is a dry run that lists every bad row; with --commit every row is stored or,
if any row is bad, none. Runs as the system (full scope) unless --user names an account whose
scope then applies.
"""

import time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from gridgov.accounts.models import User
from gridgov.core.context import acting_as
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import importing, sheets


class Command(BaseCommand):
    help = "Import households and residents of one grid from a spreadsheet (dry run unless --commit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="path of the .xlsx, .xls, .ods or .csv file (template: /registry/import/)"
        )
        parser.add_argument("--grid", required=True, help="code (15 digits) of the grid the rows belong to")
        parser.add_argument("--commit", action="store_true", help="store the rows (all or nothing)")
        parser.add_argument("--user", help="act as this account (its scope and rights apply)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no such user: {options['user']}")
        started = time.perf_counter()
        with acting_as(user, channel="command", username=None if user else "system:import"):
            try:
                if user is None:
                    grid = Node.objects.filter(level=Level.GRID, code=options["grid"]).first()
                    if grid is None:
                        raise CommandError(f"no grid with code {options['grid']}")
                else:
                    grid = importing.grid_for_import(user, options["grid"])
                report = importing.import_path(
                    options["file"], grid=grid, commit=options["commit"], user=user
                )
            except FileNotFoundError:
                raise CommandError(f"file not found: {options['file']}") from None
            except sheets.ExcelFileError as exc:
                raise CommandError(exc.message) from None
            except (Http404, PermissionDenied):
                raise CommandError(f"grid {options['grid']} is not in {options['user']}'s scope") from None
        elapsed = time.perf_counter() - started
        for notice in report.notices:
            where = " · ".join(
                part for part in (notice.sheet if report.several_sheets else "", notice.column) if part
            )
            self.stderr.write(f"{where or notice.sheet} · {notice.message}")
        for error in report.errors:
            self.stderr.write(
                f"{report.where(error.sheet, error.row)} · {error.column} · {error.problem}"
                + (f" → {error.fix}" if error.fix else "")
            )
        summary = (
            f"{report.rows} rows, {report.households} new households, {report.residents} residents, "
            f"{len(report.errors)} problems, {elapsed:.1f} s"
        )
        if report.errors:
            raise CommandError(f"{summary}; nothing stored" if options["commit"] else f"dry run: {summary}")
        if report.committed:
            self.stdout.write(self.style.SUCCESS(f"Imported into {grid.name}: {summary}"))
        else:
            self.stdout.write(f"Dry run OK ({summary}); run again with --commit to store.")
