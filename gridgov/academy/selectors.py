"""Reads of the academy: what a person may study and attend, their hours against the county's
minimum, the hours report per level, and the training-hours indicator of the annual assessment.
Hours are summed in one GROUP BY over the year's credits, however many workers are asked about."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from gridgov.academy.models import (
    DEFAULT_MIN_HOURS,
    Case,
    CaseStatus,
    Course,
    Credit,
    Lecturer,
    QuizAttempt,
    Requirement,
    Signup,
    SignupState,
    StudySession,
)
from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has, scope_of
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce.models import WorkerFile, WorkerStatus


def this_year() -> int:
    return timezone.localdate().year


def may_manage(user: Any) -> bool:
    return has(user, Cap.MANAGE_STAFF)


def place_of(user: User) -> tuple[str, str] | None:
    """Where a learner works (path, county code): their worker file's grid, else the deepest
    node they hold a role on; None for someone with no place (a system administrator)."""
    found = (
        WorkerFile.objects.filter(user=user, status=WorkerStatus.ACTIVE)
        .values_list("path", "county_code")
        .first()
    )
    if found:
        return found[0], found[1]
    nodes = list(user.assignments.values_list("node__path", "node__county_code"))
    if not nodes:
        return None
    path, county = max(nodes, key=lambda row: len(row[0]))
    return path, county


def managed_nodes(user: User) -> list[Node]:
    """Where the user may offer a course or session and read the hours report: the nodes they
    manage staff on and the counties and townships below (communities through drill-down)."""
    scope = scope_of(user, Cap.MANAGE_STAFF)
    if scope.empty:
        return []
    nodes = Node.objects.filter(level__in=[Level.CITY, Level.COUNTY, Level.TOWNSHIP])
    if not scope.everything:
        nodes = Node.objects.filter(scope.q("path")).filter(
            Q(level__in=[Level.CITY, Level.COUNTY, Level.TOWNSHIP]) | Q(path__in=scope.roots)
        )
    return list(nodes.order_by("path")[:500])


# --- courses, sessions, lecturers, cases --------------------------------------------------------


def lecturers_for(user: User) -> QuerySet[Lecturer]:
    return Lecturer.objects.restrict(user).filter(active=True).order_by("-fengqiao_team", "name")


def courses_for(user: User) -> QuerySet[Course]:
    """Courses the user may see: published ones offered at or above their place, and, for
    officials, every course of their subtree."""
    return Course.objects.restrict(user).select_related("lecturer", "node").order_by("-created_at")


def material_reader(request_user: Any, token: str, course_id: int) -> User | None:
    """Who reads a course's material: the signed-in user, or the person a phone's short-lived
    link names (still active)."""
    from gridgov.academy.files import material_link_user

    if getattr(request_user, "is_authenticated", False):
        return request_user if isinstance(request_user, User) else None
    user_id = material_link_user(token, course_id) if token else None
    return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None


def course_detail(user: User, course_id: int) -> Course:
    return get_visible_or_404(Course.objects.select_related("lecturer", "node"), user, pk=course_id)


def learner_courses(user: User) -> list[dict[str, Any]]:
    """Published courses with whether the user has completed each and their best quiz score."""
    completed = Credit.objects.filter(user=user, course=OuterRef("pk"))
    rows = (
        courses_for(user)
        .filter(published=True)
        .annotate(done=Exists(completed), n_questions=Count("questions", distinct=True))[:200]
    )
    best: dict[int, int] = {}
    for course_id, score in QuizAttempt.objects.filter(user=user).values_list("course_id", "score"):
        best[course_id] = max(best.get(course_id, 0), score)
    return [{"course": c, "done": c.done, "questions": c.n_questions, "best": best.get(c.pk)} for c in rows]


def completed(user: User, course: Course) -> bool:
    return Credit.objects.filter(user=user, course=course).exists()


def sessions_for(user: User) -> QuerySet[StudySession]:
    return (
        StudySession.objects.restrict(user)
        .select_related("lecturer", "node")
        .annotate(
            taken=Count(
                "signups",
                filter=Q(signups__state__in=[SignupState.SIGNED_UP, SignupState.ATTENDED]),
                distinct=True,
            ),
            attended=Count("signups", filter=Q(signups__state=SignupState.ATTENDED), distinct=True),
        )
        .order_by("-starts_at")
    )


def session_detail(user: User, session_id: int) -> StudySession:
    return get_visible_or_404(sessions_for(user), user, pk=session_id)


def own_signups(user: User) -> dict[int, Signup]:
    return {s.session_id: s for s in Signup.objects.restrict(user).filter(user=user)}


def signups_of(user: User, session: StudySession) -> QuerySet[Signup]:
    """The session's sign-ups the user may see (officials: those of their subtree)."""
    return (
        Signup.objects.restrict(user).filter(session=session).select_related("user").order_by("signed_up_at")
    )


def cases_for(user: User) -> QuerySet[Case]:
    """Cases: learners see published ones (the scope rule), officials also their subtree's drafts."""
    return Case.objects.restrict(user).select_related("node").order_by("-published_at", "-created_at")


def case_detail(user: User, case_id: int) -> Case:
    return get_visible_or_404(Case.objects.select_related("node"), user, pk=case_id)


def published_cases(user: User) -> QuerySet[Case]:
    return cases_for(user).filter(status=CaseStatus.PUBLISHED)


# --- hours ---------------------------------------------------------------------------------------


