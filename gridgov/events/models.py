"""Whistle and report (网格吹哨、部门报到): organisations, the event catalog, events and their timeline.

The workflow itself (which transition is legal, who may make it, deadlines) lives in
`gridgov.events.workflow`, `intake` and `transitions`; these are the records it keeps.
"""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel


class OrgKind(models.TextChoices):
    GOVERNANCE_CENTRE = "governance_centre", _("综治中心")
    POLITICAL_LEGAL = "political_legal", _("政法")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HOUSING = "housing", _("住建")
    URBAN_MANAGEMENT = "urban_management", _("城管")
    EMERGENCY = "emergency", _("应急")
    HUMAN_RESOURCES = "human_resources", _("人社")
    MARKET_REGULATION = "market_regulation", _("市场监管")
    HEALTH = "health", _("卫健")
    FIRE = "fire", _("消防")
    WATER = "water", _("供水")
    POWER = "power", _("供电")
    GAS = "gas", _("燃气")
    HEATING = "heating", _("供热")
    POLICE = "police", _("派出所")
    JUDICIAL = "judicial", _("司法所")
    LAWYER = "lawyer", _("包联律师")
    SECURITY_COMMITTEE = "security_committee", _("治保会")


class Organisation(ScopedModel):
    """A department, utility, police station, judicial office…; `area` is the subtree it serves
    (its path is the area's path)."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=OrgKind.choices, db_index=True)
    area = models.ForeignKey(
        Node, verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="organisations"
    )
    phone = models.CharField(_("值班电话"), max_length=32, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门/单位")
        verbose_name_plural = _("部门/单位")
        ordering = ["path", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    STAFF = "staff", _("工作人员")
    LEADER = "leader", _("负责人")
    MEDIATOR = "mediator", _("调解员")
    LAWYER = "lawyer", _("律师")
    OFFICER = "officer", _("民警")
    VOLUNTEER_POLICE = "volunteer_police", _("义警")


class OrgMember(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="org_memberships",
    )
    role = models.CharField(_("职务"), max_length=20, choices=MemberRole.choices, default=MemberRole.STAFF)

    class Meta:
        verbose_name = _("单位人员")
        verbose_name_plural = _("单位人员")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="unique_org_member")]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.user}"


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较大")
    HIGH = "high", _("重大")
    CRITICAL = "critical", _("特别重大")


class TimeBasis(models.TextChoices):
    WORKING = "working", _("工作时间")
    CALENDAR = "calendar", _("自然时间")


class Category(models.Model):
    """The event catalog: who owns a kind of problem and how fast it must be answered."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    owner_kind = models.CharField(_("责任单位类型"), max_length=24, choices=OrgKind.choices)
    severity = models.CharField(_("默认等级"), max_length=10, choices=Severity.choices, default=Severity.LOW)
    ack_hours = models.PositiveIntegerField(_("签收时限（小时）"), default=2)
    resolve_hours = models.PositiveIntegerField(_("办结时限（小时）"), default=72)
    time_basis = models.CharField(
        _("计时方式"), max_length=10, choices=TimeBasis.choices, default=TimeBasis.WORKING
    )
    is_dispute = models.BooleanField(_("矛盾纠纷类"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """Calendar exceptions for working-time deadlines: public holidays, and make-up working
    days (调休) that fall on a weekend."""

    date = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_workday = models.BooleanField(_("调休上班"), default=False)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class State(models.TextChoices):
    REPORTED = "reported", _("已上报")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派遣")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    IN_PROGRESS = "in_progress", _("处置中")
    SUSPENDED = "suspended", _("已挂起")
    HANDLED = "handled", _("已处置")
    REOPENED = "reopened", _("已重办")
    CLOSED = "closed", _("已办结")
    MERGED = "merged", _("已合并")


# States in which a centre still holds the event or a department is working on it (the list's
# "open" filter and sort key; workflow.OPEN_STATES is this tuple).
OPEN_STATES = (
    State.REPORTED,
    State.ACCEPTED,
    State.DISPATCHED,
    State.ACKNOWLEDGED,
    State.IN_PROGRESS,
    State.SUSPENDED,
    State.REOPENED,
)


class Supervision(models.TextChoices):
    NONE = "", _("无")
    YELLOW = "yellow", _("黄牌督办")
    RED = "red", _("红牌督办")


class Event(ScopedModel):
    """An issue found in a grid. `path` is the grid's path; `handling_node` is the centre
    (community, township, county or city) that holds it now and climbs on escalation."""

    number = models.CharField(_("事件编号"), max_length=24, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="events"
    )
    description = models.TextField(_("描述"))
    severity = models.CharField(_("等级"), max_length=10, choices=Severity.choices)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    grid = models.ForeignKey(
        Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="grid_events"
    )
    handling_node = models.ForeignKey(
        Node, verbose_name=_("当前受理层级"), on_delete=models.PROTECT, related_name="handled_events"
    )
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=200, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_events",
    )
    channel = models.CharField(_("来源渠道"), max_length=16, default="app")
    residents = models.ManyToManyField(
        "registry.Resident", verbose_name=_("涉及居民"), blank=True, related_name="events"
    )
    households = models.ManyToManyField(
        "registry.Household", verbose_name=_("涉及户"), blank=True, related_name="events"
    )
    lead_org = models.ForeignKey(
        Organisation,
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_events",
    )
    # The clock: deadline for the current step, and whether it has passed (kept by the worker).
    due_at = models.DateTimeField(_("当前时限"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    overdue = models.BooleanField(_("已超期"), default=False)
    # Kept equal to `state in OPEN_STATES` by save(): open events sort first and "open" is an
    # indexed equality rather than an IN over seven states.
    is_open = models.BooleanField(_("未办结"), default=True, editable=False)
    paused_at = models.DateTimeField(_("挂起时间"), null=True, blank=True)
    supervision = models.CharField(
        _("督办"), max_length=8, choices=Supervision.choices, blank=True, default=""
    )
    escalations = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    # When it last climbed a level; the worker escalates again only after a later deadline passes.
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_events",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("上报时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Not a column: the "report" step of an event `report_event` has just created (None otherwise).
    report_step: "EventStep | None" = None
    # The notices about this event (`Notice.objects.filter(event=…)`); deleted with it.
    notices = GenericRelation(
        "notifications.Notice",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="event",
    )

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        # Overdue first, then the nearest deadline, then the newest (see selectors.LIST_ORDER). Single
        # columns are not indexed on their own: the composite indexes below serve every list and the
        # worker, and each index costs every insert (one million at city scale).
        ordering = ["-is_open", "-overdue", "due_at", "-id"]
        indexes = [
            # Lists walk these in order and stop after a page: filters first, then the list order.
            models.Index(
                fields=["state", "category", "-is_open", "-overdue", "due_at", "-id"],
                name="event_list_state_cat",
            ),
            models.Index(fields=["state", "-is_open", "-overdue", "due_at", "-id"], name="event_list_state"),
            models.Index(fields=["category", "-is_open", "-overdue", "due_at", "-id"], name="event_list_cat"),
            models.Index(fields=["-is_open", "-overdue", "due_at", "-id"], name="event_list_order"),
            # Small scopes (a grid, a community) use the path index (ScopedModel): a short range, sorted.
            # Duplicate suggestions: same category, recent.
            models.Index(fields=["category", "created_at"], name="event_category_time"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.is_open = self.state in OPEN_STATES
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "state" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_open"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"event_id": self.pk})


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class EventAssignment(models.Model):
    """A dispatch to one organisation, with its own acknowledge and handle clocks."""

    event = models.ForeignKey(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="assignments"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=4, choices=AssignmentRole.choices)
    dispatched_at = models.DateTimeField(_("派遣时间"))
    ack_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    result = models.TextField(_("处置结果"), blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("派遣")
        verbose_name_plural = _("派遣")
        indexes = [models.Index(fields=["organisation", "active", "ack_due_at"], name="assignment_inbox")]

    def __str__(self) -> str:
        return f"{self.event.number} → {self.organisation}"


class EventStep(models.Model):
    """The timeline: every transition with who, when, from/to state and a note."""

    event = models.ForeignKey(Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("动作"), max_length=40)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)

    class Meta:
        verbose_name = _("事件流转")
        verbose_name_plural = _("事件流转")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.event.number} {self.action_name}"

    @property
    def action_name(self) -> str:
        """The action's label for the timeline (workflow actions and the other steps alike)."""
        from gridgov.events.workflow import step_name

        return step_name(self.action)


class EventPhoto(models.Model):
    event = models.ForeignKey(Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="photos")
    step = models.ForeignKey(
        EventStep,
        verbose_name=_("环节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    # A FileField: the upload is checked as an image by its content (services), not by Pillow.
    image = models.FileField(_("照片"), upload_to="events/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")

    def __str__(self) -> str:
        return str(self.image.name)


class Request(models.TextChoices):
    SUSPEND = "suspend", _("挂起申请")
    EXTEND = "extend", _("延期申请")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class ClockRequest(models.Model):
    """Suspension (挂起) or extension (延期) requested by a handler, decided by a superior."""

    event = models.ForeignKey(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="clock_requests"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Request.choices)
    hours = models.PositiveIntegerField(_("延长小时数"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("挂起/延期申请")
        verbose_name_plural = _("挂起/延期申请")

    def __str__(self) -> str:
        return f"{self.event.number} {self.get_kind_display()}"


class IdempotencyKey(models.Model):
    """Phones retry: the same key and body returns the same event; a different body is refused."""

    key = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=32, default="event")
    body_hash = models.CharField(max_length=64)
    event = models.ForeignKey(Event, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # A report accepted for later writing (`queue.queue_report`): what was checked, until the
    # worker writes the event (then it is cleared) or finds it cannot (then `error` says why).
    payload = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, default="")
    # Other writes (gridgov.api.idempotency.replayable): the answer given, replayed on a retry.
    response = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("防重复提交记录")
        verbose_name_plural = _("防重复提交记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="unique_idempotency_key")
        ]
        # The queue: the few rows still waiting, oldest first.
        indexes = [
            models.Index(fields=["id"], condition=models.Q(payload__isnull=False), name="idempotency_queued")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
