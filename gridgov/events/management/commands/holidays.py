"""`gridgov holidays load|check [--year Y …]`: the official calendar from chinese-calendar."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridgov.events import holidays


class Command(BaseCommand):
    help = (
        "load: add the official public holidays and make-up working days of the years (default: this "
        "year and next, as far as chinese-calendar knows them) to the editable holiday table; "
        "check: list where the table disagrees with the official arrangement (exit 1 if it does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load", "check"])
        parser.add_argument("--year", type=int, action="append", dest="years", help="a year (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        known = holidays.known_years()
        this = timezone.localdate().year
        years = options["years"] or [y for y in (this, this + 1) if y in known]
        unknown = [y for y in years if y not in known]
        if unknown:
            raise CommandError(
                f"chinese-calendar 不含 {', '.join(map(str, unknown))} 年的节假日安排（已知 {known.start}–"
                f"{known.stop - 1}）：升级 chinesecalendar，或在管理后台“节假日”中录入"
            )
        if options["action"] == "load":
            for year in years:
                self.stdout.write(f"{year}: 新增 {holidays.load_year(year)} 天")
            return
        problems = [line for year in years for line in holidays.differences(year)]
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"节假日表与官方安排有 {len(problems)} 处不一致")
        self.stdout.write(f"{', '.join(map(str, years))}: 与官方安排一致")
