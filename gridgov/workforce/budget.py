"""The yearly pay budget of a county's full-time grid workers: pay by grade plus the employer's
social-insurance and housing-fund contributions.

Each worker's contribution base is their monthly pay held between the base's floor and ceiling;
each contribution is base × rate, rounded to the fen (ROUND_HALF_UP) per worker and month, then
× 12 months × headcount. Workers of one grade have the same pay, so the budget is computed per
grade from a headcount by grade (one GROUP BY), which is exactly the per-worker sum.
"""

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count

from gridgov.workforce.models import ContributionRates, PayScale, WorkerFile, WorkerStatus
from gridgov.workforce.services import check_rates

MONTHS = 12
FEN = Decimal("0.01")
ITEMS = ("pension", "medical", "unemployment", "injury", "housing_fund")
ITEM_NAMES = {
    "pension": "养老保险",
    "medical": "医疗保险（含生育）",
    "unemployment": "失业保险",
    "injury": "工伤保险",
    "housing_fund": "住房公积金",
}


@dataclass(frozen=True)
class Params:
    base_floor: Decimal
    base_ceiling: Decimal
    pension_rate: Decimal
    medical_rate: Decimal
    unemployment_rate: Decimal
    injury_rate: Decimal
    housing_fund_rate: Decimal

    @classmethod
    def of(cls, rates: ContributionRates) -> "Params":
        return cls(**{name: getattr(rates, name) for name in cls.__dataclass_fields__})

    def rate(self, item: str) -> Decimal:
        value: Decimal = getattr(self, f"{item}_rate")
        return value


@dataclass(frozen=True)
class GradeLine:
    grade: int
    headcount: int
    monthly_pay: Decimal
    base: Decimal
    monthly: dict[str, Decimal]  # per worker and month, by item
    annual_pay: Decimal
    annual: dict[str, Decimal]  # all workers of the grade, the year, by item
    annual_employer: Decimal
    annual_total: Decimal


@dataclass
class Budget:
    county_code: str
    year: int
    params: Params
    lines: list[GradeLine] = field(default_factory=list)

    @property
    def headcount(self) -> int:
        return sum(line.headcount for line in self.lines)

    @property
    def annual_pay(self) -> Decimal:
        return sum((line.annual_pay for line in self.lines), Decimal(0))

    def annual(self, item: str) -> Decimal:
        return sum((line.annual[item] for line in self.lines), Decimal(0))

    @property
    def annual_items(self) -> dict[str, Decimal]:
        return {item: self.annual(item) for item in ITEMS}

    @property
    def annual_employer(self) -> Decimal:
        return sum((line.annual_employer for line in self.lines), Decimal(0))

    @property
    def annual_total(self) -> Decimal:
        return sum((line.annual_total for line in self.lines), Decimal(0))


def contribution_base(monthly_pay: Decimal, params: Params) -> Decimal:
    return min(max(monthly_pay, params.base_floor), params.base_ceiling)


def compute(
    county_code: str, year: int, headcounts: dict[int, int], pay: dict[int, Decimal], params: Params
) -> Budget:
    missing = sorted(g for g, n in headcounts.items() if n and g not in pay)
    if missing:
        raise ValidationError({"year": f"{year}年度薪酬表缺少第{missing[0]}档，请先维护薪酬表"})
    budget = Budget(county_code, year, params)
    for grade in sorted(pay):
        count = headcounts.get(grade, 0)
        base = contribution_base(pay[grade], params)
        monthly = {item: (base * params.rate(item)).quantize(FEN, ROUND_HALF_UP) for item in ITEMS}
        annual = {item: value * MONTHS * count for item, value in monthly.items()}
        annual_pay = pay[grade] * MONTHS * count
        employer = sum(annual.values(), Decimal(0))
        budget.lines.append(
            GradeLine(
                grade, count, pay[grade], base, monthly, annual_pay, annual, employer, annual_pay + employer
            )
        )
    return budget


def headcounts_of(county_code: str) -> dict[int, int]:
    """Active workers by current grade (one GROUP BY on the county/status/grade index)."""
    rows = (
        WorkerFile.objects.filter(county_code=county_code, status=WorkerStatus.ACTIVE)
        .values("grade")
        .annotate(n=Count("pk"))
        .values_list("grade", "n")
    )
    return dict(rows)


def inputs(county_code: str, year: int) -> tuple[dict[int, Decimal], Params]:
    pay = dict(
        PayScale.objects.filter(county_code=county_code, year=year).values_list("grade", "monthly_pay")
    )
    if not pay:
        raise ValidationError({"year": f"{year}年度尚无薪酬表"})
    rates = ContributionRates.objects.filter(county_code=county_code, year=year).first()
    if rates is None:
        raise ValidationError({"year": f"{year}年度尚无社保公积金参数"})
    return pay, Params.of(rates)


def county_budget(county_code: str, year: int, what_if: dict[str, Any] | None = None) -> Budget:
    """The budget of a county's active workers at their current grades for `year`'s pay table and
    rates; `what_if` replaces any of the base's floor and ceiling and the rates."""
    pay, params = inputs(county_code, year)
    if what_if:
        merged = {name: what_if.get(name) or getattr(params, name) for name in Params.__dataclass_fields__}
        params = replace(params, **check_rates(merged))
    return compute(county_code, year, headcounts_of(county_code), pay, params)