def requirements(county_codes: list[str] | set[str], year: int) -> dict[str, Decimal]:
    """county code → the year's minimum hours (DEFAULT_MIN_HOURS where the county set none)."""
    found = dict(
        Requirement.objects.filter(county_code__in=sorted(county_codes), year=year).values_list(
            "county_code", "min_hours"
        )
    )
    return {code: found.get(code, DEFAULT_MIN_HOURS) for code in county_codes}


def hours_by_user(user_ids: list[int], year: int) -> dict[int, Decimal]:
    """user id → hours credited in the year (one GROUP BY)."""
    rows = (
        Credit.objects.filter(year=year, user_id__in=user_ids)
        .values("user_id")
        .annotate(total=Sum("hours"))
        .values_list("user_id", "total")
    )
    return {user_id: total or Decimal(0) for user_id, total in rows}


@dataclass
class MyHours:
    year: int
    hours: Decimal
    required: Decimal
    credits: list[Credit]

    @property
    def short(self) -> Decimal:
        return max(self.required - self.hours, Decimal(0))

    @property
    def percent(self) -> int:
        return min(100, int(self.hours * 100 / self.required)) if self.required else 100


def my_hours(user: User, year: int) -> MyHours:
    place = place_of(user)
    county = place[1] if place else ""
    credits = list(
        Credit.objects.restrict(user).filter(user=user, year=year).select_related("course", "session")
    )
    required = requirements({county}, year)[county] if county else DEFAULT_MIN_HOURS
    return MyHours(year, sum((c.hours for c in credits), Decimal(0)), required, credits)


@dataclass
class HoursRow:
    worker: WorkerFile
    hours: Decimal
    required: Decimal

    @property
    def below(self) -> bool:
        return self.hours < self.required


def hours_report(user: User, node: Node, year: int, *, below_only: bool = False) -> list[HoursRow]:
    """The active full-time workers under `node` with their hours and the county's minimum: who
    is below it first (three queries whatever the size)."""
    workers = list(
        WorkerFile.objects.restrict(user)
        .filter(path__startswith=node.path, status=WorkerStatus.ACTIVE)
        .select_related("grid")
        .order_by("path", "name")[:10000]
    )
    hours = hours_by_user([w.user_id for w in workers], year)
    required = requirements({w.county_code for w in workers}, year)
    rows = [HoursRow(w, hours.get(w.user_id, Decimal(0)), required[w.county_code]) for w in workers]
    if below_only:
        rows = [r for r in rows if r.below]
    return sorted(rows, key=lambda r: (not r.below, r.hours - r.required, r.worker.path))


@dataclass
class UnitHours:
    node: Node
    workers: int = 0
    below: int = 0
    hours: Decimal = Decimal(0)

    @property
    def average(self) -> Decimal:
        return (self.hours / self.workers).quantize(Decimal("0.1")) if self.workers else Decimal(0)


def hours_by_unit(node: Node, rows: list[HoursRow]) -> list[UnitHours]:
    """The report one level down: per child unit of `node`, its workers and how many are below."""
    units = [UnitHours(child) for child in Node.objects.filter(parent=node).order_by("path")[:500]]
    for row in rows:
        for unit in units:
            if row.worker.path.startswith(unit.node.path):
                unit.workers += 1
                unit.below += int(row.below)
                unit.hours += row.hours
                break
    return [u for u in units if u.workers]


def training_hours_scores(county_code: str, user_ids: list[int], year: int) -> dict[int, float | None]:
    """The assessment's training-hours indicator: hours in the year over the county's minimum,
    as 0–100 (capped). A year in which nobody of the county was credited any hours and the
    county set no minimum is a year without the academy: no value (None), not 0 for everyone."""
    hours = hours_by_user(user_ids, year)
    has_rule = Requirement.objects.filter(county_code=county_code, year=year).exists()
    if not hours and not has_rule:
        in_use = Credit.objects.filter(county_code=county_code, year=year).exists()
        if not in_use:
            return dict.fromkeys(user_ids)
    required = requirements({county_code}, year)[county_code]
    scores: dict[int, float | None] = {}
    for user_id in user_ids:
        got = hours.get(user_id, Decimal(0))
        scores[user_id] = 100.0 if required <= 0 else round(min(100.0, float(got * 100 / required)), 1)
    return scores


def worker_hours(worker: WorkerFile, year: int) -> dict[str, Any]:
    """The hours shown in a worker's file: this year's against the minimum, and past years."""
    rows = (
        Credit.objects.filter(user_id=worker.user_id)
        .values("year")
        .annotate(total=Sum("hours"))
        .order_by("-year")
        .values_list("year", "total")
    )
    by_year = dict(rows)
    required = requirements({worker.county_code}, year)[worker.county_code]
    return {
        "training_year": year,
        "training_hours": by_year.get(year, Decimal(0)),
        "training_required": required,
        "training_history": [(y, h) for y, h in by_year.items() if y != year][:5],
    }


def counties_in(node: Node) -> list[str]:
    code = paths.county_code_of(node.path)
    if code:
        return [code]
    return list(
        Node.objects.filter(level=Level.COUNTY, path__startswith=node.path).values_list(
            "county_code", flat=True
        )
    )


def window_of(session: StudySession) -> tuple[datetime.datetime, datetime.datetime]:
    """When check-in is open: from 30 minutes before the start to 30 minutes after the end."""
    margin = datetime.timedelta(minutes=30)
    return session.starts_at - margin, session.ends_at + margin
