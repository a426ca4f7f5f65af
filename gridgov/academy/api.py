"""The grid academy over the API (the phone's 学习 screens and officials' reports): courses with
their quiz (never the answers), completing a course and submitting a quiz, sessions with sign-up,
cancel and QR check-in, the caller's hours, published cases, and the hours report per level.
Writes from phones carry an Idempotency-Key (a retry after a lost answer gets the same answer)."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gridgov.academy import files, selectors, services, sessions
from gridgov.academy.models import Case, Course, StudySession
from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.idempotency import replayable
from gridgov.api.params import LongPage, Page
from gridgov.hierarchy.models import Node

router = Router(tags=["academy"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the API's auth has checked
    return request.user


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


class CourseOut(Schema):
    id: int
    title: str
    summary: str
    kind: str
    hours: Decimal
    lecturer: str
    fengqiao_team: bool
    url: str
    file_url: str
    questions: int
    pass_mark: int
    done: bool
    best_score: int | None


class QuestionOut(Schema):
    id: int
    text: str
    choices: list[str]


class CourseDetailOut(CourseOut):
    quiz: list[QuestionOut]
    material_link: str


def _course(course: Course, done: bool, questions: int, best: int | None) -> dict[str, Any]:
    return {
        "id": course.pk,
        "title": course.title,
        "summary": course.summary,
        "kind": course.kind,
        "hours": course.hours,
        "lecturer": course.lecturer.name if course.lecturer else "",
        "fengqiao_team": bool(course.lecturer and course.lecturer.fengqiao_team),
        "url": course.url,
        "file_url": f"/academy/courses/{course.pk}/file" if course.file_name else "",
        "questions": questions,
        "pass_mark": course.pass_mark,
        "done": done,
        "best_score": best,
    }


@router.get("/academy/courses", response=list[CourseOut])
def list_courses(request: HttpRequest, response: HttpResponse, page: Query[Page]) -> list[dict[str, Any]]:
    """Published courses offered at or above the caller's place, with what they completed."""
    _no_store(response)
    rows = selectors.learner_courses(_user(request))[page.offset : page.offset + page.limit]
    return [_course(r["course"], r["done"], r["questions"], r["best"]) for r in rows]


def _visible_course(user: User, course_id: int) -> Course:
    course = selectors.course_detail(user, course_id)
    if not course.published:
        raise HttpError(404, "not found")
    return course


@router.get("/academy/courses/{course_id}", response=CourseDetailOut)
def get_course(request: HttpRequest, response: HttpResponse, course_id: int) -> dict[str, Any]:
    _no_store(response)
    user = _user(request)
    course = _visible_course(user, course_id)
    quiz = [{"id": q.pk, "text": q.text, "choices": q.choices} for q in course.questions.all()]
    best = max((a.score for a in course.attempts.filter(user=user)), default=None)
    link = ""
    if course.file_name:
        link = f"/academy/courses/{course.pk}/file?t={files.material_link_token(user.pk, course.pk)}"
    return {
        **_course(course, selectors.completed(user, course), len(quiz), best),
        "quiz": quiz,
        "material_link": link,
    }


@router.get("/academy/courses/{course_id}/file")
def course_file(request: HttpRequest, course_id: int) -> HttpResponse | FileResponse:
    """The course's uploaded material, to those who may see the course (the phone fetches it
    with its token; there is no public URL)."""
    course = _visible_course(_user(request), course_id)
    if not course.file_name:
        raise HttpError(404, "本课程没有上传文件")
    try:
        handle = files.open_file(course.file_name)
    except OSError:
        raise HttpError(404, "文件不存在") from None
    answer = FileResponse(
        handle, content_type=course.content_type, filename=course.original_name or f"course-{course.pk}"
    )
    answer["X-Content-Type-Options"] = "nosniff"
    answer["Cache-Control"] = "no-store"
    return answer


class CreditOut(Schema):
    credited: bool
    hours: Decimal


@router.post("/academy/courses/{course_id}/complete", response=CreditOut)
@replayable("academy")
def complete_course(request: HttpRequest, response: HttpResponse, course_id: int) -> dict[str, Any]:
    """A course without a quiz studied: its hours credited (once)."""
    user = _user(request)
    course = _visible_course(user, course_id)
    made = services.complete_course(user=user, course=course)
    return {"credited": made is not None, "hours": course.hours}


class QuizIn(Schema):
    answers: list[int | None]


class QuizOut(Schema):
    score: int
    passed: bool
    pass_mark: int
    credited: bool
    hours: Decimal


@router.post("/academy/courses/{course_id}/quiz", response=QuizOut)
@replayable("academy")
def submit_quiz(request: HttpRequest, response: HttpResponse, course_id: int, body: QuizIn) -> dict[str, Any]:
    """One attempt (option indexes from 0, in the quiz's order); a pass credits the hours once."""
    user = _user(request)
    course = _visible_course(user, course_id)
    key = request.headers.get("Idempotency-Key", "")
    attempt, made = services.submit_quiz(user=user, course=course, answers=body.answers, key=key)
    return {
        "score": attempt.score,
        "passed": attempt.passed,
        "pass_mark": course.pass_mark,
        "credited": made is not None,
        "hours": course.hours if attempt.passed else Decimal(0),
    }


class SessionOut(Schema):
    id: int
    title: str
    summary: str
    lecturer: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    taken: int
    hours: Decimal
    cancelled: bool
    my_state: str


def _session(session: StudySession, state: str) -> dict[str, Any]:
    return {
        **{
            f: getattr(session, f)
            for f in ("title", "summary", "place", "starts_at", "ends_at", "capacity", "hours", "cancelled")
        },
        "id": session.pk,
        "lecturer": session.lecturer.name if session.lecturer else "",
        "taken": getattr(session, "taken", 0),
        "my_state": state,
    }


