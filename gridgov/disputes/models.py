"""Dispute mediation (矛盾纠纷排查化解): a dispute IS an event (category with is_dispute) plus its
parties, a risk rating computed from signals, the mediation team, visits and the outcome.

The plan of follow-up visits after the outcome is FollowUp rows, one per planned date.
The event keeps the workflow and the timeline (gridgov.events); these rows add what mediation
needs. Parties' phones are stored only encrypted with a blind index, as in the registry.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.events.models import Event, Organisation
from gridgov.hierarchy.models import ScopedModel


class DisputeType(models.TextChoices):
    NEIGHBOUR = "neighbour", _("邻里纠纷")
    FAMILY = "family", _("婚姻家庭纠纷")
    PROPERTY_MANAGEMENT = "property_management", _("物业纠纷")
    WAGE_ARREARS = "wage_arrears", _("劳资欠薪纠纷")
    LAND = "land", _("土地纠纷")
    CONSUMER = "consumer", _("消费纠纷")
    OTHER = "other", _("其他纠纷")


class RiskLevel(models.TextChoices):
    LOW = "low", _("低风险")
    MEDIUM = "medium", _("中风险")
    HIGH = "high", _("高风险")
    CRITICAL = "critical", _("极高风险")


RISK_RANK: dict[str, int] = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2, RiskLevel.CRITICAL: 3}
RISK_ORDER: list[str] = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL]


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("达成调解协议")
    COURT = "court", _("引导诉讼")
    ARBITRATION = "arbitration", _("转仲裁")
    POLICE = "police", _("移交公安")
    WITHDRAWN = "withdrawn", _("当事人撤回")


class Dispute(ScopedModel):
    """The mediation side of one event; `path` is the event's (its grid's) path."""

    # A notice about a dispute waits on its outcome (gridgov.notifications).
    notice_state_field = "outcome"

    event = models.OneToOneField(
        Event, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="dispute"
    )
    dispute_type = models.CharField(
        _("纠纷类型"), max_length=24, choices=DisputeType.choices, default=DisputeType.OTHER
    )
    # Effective level: the override if one is set, the computed level otherwise.
    risk_level = models.CharField(
        _("风险等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW, db_index=True
    )
    computed_risk = models.CharField(
        _("研判等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    # [{"signal": "threat", "level": "high", "detail": "…"}, …] — why the computed level is what it is.
    risk_reasons = models.JSONField(_("研判依据"), default=list, blank=True)
    risk_override = models.CharField(_("人工调整等级"), max_length=10, choices=RiskLevel.choices, blank=True)
    risk_override_reason = models.CharField(_("调整理由"), max_length=500, blank=True)
    risk_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调整人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    risk_override_at = models.DateTimeField(_("调整时间"), null=True, blank=True)
    # The highest level already alerted, so a level is announced once, not on every recompute.
    alerted_level = models.CharField(_("已预警等级"), max_length=10, choices=RiskLevel.choices, blank=True)
    # Normalised event address: repeated disputes at one place are found by equality.
    address_key = models.CharField(_("地址键"), max_length=200, blank=True, db_index=True, editable=False)
    outcome = models.CharField(
        _("化解结果"), max_length=12, choices=Outcome.choices, blank=True, db_index=True
    )
    outcome_terms = models.TextField(_("协议内容/去向说明"), blank=True)
    outcome_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结果登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("登记时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["path", "risk_level"], name="dispute_scope_risk"),
            models.Index(fields=["address_key", "created_at"], name="dispute_address_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event.number} {self.get_dispute_type_display()}"

    @property
    def risk_rank(self) -> int:
        return RISK_RANK.get(self.risk_level, 0)


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请方")
    RESPONDENT = "respondent", _("被申请方")
    OTHER = "other", _("关系人")


class Party(ScopedModel):
    """A party: a resident from the registry, or an outsider known by name (and phone)."""

    PHONE_CONTEXT = "dispute_party.phone"

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("纠纷"), on_delete=models.CASCADE, related_name="parties"
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute_parties",
    )
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices, default=PartyRole.OTHER)
    phone_enc = models.BinaryField(_("电话（密文）"), null=True, blank=True, editable=False)
    phone_hash = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    # "r:<resident id>" or "p:<phone blind index>": the same person across disputes; "" if unknown.
    identity = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["dispute", "pk"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    GRID_WORKER = "grid_worker", _("专职网格员")
    PART_TIME_WORKER = "part_time_worker", _("兼职网格员")
    GRID_CHIEF = "grid_chief", _("网格长")
    GRID_INSTRUCTOR = "grid_instructor", _("网格指导员")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    TOWNSHIP_STAFF = "township_staff", _("街道工作人员")
    MEDIATOR = "mediator", _("司法所调解员")
    LAWYER = "lawyer", _("包联律师")
    POLICE = "police", _("民警")
    VOLUNTEER_POLICE = "volunteer_police", _("义警")
    SECURITY_COMMITTEE = "security_committee", _("治保会成员")


class TeamMember(models.Model):
    """Someone brought into the mediation: they see the dispute and may record visits."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("纠纷"), on_delete=models.CASCADE, related_name="team"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="dispute_teams",
    )
    role = models.CharField(_("角色"), max_length=20, choices=TeamRole.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调解团队成员")
        verbose_name_plural = _("调解团队成员")
        ordering = ["dispute", "added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["dispute", "user"], name="unique_dispute_team_member")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.user}"

    @property
    def path(self) -> str:
        """The dispute's scope path, so the audit log files this row under the right place."""
        return str(self.dispute.path)


class VisitKind(models.TextChoices):
    MEDIATION = "mediation", _("联合走访调解")
    FOLLOW_UP = "follow_up", _("回访")


class Visit(models.Model):
    """A visit: when, who went, what happened. Follow-ups come after the outcome."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("纠纷"), on_delete=models.CASCADE, related_name="visits"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=VisitKind.choices, default=VisitKind.MEDIATION)
    visited_at = models.DateTimeField(_("走访时间"))
    visitors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("参加人员"), related_name="+")
    others_present = models.CharField(_("其他在场人员"), max_length=200, blank=True)
    summary = models.TextField(_("经过与结果"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["dispute", "visited_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"

    @property
    def path(self) -> str:
        return str(self.dispute.path)


class FollowUpStatus(models.TextChoices):
    PLANNED = "planned", _("待回访")
    DUE = "due", _("今日回访")
    OVERDUE = "overdue", _("回访逾期")
    DONE = "done", _("已回访")


class FollowUp(models.Model):
    """One planned follow-up visit date of a dispute's plan: open until done (with a note, or by
    a follow-up visit), due on its day, overdue after it."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("纠纷"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    due_on = models.DateField(_("计划回访日期"))
    purpose = models.CharField(_("回访重点"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_note = models.TextField(_("回访情况"), blank=True)
    visit = models.ForeignKey(
        "Visit",
        verbose_name=_("回访记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the worker told the team it was overdue (once).
    overdue_notified_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("安排人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("安排时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回访计划")
        verbose_name_plural = _("回访计划")
        ordering = ["dispute", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "due_on"], name="unique_dispute_follow_up_day")
        ]
        indexes = [
            # The worker's and the early-warning list's question: open items by date.
            models.Index(
                fields=["due_on"], condition=models.Q(done_at__isnull=True), name="follow_up_open_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.due_on:%Y-%m-%d} {self.status_label}"

    @property
    def path(self) -> str:
        return str(self.dispute.path)

    def status_on(self, today: date) -> str:
        if self.done_at is not None:
            return FollowUpStatus.DONE
        if self.due_on < today:
            return FollowUpStatus.OVERDUE
        if self.due_on == today:
            return FollowUpStatus.DUE
        return FollowUpStatus.PLANNED

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    @property
    def status_label(self) -> str:
        return str(FollowUpStatus(self.status).label)
