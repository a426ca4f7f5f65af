"""The grid academy (网格学院): lecturers, courses with their material and quiz, learning-and-
exchange sessions with sign-up and attendance, the training hours credited to each person, the
county's yearly minimum, and the case library of settled disputes made teaching material.

Where rows live:
- what is offered (lecturers, courses, sessions, cases) belongs to the node that offers it: a
  city course is for everyone in the city, a township's session for its township. Officials who
  manage staff over that node edit it; people below it see it once it is published
  (gridgov.accounts.scope.Offered);
- what a person does (sign-ups, quiz attempts, credited hours) lives where the person works
  (their grid), so their superiors see it and they see their own (ByPathOrOwn).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel

DEFAULT_MIN_HOURS = Decimal("40")
MAX_HOURS_PER_ITEM = Decimal("40")


class Lecturer(ScopedModel):
    """A lecturer, e.g. a member of the 枫桥经验宣讲团 (the lecturer team on the Fengqiao way)."""

    node = models.ForeignKey(Node, verbose_name=_("所属层级"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务/单位"), max_length=100, blank=True)
    bio = models.TextField(_("简介"), blank=True)
    fengqiao_team = models.BooleanField(_("枫桥经验宣讲团成员"), default=False)
    active = models.BooleanField(_("在任"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("讲师")
        verbose_name_plural = _("讲师")
        ordering = ["-fengqiao_team", "name"]

    def __str__(self) -> str:
        return self.name


class CourseKind(models.TextChoices):
    DOCUMENT = "document", _("文档")
    VIDEO = "video", _("视频")
    LINK = "link", _("外部链接")


class Course(ScopedModel):
    """A course: an uploaded document or video (kept in private storage, served only through the
    scope-checking view), or an external link; credits `hours` when completed (its quiz passed,
    or, without a quiz, marked as studied)."""

    node = models.ForeignKey(Node, verbose_name=_("开设层级"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("课程名称"), max_length=100)
    summary = models.TextField(_("简介"), blank=True)
    kind = models.CharField(_("形式"), max_length=10, choices=CourseKind.choices)
    lecturer = models.ForeignKey(
        Lecturer,
        verbose_name=_("讲师"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    url = models.URLField(_("链接"), max_length=500, blank=True)
    file_name = models.CharField(_("文件"), max_length=200, blank=True, editable=False)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    hours = models.DecimalField(
        _("学时"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(MAX_HOURS_PER_ITEM)],
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("及格分（百分制）"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    published = models.BooleanField(_("已发布"), default=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One multiple-choice question of a course's quiz (`choices`: 2–6 texts, `answer`: an index)."""

    course = models.ForeignKey(
        Course, verbose_name=_("课程"), on_delete=models.CASCADE, related_name="questions"
    )
    text = models.CharField(_("题目"), max_length=300)
    choices = models.JSONField(_("选项"))
    answer = models.PositiveSmallIntegerField(_("正确选项"))
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("测验题")
        verbose_name_plural = _("测验题")
        ordering = ["course", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class QuizAttempt(ScopedModel):
    """One try at a course's quiz (path: where the learner works)."""

    course = models.ForeignKey(
        Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(_("作答"), default=list)
    score = models.PositiveSmallIntegerField(_("得分"))
    passed = models.BooleanField(_("通过"))
    key = models.CharField(_("提交标识"), max_length=64, blank=True)
    at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("测验记录")
        verbose_name_plural = _("测验记录")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="one_attempt_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.score}"


class StudySession(ScopedModel):
    """A learning-and-exchange session (学习交流会): when, where, how many seats, the hours an
    attendee is credited. Attendance is checked in by scanning the QR code shown at the session."""

    node = models.ForeignKey(Node, verbose_name=_("主办层级"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("主题"), max_length=100)
    summary = models.TextField(_("内容介绍"), blank=True)
    lecturer = models.ForeignKey(
        Lecturer,
        verbose_name=_("主讲"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(
        _("名额"), validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    hours = models.DecimalField(
        _("学时"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(MAX_HOURS_PER_ITEM)],
    )
    published = models.BooleanField(_("已发布"), default=True, db_index=True)
    cancelled = models.BooleanField(_("已取消"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("学习交流会")
        verbose_name_plural = _("学习交流会")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SignupState(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    CANCELLED = "cancelled", _("已取消")
    ATTENDED = "attended", _("已签到")


class Signup(ScopedModel):
    """One person's place at a session (path: where the person works)."""

    session = models.ForeignKey(
        StudySession, verbose_name=_("交流会"), on_delete=models.PROTECT, related_name="signups"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=SignupState.choices, default=SignupState.SIGNED_UP
    )
    signed_up_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    attended_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["session", "signed_up_at"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="one_signup_per_session")]

    def __str__(self) -> str:
        return f"{self.session} · {self.get_state_display()}"


class CreditSource(models.TextChoices):
    COURSE = "course", _("课程")
    SESSION = "session", _("学习交流会")
    MANUAL = "manual", _("线下培训登记")


class Credit(ScopedModel):
    """Training hours credited to one person in one year (path: where the person works). One
    credit per course and per session a person completes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)
    source = models.CharField(_("来源"), max_length=10, choices=CreditSource.choices)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        StudySession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训学时")
        verbose_name_plural = _("培训学时")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=models.Q(course__isnull=False),
                name="one_credit_per_course",
            ),
            models.UniqueConstraint(
                fields=["user", "session"],
                condition=models.Q(session__isnull=False),
                name="one_credit_per_session",
            ),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="credit_hours_positive"),
        ]
        indexes = [models.Index(fields=["year", "user"], name="credit_year_user")]

    def __str__(self) -> str:
        return f"{self.year} {self.hours}h"


class Requirement(ScopedModel):
    """A county's minimum training hours for one year (path: the county)."""

    county = models.ForeignKey(Node, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    min_hours = models.DecimalField(
        _("最低学时"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        verbose_name = _("学时要求")
        verbose_name_plural = _("学时要求")
        ordering = ["county_code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "year"], name="one_requirement_per_county_year")
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.year} ≥{self.min_hours}h"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("编辑中")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Case(ScopedModel):
    """A settled dispute made teaching material (案例库). The draft is made anonymised from the
    dispute; the original text is never stored here. An editor edits and submits it, a second
    person approves it, and only then do learners see it."""

    node = models.ForeignKey(Node, verbose_name=_("发布层级"), on_delete=models.PROTECT, related_name="+")
    dispute = models.ForeignKey(
        "disputes.Dispute",
        verbose_name=_("来源纠纷"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=100)
    dispute_type = models.CharField(_("纠纷类型"), max_length=24, blank=True)
    body = models.TextField(_("案例正文"))
    lessons = models.TextField(_("经验启示"), blank=True)
    # What the anonymiser replaced, by kind ({"name": 4, "phone": 1, …}): counts, never values.
    replaced = models.JSONField(_("脱敏统计"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("教学案例")
        verbose_name_plural = _("教学案例")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
