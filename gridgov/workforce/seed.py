"""Worker files for every full-time grid worker, their grades and three years of approved
assessments (2023–2025), the counties' pay tables and contribution rates for 2024–2027.

demo: the results follow ten patterns in turn, so the 2025 promotion run of any county shows
every rule at work — three years 合格 (+1), three years 优秀 (+2), 优秀 at grade 11 (capped at 12),
grade 12 (stays), a broken streak, 优秀 优秀 合格 (the better rule: +1), promoted last year (the
count restarted), hired two years ago, a year 不合格, 合格 优秀 优秀 (+1). 高波 (gaobo) has three
years 优秀; 姚辛 (laogangfang_worker) three years 合格.
city: the same for all 5,880 workers with results drawn at realistic shares; bulk INSERTs.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.assessment.models import Assessment, AssessmentScheme, AssessmentStep, Result, Status, StepKind
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext, db_value, insert_rows
from gridgov.hierarchy.models import Level, Node
from gridgov.registry.seed_people import FALLBACK_AREA, Sealer, check_digit
from gridgov.workforce import pii
from gridgov.workforce.models import (
    ContractKind,
    ContributionRates,
    Education,
    GradeChange,
    GradeChangeKind,
    PayScale,
    WorkerFile,
)

E, Q, B, U = Result.EXCELLENT.value, Result.QUALIFIED.value, Result.BASIC.value, Result.UNQUALIFIED.value
YEARS = (2023, 2024, 2025)
PAY_YEARS = (2024, 2025, 2026, 2027)
# (results 2023–2025 (None: not yet hired), grade, promoted in the 2023 run (effective 2024))
PATTERNS: list[tuple[tuple[str | None, ...], int, bool]] = [
    ((Q, Q, Q), 4, False),
    ((E, E, E), 5, False),
    ((E, E, E), 11, False),
    ((Q, Q, Q), 12, False),
    ((Q, B, Q), 3, False),
    ((E, E, Q), 6, False),
    ((Q, Q, Q), 5, True),
    ((None, Q, Q), 1, False),
    ((Q, Q, U), 7, False),
    ((Q, E, E), 8, False),
]
FIXED = {"惠民社区第一网格": 1, "老缸房社区第一网格": 0}
URBAN = {"150102", "150103", "150104", "150105"}
SCORES = {E: (90, 98), Q: (75, 89), B: (62, 69), U: (48, 59)}


def _city_pattern(ctx: SeedContext) -> tuple[tuple[str | None, ...], int, bool]:
    draw = ctx.rng.choices([E, Q, B, U], weights=[15, 76, 6, 3], k=3)
    return tuple(draw), ctx.rng.randint(1, 12), ctx.rng.random() < 0.15


def _monthly_pay(county_code: str, year: int, grade: int) -> Decimal:
    start, step = (3600, 200) if county_code in URBAN else (3300, 180)
    pay = (start + step * (grade - 1)) * (1.03 ** (year - 2024))
    return Decimal(round(pay / 10) * 10).quantize(Decimal("0.01"))


def _rates(county_code: str, year: int) -> dict[str, Decimal]:
    growth = Decimal("1.035") ** (year - 2024)
    return {
        "base_floor": (Decimal("4300") * growth).quantize(Decimal("1")),
        "base_ceiling": (Decimal("21500") * growth).quantize(Decimal("1")),
        "pension_rate": Decimal("0.16"),
        "medical_rate": Decimal("0.08") if county_code in URBAN else Decimal("0.075"),
        "unemployment_rate": Decimal("0.005"),
        "injury_rate": Decimal("0.004"),
        "housing_fund_rate": Decimal("0.10") if county_code in URBAN else Decimal("0.08"),
    }


def _id_number(ctx: SeedContext, birth: datetime.date, sex: str) -> str:
    serial = ctx.rng.randint(0, 49) * 2 + (1 if sex == "M" else 0)
    body = f"{FALLBACK_AREA}{birth:%Y%m%d}{ctx.rng.randint(0, 9)}{serial:02d}"
    return body + check_digit(body)


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    counties = list(Node.objects.filter(level=Level.COUNTY))
    _seed_tables(counties)
    workers = list(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER)
        .order_by("node__path")
        .values_list("user_id", "user__full_name", "node_id", "node__path", "node__county_code", "node__name")
    )
    sealer = Sealer()
    now = db_value(WorkerFile, "created_at", timezone.now())
    plans: dict[int, tuple[tuple[str | None, ...], int, bool, str, str]] = {}

    def file_rows() -> Any:
        for n, (user_id, name, grid_id, path, county, grid_name) in enumerate(
            ctx.track(workers, "网格员档案")
        ):
            pattern = _city_pattern(ctx) if ctx.is_city else PATTERNS[FIXED.get(grid_name, n % len(PATTERNS))]
            results, grade, promoted = pattern
            plans[user_id] = (results, grade, promoted, path, county)
            sex = ctx.rng.choice("MF")
            birth = datetime.date(ctx.rng.randint(1972, 1998), ctx.rng.randint(1, 12), ctx.rng.randint(1, 28))
            hired = (
                datetime.date(2024, 3, 1)
                if results[0] is None
                else datetime.date(ctx.rng.randint(2010, 2021), ctx.rng.randint(1, 12), 1)
            )
            phone = f"1{ctx.rng.choice('3578')}{ctx.rng.randint(0, 999999999):09d}"
            yield (
                user_id,
                grid_id,
                path,
                county,
                name or f"网格员{n + 1}",
                sex,
                birth.isoformat(),
                sealer.encrypt(_id_number(ctx, birth, sex), pii.ID_NUMBER_CONTEXT.encode()),
                sealer.encrypt(phone, pii.PHONE_CONTEXT.encode()),
                ctx.rng.choice(list(Education.values)),
                hired.isoformat(),
                ContractKind.LABOUR,
                datetime.date(2027, hired.month, 1).isoformat(),
                grade,
                "active",
                "",
                "",
                1,
                now,
                now,
            )

    insert_rows(
        WorkerFile,
        [
            "user",
            "grid",
            "path",
            "county_code",
            "name",
            "sex",
            "birth_date",
            "id_number_enc",
            "phone_enc",
            "education",
            "hire_date",
            "contract_kind",
            "contract_end",
            "grade",
            "status",
            "departure_reason",
            "departure_note",
            "version",
            "created_at",
            "updated_at",
        ],
        file_rows(),
    )
    files = dict(WorkerFile.objects.values_list("user_id", "pk"))
    hires = dict(WorkerFile.objects.values_list("pk", "hire_date"))
    _history(ctx, plans, files, hires, now)
    analyze([WorkerFile, GradeChange, Assessment, AssessmentStep])
    record(
        Action.COMMAND,
        object_type="workforce.workerfile",
        message=f"seed {ctx.scale}: {len(files)} worker files with grades and assessments {YEARS[0]}–{YEARS[-1]}",
    )
    ctx.say(f"[green]Workforce:[/green] {len(files)} worker files, assessments {YEARS[0]}–{YEARS[-1]}")


def _history(
    ctx: SeedContext,
    plans: dict[int, tuple[tuple[str | None, ...], int, bool, str, str]],
    files: dict[int, int],
    hires: dict[int, Any],
    now: Any,
) -> None:
    changes: list[tuple[Any, ...]] = []
    assessments: list[tuple[Any, ...]] = []
    for user_id, (results, grade, promoted, path, county) in plans.items():
        worker = files[user_id]
        hired = hires[worker]
        hired_year = hired.year if isinstance(hired, datetime.date) else int(str(hired)[:4])
        first = grade - 1 if promoted and grade > 1 else grade
        changes.append((worker, path, county, hired_year, None, first, GradeChangeKind.HIRE, "入职定档", now))
        if promoted and grade > 1:
            reason = "2021–2023年度连续三年合格及以上，晋升一档"
            changes.append((worker, path, county, 2024, first, grade, GradeChangeKind.PROMOTION, reason, now))
        for year, result in zip(YEARS, results, strict=True):
            if result is None:
                continue
            low, high = SCORES[result]
            score = Decimal(ctx.rng.randint(low * 10, high * 10)) / 10
            assessments.append((worker, path, county, year, str(score), result))
    insert_rows(
        GradeChange,
        ["worker", "path", "county_code", "year", "from_grade", "to_grade", "kind", "reason", "created_at"],
        changes,
    )
    empty = db_value(Assessment, "indicators", {})
    insert_rows(
        Assessment,
        [
            "worker",
            "path",
            "county_code",
            "year",
            "total_score",
            "result",
            "committee_score",
            "indicators",
            "status",
            "note",
            "appeal_reason",
            "appeal_decision",
            "version",
            "updated_at",
        ],
        (
            (w, p, c, y, s, r, s, empty, Status.APPROVED, "", "", "", 1, now)
            for w, p, c, y, s, r in ctx.track(assessments, "年度考核")
        ),
    )
    rows = Assessment.objects.values_list("pk", "path", "county_code", "result")
    insert_rows(
        AssessmentStep,
        ["assessment", "path", "county_code", "kind", "result", "note", "at"],
        ((pk, p, c, StepKind.APPROVED, r, "历史数据导入", now) for pk, p, c, r in rows),
    )


def _seed_tables(counties: list[Node]) -> None:
    pays, rates, schemes = [], [], []
    for county in counties:
        for year in PAY_YEARS:
            for grade in range(1, 13):
                pays.append(
                    PayScale(
                        path=county.path,
                        county_code=county.county_code,
                        year=year,
                        grade=grade,
                        monthly_pay=_monthly_pay(county.county_code, year, grade),
                    )
                )
            rates.append(
                ContributionRates(
                    path=county.path,
                    county_code=county.county_code,
                    year=year,
                    **_rates(county.county_code, year),
                )
            )
        for year in (*YEARS, 2026):
            schemes.append(
                AssessmentScheme(
                    county=county,
                    path=county.path,
                    county_code=county.county_code,
                    year=year,
                    weights=DEFAULT_WEIGHTS,
                    committee_weight=Decimal("0.30"),
                    excellent_cap=Decimal("0.20"),
                )
            )
    PayScale.objects.bulk_create(pays)
    ContributionRates.objects.bulk_create(rates)
    AssessmentScheme.objects.bulk_create(schemes)


# Indicator weights (their sum with the committee's weight is 1).
DEFAULT_WEIGHTS = {
    "patrol_coverage": 0.10,
    "visits_on_time": 0.10,
    "events_handled": 0.15,
    "data_freshness": 0.10,
    "task_completion": 0.05,
    "inspection_score": 0.10,
    "training_hours": 0.05,
    "satisfaction": 0.05,
}
