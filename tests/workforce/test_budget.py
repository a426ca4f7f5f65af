"""The budget of 赛罕区 checked by hand (figures worked out on paper, in the comments)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from gridgov.workforce import budget
from gridgov.workforce.models import WorkerFile
from gridgov.workforce.services import set_contribution_rates, set_pay_scale

RATES = {
    "base_floor": "4000",
    "base_ceiling": "8000",
    "pension_rate": "0.16",
    "medical_rate": "0.08",
    "unemployment_rate": "0.005",
    "injury_rate": "0.004",
    "housing_fund_rate": "0.10",
}


@pytest.fixture
def saihan_2030(user, node):
    """Pay 3000 + 500·(grade − 1) a month; floor 4000, ceiling 8000. Active workers: two at grade
    1, eight at grade 6, one at grade 12 (a twelfth, at grade 6, has left)."""
    admin, county = user("saihan_admin"), node("赛罕区")
    set_pay_scale(
        user=admin, county=county, year=2030, monthly_pay={g: 3000 + 500 * (g - 1) for g in range(1, 13)}
    )
    set_contribution_rates(user=admin, county=county, year=2030, **RATES)
    workers = list(WorkerFile.objects.filter(county_code="150105").order_by("pk"))
    assert len(workers) == 12
    for n, worker in enumerate(workers):
        worker.grade = 1 if n < 2 else 12 if n == 2 else 6
        worker.status = "departed" if n == 11 else "active"
        worker.save()
    return county


def test_budget_by_hand(saihan_2030):
    result = budget.county_budget("150105", 2030)
    lines = {line.grade: line for line in result.lines}
    assert (lines[1].headcount, lines[6].headcount, lines[12].headcount, result.headcount) == (2, 8, 1, 11)
    # Grade 1: pay 3000 < floor → base 4000: 640 + 320 + 20 + 16 + 400 = 1396.00 a month.
    assert lines[1].base == Decimal("4000")
    assert sum(lines[1].monthly.values()) == Decimal("1396.00")
    # Grade 6: base = pay 5500: 880 + 440 + 27.50 + 22 + 550 = 1919.50.
    assert sum(lines[6].monthly.values()) == Decimal("1919.50")
    # Grade 12: pay 8500 > ceiling → base 8000: 1280 + 640 + 40 + 32 + 800 = 2792.00.
    assert lines[12].base == Decimal("8000")
    assert sum(lines[12].monthly.values()) == Decimal("2792.00")
    # Pay: 2·3000·12 + 8·5500·12 + 8500·12 = 72,000 + 528,000 + 102,000.
    assert result.annual_pay == Decimal("702000")
    # Employer: 2·1396·12 + 8·1919.5·12 + 2792·12 = 33,504 + 184,272 + 33,504.
    assert result.annual_employer == Decimal("251280.00")
    assert result.annual_total == Decimal("953280.00")
    # Pension alone: 2·640·12 + 8·880·12 + 1280·12.
    assert result.annual("pension") == Decimal("115200.00")
    assert lines[3].headcount == 0
    assert lines[3].annual_total == 0


def test_what_if_a_new_base(saihan_2030):
    # Floor 4321.50: grade 1 pays 691.44 + 345.72 + 21.61 (21.6075) + 17.29 (17.286) + 432.15.
    # Ceiling 9000: grade 12's base is its pay, 8500: 1360 + 680 + 42.50 + 34 + 850 = 2966.50.
    result = budget.county_budget("150105", 2030, {"base_floor": "4321.50", "base_ceiling": "9000"})
    lines = {line.grade: line for line in result.lines}
    assert lines[1].monthly["unemployment"] == Decimal("21.61")
    assert lines[1].monthly["injury"] == Decimal("17.29")
    assert sum(lines[1].monthly.values()) == Decimal("1508.21")
    assert sum(lines[12].monthly.values()) == Decimal("2966.50")
    assert sum(lines[6].monthly.values()) == Decimal("1919.50")
    assert (
        result.annual_employer
        == Decimal("251280.00") + (Decimal("1508.21") - 1396) * 24 + (Decimal("2966.50") - 2792) * 12
    )


def test_what_if_refuses_bad_figures(saihan_2030):
    with pytest.raises(ValidationError) as bad:
        budget.county_budget("150105", 2030, {"base_floor": "9000"})
    assert "base_ceiling" in bad.value.message_dict
    with pytest.raises(ValidationError) as rate:
        budget.county_budget("150105", 2030, {"pension_rate": "16"})
    assert "pension_rate" in rate.value.message_dict


def test_a_year_without_a_pay_table_names_the_year(db):
    with pytest.raises(ValidationError) as missing:
        budget.county_budget("150105", 2031)
    assert "year" in missing.value.message_dict


def test_pay_table_must_rise_with_the_grade(user, node):
    pays = {g: 3000 + 100 * g for g in range(1, 13)}
    pays[7] = 1000
    with pytest.raises(ValidationError) as bad:
        set_pay_scale(user=user("saihan_admin"), county=node("赛罕区"), year=2030, monthly_pay=pays)
    assert "grade_7" in bad.value.message_dict
