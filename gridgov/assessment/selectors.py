"""Reads of assessments through the scoping door: lists by place, year and status, one
assessment with its steps, a county's summary against its cap on 优秀."""

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.assessment.indicators import NAMES, PENDING
from gridgov.assessment.models import Assessment, AssessmentScheme, Result, Status
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node


def assessments_for(
    user: User, *, node: Node | None = None, year: int | None = None, status: str = ""
) -> QuerySet[Assessment]:
    found = Assessment.objects.restrict(user).select_related("worker", "worker__grid")
    if node is not None:
        found = found.filter(path__under=node.path)
    if year is not None:
        found = found.filter(year=year)
    if status:
        found = found.filter(status=status)
    return found.order_by("path", "pk")


def detail(user: User, pk: int) -> Assessment:
    return get_visible_or_404(Assessment.objects.select_related("worker", "worker__grid"), user, pk=pk)


def steps_of(assessment: Assessment) -> list[Any]:
    return list(assessment.steps.select_related("actor").order_by("at", "pk"))


def indicator_rows(assessment: Assessment) -> list[tuple[str, Any, str]]:
    """(name, score or None, why it has none) of each indicator, in the scheme's order."""
    return [
        (name, assessment.indicators.get(key), PENDING.get(key, "本年度无相关数据"))
        for key, name in NAMES.items()
    ]


def may_act(user: User, assessment: Assessment, level: str) -> bool:
    return scope_of(user, Cap.MANAGE_STAFF).covers(paths.at_level(assessment.path, level))


def summary(assessments: QuerySet[Assessment]) -> list[tuple[str, int]]:
    """(label, count) of each status and each result among the assessments."""
    rows = list(assessments.values_list("status", "result"))
    statuses = Counter(s for s, _r in rows)
    results = Counter(r for _s, r in rows if r)
    return [(str(label), statuses[value]) for value, label in Status.choices if statuses[value]] + [
        (str(label), results[value]) for value, label in Result.choices if results[value]
    ]


def scheme_of(county: Node, year: int) -> AssessmentScheme | None:
    return AssessmentScheme.objects.filter(county_code=county.county_code, year=year).first()


def county_of(node: Node | None) -> Node | None:
    if node is None or node.level == Level.CITY:
        return None
    return Node.objects.filter(path=paths.at_level(node.path, Level.COUNTY)).first()
