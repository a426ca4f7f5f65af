"""The promotion rules of the 12-grade scale, as one pure function over a worker's history.

- three consecutive years assessed 合格 or better → up one grade;
- three consecutive years 优秀 → up two grades; the better rule applies, not both;
- after a promotion, and after a year below 合格, the count starts again;
- never above grade 12.

"Consecutive" means the years just before and including the run's year, each with an approved
result: a year without one (leave, no assessment) breaks the run as a year below 合格 does.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from gridgov.assessment.models import QUALIFIED_OR_BETTER, Result
from gridgov.workforce.models import MAX_GRADE

YEARS_NEEDED = 3
RESULT_NAMES = {r.value: str(r.label) for r in Result}


@dataclass(frozen=True)
class Decision:
    grade_after: int
    step: int  # grades moved: 0, 1 or 2
    rule: str  # "", "qualified" (+1) or "excellent" (+2)
    reason: str
    capped: bool = False


def _streak(results: Mapping[int, str], year: int, after: int | None, accepted: frozenset[str]) -> int:
    """Consecutive years ending at `year` whose result is in `accepted`, counting only years after
    `after` (the assessment year of the last promotion)."""
    count = 0
    current = year
    while (after is None or current > after) and results.get(current) in accepted:
        count += 1
        current -= 1
    return count


def _span(year: int, count: int) -> str:
    return f"{year - count + 1}–{year}年度" if count > 1 else f"{year}年度"


def decide(grade: int, results: Mapping[int, str], year: int, last_promotion_year: int | None) -> Decision:
    """What the run on `year`'s results does to a worker at `grade`.

    `results`: approved results by assessment year; `last_promotion_year`: the assessment year
    the worker's last promotion was based on (None if never promoted).
    """
    excellent = _streak(results, year, last_promotion_year, frozenset({Result.EXCELLENT}))
    qualified = _streak(results, year, last_promotion_year, QUALIFIED_OR_BETTER)
    if excellent >= YEARS_NEEDED:
        step, rule, why = 2, "excellent", f"{_span(year, YEARS_NEEDED)}连续三年优秀，晋升两档"
    elif qualified >= YEARS_NEEDED:
        step, rule, why = 1, "qualified", f"{_span(year, YEARS_NEEDED)}连续三年合格及以上，晋升一档"
    else:
        return Decision(grade, 0, "", _why_not(results, year, last_promotion_year, qualified))
    if grade >= MAX_GRADE:
        return Decision(grade, 0, rule, f"{why}；已在最高档（{MAX_GRADE}档），不再晋升", capped=True)
    after = min(grade + step, MAX_GRADE)
    if after - grade < step:
        return Decision(after, after - grade, rule, f"{why}；最高{MAX_GRADE}档，晋至{after}档", capped=True)
    return Decision(after, step, rule, f"{why}（{grade}→{after}档）")


def _why_not(results: Mapping[int, str], year: int, last_promotion_year: int | None, qualified: int) -> str:
    """Why a worker does not move: what broke or has not yet filled the count."""
    if qualified == 0:
        result = results.get(year)
        if result is None:
            return f"{year}年度无审定的考核结果，重新计数"
        return f"{year}年度考核{RESULT_NAMES.get(result, result)}，低于合格，重新计数"
    span = _span(year, qualified)
    start = year - qualified + 1
    if last_promotion_year is not None and start == last_promotion_year + 1:
        return f"{last_promotion_year}年度晋档后重新计数，{span}合格及以上{qualified}年，未满三年"
    before = results.get(start - 1)
    if before is None:
        return f"{span}合格及以上{qualified}年，未满三年（{start - 1}年度无审定结果）"
    return (
        f"{span}合格及以上{qualified}年，未满三年"
        f"（{start - 1}年度{RESULT_NAMES.get(before, before)}，重新计数）"
    )
