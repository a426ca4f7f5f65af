"""Writes of the academy: lecturers, courses (material, quiz), completing a course and taking its
quiz, the hours credited, and the counties' minimum. Each is atomic and audited (the model signals
log every saved row; a TRANSITION row names the action). Sessions: gridgov.academy.sessions; the
case library: gridgov.academy.cases."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gridgov.academy import files
from gridgov.academy.models import (
    MAX_HOURS_PER_ITEM,
    Course,
    CourseKind,
    Credit,
    CreditSource,
    Lecturer,
    Question,
    QuizAttempt,
    Requirement,
    StudySession,
)
from gridgov.academy.selectors import place_of
from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.hierarchy.models import Level, Node

MAX_QUESTIONS = 20


# --- input checks ----------------------------------------------------------------------------------


def text(value: Any, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    cleaned = str(value or "").strip()
    if required and not cleaned:
        raise ValidationError({field: f"请填写{label}"})
    if len(cleaned) > max_length:
        raise ValidationError({field: f"{label}不超过 {max_length} 个字"})
    return cleaned


def hours_of(
    value: Any, field: str = "hours", *, low: Decimal = Decimal("0.5"), high: Decimal = MAX_HOURS_PER_ITEM
) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: "学时须为数字，如 2 或 1.5"}) from None
    if not hours.is_finite() or hours < low or hours > high or hours != hours.quantize(Decimal("0.1")):
        raise ValidationError({field: f"学时须在 {low}–{high} 之间，最多一位小数"})
    return hours


def int_of(value: Any, field: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: f"{label}须为整数"}) from None
    if not low <= number <= high:
        raise ValidationError({field: f"{label}须在 {low}–{high} 之间"})
    return number


def year_of(value: Any, field: str = "year") -> int:
    return int_of(value, field, "年度", 2000, 2100)


def flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "on", "yes"}


def check_version(obj: Any, version: Any) -> None:
    """Two people editing one record: the second save is refused (412), never silently lost."""
    if version in (None, ""):
        return
    if str(version) != str(obj.version):
        raise PreconditionFailed("已被他人修改，请刷新后再改", current_version=obj.version)


def offering_node(user: User, node: Node | None) -> Node:
    if node is None:
        raise ValidationError({"node_id": "请选择开设层级"})
    if node.level not in (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY):
        raise ValidationError({"node_id": "开设层级须为市、区县、街道或社区"})
    require(user, Cap.MANAGE_STAFF, node.path, node)
    return node


def _lecturer(user: User, lecturer_id: Any, node: Node) -> Lecturer | None:
    if lecturer_id in (None, "", 0, "0"):
        return None
    found = Lecturer.objects.restrict(user).filter(pk=lecturer_id).first()
    if found is None:
        raise ValidationError({"lecturer_id": "讲师不存在或不在您的范围内"})
    return found


# --- lecturers -------------------------------------------------------------------------------------


@transaction.atomic
def save_lecturer(
    *, user: User, node: Node | None, lecturer: Lecturer | None = None, **fields: Any
) -> Lecturer:
    if lecturer is not None:
        require(user, Cap.MANAGE_STAFF, lecturer.path, lecturer)
        node = lecturer.node
    node = offering_node(user, node)
    target = lecturer or Lecturer(node=node, path=node.path, county_code=node.county_code)
    target.name = text(fields.get("name"), "name", "姓名", 50)
    target.title = text(fields.get("title"), "title", "职务/单位", 100, required=False)
    target.bio = text(fields.get("bio"), "bio", "简介", 2000, required=False)
    target.fengqiao_team = flag(fields.get("fengqiao_team"))
    if "active" in fields:
        target.active = flag(fields.get("active"))
    target.save()
    return target


# --- courses ---------------------------------------------------------------------------------------


def _url(value: Any) -> str:
    url = text(value, "url", "链接", 500)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError({"url": "链接须以 http:// 或 https:// 开头"})
    return url


@transaction.atomic
def create_course(*, user: User, node: Node | None, upload: Any = None, **fields: Any) -> Course:
    node = offering_node(user, node)
    kind = str(fields.get("kind") or "")
    if kind not in CourseKind.values:
        raise ValidationError({"kind": "形式须为文档、视频或外部链接"})
    course = Course(
        node=node,
        path=node.path,
        county_code=node.county_code,
        kind=kind,
        title=text(fields.get("title"), "title", "课程名称", 100),
        summary=text(fields.get("summary"), "summary", "简介", 2000, required=False),
        hours=hours_of(fields.get("hours")),
        pass_mark=int_of(fields.get("pass_mark") or 80, "pass_mark", "及格分", 1, 100),
        lecturer=_lecturer(user, fields.get("lecturer_id"), node),
        published=flag(fields.get("published")),
        created_by=user,
    )
    written = ""
    if kind == CourseKind.LINK:
        course.url = _url(fields.get("url"))
    else:
        checked = files.check_upload(upload, kind)
        written = files.save(checked)
        course.file_name, course.content_type = written, checked.content_type
        course.size, course.original_name = checked.size, checked.original_name
    try:
        course.save()
    except Exception:
        files.remove(written)
        raise
    return course


@transaction.atomic
def update_course(
    *, user: User, course: Course, version: Any = None, upload: Any = None, **fields: Any
) -> Course:
    require(user, Cap.MANAGE_STAFF, course.path, course)
    course = Course.objects.select_for_update().get(pk=course.pk)
    check_version(course, version)
    if "title" in fields:
        course.title = text(fields["title"], "title", "课程名称", 100)
    if "summary" in fields:
        course.summary = text(fields["summary"], "summary", "简介", 2000, required=False)
    if "hours" in fields:
        course.hours = hours_of(fields["hours"])
    if "pass_mark" in fields:
        course.pass_mark = int_of(fields["pass_mark"], "pass_mark", "及格分", 1, 100)
    if "lecturer_id" in fields:
        course.lecturer = _lecturer(user, fields["lecturer_id"], course.node)
    if "published" in fields:
        course.published = flag(fields["published"])
    if course.kind == CourseKind.LINK and "url" in fields:
        course.url = _url(fields["url"])
    old = ""
    if upload is not None and course.kind != CourseKind.LINK:
        checked = files.check_upload(upload, course.kind)
        old = course.file_name
        course.file_name = files.save(checked)
        course.content_type, course.size, course.original_name = (
            checked.content_type,
            checked.size,
            checked.original_name,
        )
    course.version = F("version") + 1
    course.save()
    course.refresh_from_db()
    if old:
        transaction.on_commit(lambda: files.remove(old))
    return course


def _choices(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = list(raw.splitlines())
    options = [str(o).strip() for o in (raw or []) if str(o).strip()]
    if not 2 <= len(options) <= 6:
        raise ValidationError({"choices": "每题 2–6 个选项（每行一个）"})
    if any(len(o) > 200 for o in options):
        raise ValidationError({"choices": "每个选项不超过 200 个字"})
    return options


@transaction.atomic
def add_question(*, user: User, course: Course, text_value: Any, choices: Any, answer: Any) -> Question:
    require(user, Cap.MANAGE_STAFF, course.path, course)
    Course.objects.select_for_update().filter(pk=course.pk).first()
    if course.questions.count() >= MAX_QUESTIONS:
        raise ValidationError({"text": f"每门课程最多 {MAX_QUESTIONS} 道测验题"})
    options = _choices(choices)
    index = int_of(answer, "answer", "正确选项", 1, len(options)) - 1
    position = course.questions.count() + 1
    return Question.objects.create(
        course=course,
        text=text(text_value, "text", "题目", 300),
        choices=options,
        answer=index,
        position=position,
    )


@transaction.atomic
def remove_question(*, user: User, course: Course, question_id: Any) -> None:
    require(user, Cap.MANAGE_STAFF, course.path, course)
    question = course.questions.filter(pk=int_of(question_id, "question_id", "题目", 1, 2**31 - 1)).first()
    if question is None:
        raise ValidationError({"question_id": "本课程没有这道题"})
    question.delete()


# --- learning and hours ----------------------------------------------------------------------------


def _learner_place(user: User) -> tuple[str, str]:
    place = place_of(user)
    if place is None:
        raise ValidationError({"__all__": "您没有所属网格或层级，无法记录学时"})
    return place


def credit(
    *,
    user: User,
    hours: Decimal,
    source: str,
    course: Course | None = None,
    session: StudySession | None = None,
    on: datetime.date | None = None,
    note: str = "",
    by: User | None = None,
) -> Credit | None:
    """Credit hours once per course or session (None if they already were)."""
    path, county = _learner_place(user)
    day = on or timezone.localdate()
    try:
        with transaction.atomic():
            return Credit.objects.create(
                user=user,
                year=day.year,
                hours=hours,
                source=source,
                course=course,
                session=session,
                note=note[:200],
                created_by=by or user,
                path=path,
                county_code=county,
            )
    except IntegrityError:
        return None


def _studyable(user: User, course: Course) -> None:
    if not course.published:
        raise ConflictError("课程尚未发布")


@transaction.atomic
def complete_course(*, user: User, course: Course) -> Credit | None:
    """Mark a course without a quiz as studied: its hours are credited (once)."""
    _studyable(user, course)
    if course.questions.exists():
        raise ConflictError("本课程需通过测验才能获得学时")
    done = credit(user=user, hours=course.hours, source=CreditSource.COURSE, course=course)
    if done is not None:
        record(Action.TRANSITION, course, message=f"course completed: {course.hours} h credited")
    return done


def grade(course: Course, answers: Any) -> tuple[list[int | None], int]:
    """The answers (one option index per question, in order) and the score out of 100."""
    questions = list(course.questions.order_by("position", "pk"))
    if not questions:
        raise ConflictError("本课程没有测验")
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise ValidationError({"answers": f"请回答全部 {len(questions)} 道题"})
    picked: list[int | None] = []
    for n, (question, answer) in enumerate(zip(questions, answers, strict=True), start=1):
        try:
            index = int(answer)
        except (TypeError, ValueError):
            raise ValidationError({"answers": f"第 {n} 题未作答"}) from None
        if not 0 <= index < len(question.choices):
            raise ValidationError({"answers": f"第 {n} 题的选项不存在"})
        picked.append(index)
    right = sum(1 for q, a in zip(questions, picked, strict=True) if q.answer == a)
    return picked, round(100 * right / len(questions))


@transaction.atomic
def submit_quiz(
    *, user: User, course: Course, answers: Any, key: str = ""
) -> tuple[QuizAttempt, Credit | None]:
    """Record an attempt; a pass credits the course's hours (once). A resend with the same key
    (a phone whose answer was lost) gets the first attempt back."""
    _studyable(user, course)
    key = str(key or "")[:64]
    if key:
        earlier = QuizAttempt.objects.filter(user=user, key=key).first()
        if earlier is not None:
            if earlier.course_id != course.pk:
                raise ConflictError("此提交标识已用于另一门课程")
            return earlier, Credit.objects.filter(user=user, course=course).first()
    picked, score = grade(course, answers)
    path, county = _learner_place(user)
    attempt = QuizAttempt.objects.create(
        course=course,
        user=user,
        answers=picked,
        score=score,
        passed=score >= course.pass_mark,
        key=key,
        path=path,
        county_code=county,
    )
    done = None
    if attempt.passed:
        done = credit(user=user, hours=course.hours, source=CreditSource.COURSE, course=course)
    return attempt, done


@transaction.atomic
def record_training(*, user: User, learner: User, hours: Any, on: Any, note: Any) -> Credit:
    """An official records training done elsewhere (offline classes) for someone of their subtree."""
    place = place_of(learner)
    if place is None:
        raise ValidationError({"user_id": "该人员没有所属网格"})
    require(user, Cap.MANAGE_STAFF, place[0])
    try:
        day = datetime.date.fromisoformat(str(on or "").strip())
    except ValueError:
        raise ValidationError({"on": "日期格式应为 YYYY-MM-DD"}) from None
    if day > timezone.localdate():
        raise ValidationError({"on": "日期不能晚于今天"})
    made = credit(
        user=learner,
        hours=hours_of(hours),
        source=CreditSource.MANUAL,
        on=day,
        note=text(note, "note", "培训内容", 200),
        by=user,
    )
    assert made is not None  # manual credits are not unique per course or session
    return made


@transaction.atomic
def set_requirement(*, user: User, county: Node, year: Any, min_hours: Any) -> Requirement:
    if county.level != Level.COUNTY:
        raise ValidationError({"county_id": "请选择区县"})
    require(user, Cap.MANAGE_STAFF, county.path, county)
    year = year_of(year)
    if str(min_hours or "").strip() == "":
        raise ValidationError({"min_hours": "请填写最低学时"})
    minimum = hours_of(min_hours, "min_hours", low=Decimal(0), high=Decimal(500))
    found, _created = Requirement.objects.update_or_create(
        county_code=county.county_code,
        year=year,
        defaults={"county": county, "path": county.path, "min_hours": minimum},
    )
    return found