@router.get("/academy/sessions", response=list[SessionOut])
def list_sessions(
    request: HttpRequest, response: HttpResponse, page: Query[Page], upcoming: bool = True
) -> list[dict[str, Any]]:
    """Sessions offered at or above the caller's place (by default those not yet over)."""
    _no_store(response)
    user = _user(request)
    found = selectors.sessions_for(user).filter(published=True)
    if upcoming:
        found = found.filter(ends_at__gte=datetime.datetime.now(tz=datetime.UTC)).order_by("starts_at")
    mine = selectors.own_signups(user)
    return [
        _session(s, mine[s.pk].state if s.pk in mine else "")
        for s in found[page.offset : page.offset + page.limit]
    ]


def _session_reply(user: User, session_id: int) -> dict[str, Any]:
    session = selectors.session_detail(user, session_id)
    mine = selectors.own_signups(user).get(session.pk)
    return _session(session, mine.state if mine else "")


@router.post("/academy/sessions/{studysession_id}/signup", response=SessionOut)
@replayable("academy")
def sign_up(request: HttpRequest, response: HttpResponse, studysession_id: int) -> dict[str, Any]:
    user = _user(request)
    sessions.sign_up(user=user, session=selectors.session_detail(user, studysession_id))
    return _session_reply(user, studysession_id)


@router.post("/academy/sessions/{studysession_id}/cancel", response=SessionOut)
@replayable("academy")
def cancel_signup(request: HttpRequest, response: HttpResponse, studysession_id: int) -> dict[str, Any]:
    """Cancel the caller's own sign-up (before the session starts)."""
    user = _user(request)
    sessions.cancel_signup(user=user, session=selectors.session_detail(user, studysession_id))
    return _session_reply(user, studysession_id)


class CheckInIn(Schema):
    token: str
    # When the phone scanned the code (with its offset), if it sends it later (no signal then).
    scanned_at: datetime.datetime | None = None


class CheckInOut(Schema):
    session_id: int
    title: str
    attended_at: datetime.datetime
    hours: Decimal


@router.post("/academy/checkin", response=CheckInOut)
@replayable("academy")
def check_in(request: HttpRequest, response: HttpResponse, body: CheckInIn) -> dict[str, Any]:
    """Attendance by the scanned session code (idempotent; refused outside the session window)."""
    signup = sessions.check_in(user=_user(request), token=body.token[:500], scanned_at=body.scanned_at)
    assert signup.attended_at is not None
    return {
        "session_id": signup.session_id,
        "title": signup.session.title,
        "attended_at": signup.attended_at,
        "hours": signup.session.hours,
    }


class CreditRowOut(Schema):
    at: datetime.datetime
    hours: Decimal
    source: str
    title: str


class MyHoursOut(Schema):
    year: int
    hours: Decimal
    required: Decimal
    short: Decimal
    credits: list[CreditRowOut]


@router.get("/academy/me/hours", response=MyHoursOut)
def my_hours(request: HttpRequest, response: HttpResponse, year: int | None = None) -> dict[str, Any]:
    _no_store(response)
    year = services.year_of(year if year is not None else selectors.this_year())
    mine = selectors.my_hours(_user(request), year)
    return {
        "year": mine.year,
        "hours": mine.hours,
        "required": mine.required,
        "short": mine.short,
        "credits": [
            {
                "at": c.at,
                "hours": c.hours,
                "source": c.get_source_display(),
                "title": c.course.title if c.course else c.session.title if c.session else c.note,
            }
            for c in mine.credits
        ],
    }


class CaseOut(Schema):
    id: int
    title: str
    dispute_type: str
    published_at: datetime.datetime | None


class CaseDetailOut(CaseOut):
    body: str
    lessons: str


def _case(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "title": case.title,
        "dispute_type": case.dispute_type,
        "published_at": case.published_at,
    }


@router.get("/academy/cases", response=list[CaseOut])
def list_cases(request: HttpRequest, response: HttpResponse, page: Query[Page]) -> list[dict[str, Any]]:
    """Published cases of the case library the caller may read."""
    _no_store(response)
    found = selectors.published_cases(_user(request))
    return [_case(c) for c in found[page.offset : page.offset + page.limit]]


@router.get("/academy/cases/{case_id}", response=CaseDetailOut)
def get_case(request: HttpRequest, response: HttpResponse, case_id: int) -> dict[str, Any]:
    """A case: learners read published ones; officials over its place also drafts."""
    _no_store(response)
    case = selectors.case_detail(_user(request), case_id)
    return {**_case(case), "body": case.body, "lessons": case.lessons}


class HoursRowOut(Schema):
    worker_id: int
    name: str
    grid_name: str
    hours: Decimal
    required: Decimal
    below: bool


@router.get("/academy/hours", response=list[HoursRowOut])
def hours_report(
    request: HttpRequest,
    response: HttpResponse,
    page: Query[LongPage],
    node_id: int,
    year: int | None = None,
    below: bool = False,
) -> list[dict[str, Any]]:
    """Active full-time workers under a node with their hours and the county's minimum, who is
    below it first (officials who manage staff there)."""
    _no_store(response)
    user = _user(request)
    node = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=node_id)
    rows = selectors.hours_report(
        user, node, services.year_of(year or selectors.this_year()), below_only=below
    )
    return [
        {
            "worker_id": r.worker.pk,
            "name": r.worker.name,
            "grid_name": r.worker.grid.name,
            "hours": r.hours,
            "required": r.required,
            "below": r.below,
        }
        for r in rows[page.offset : page.offset + page.limit]
    ]
