"""Care for vulnerable residents: the visiting rules per care tag, each tagged resident's
schedule (next visit due), the visits, and when each household was last verified."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel
from gridgov.registry.choices import CareTag


class CareRule(models.Model):
    """How often residents with a care tag are visited: data an administrator edits (city-wide)."""

    tag = models.CharField(_("关爱标签"), max_length=20, choices=CareTag.choices, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    interval_days = models.PositiveSmallIntegerField(
        _("走访周期（天）"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("关爱走访规则")
        verbose_name_plural = _("关爱走访规则")
        ordering = ["interval_days", "tag"]

    def __str__(self) -> str:
        return f"{self.name}（每{self.interval_days}天）"


class VisitMethod(models.TextChoices):
    IN_PERSON = "in_person", _("入户")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")


class CareSchedule(ScopedModel):
    """One tagged resident's visiting schedule: the shortest interval of their tags' rules, the
    last visit, the next one due. Kept by gridgov.care.schedules; `path` is the resident's."""

    resident = models.OneToOneField(
        "registry.Resident", verbose_name=_("居民"), on_delete=models.CASCADE, related_name="care_schedule"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    tags = models.JSONField(_("适用标签"), default=list)
    interval_days = models.PositiveSmallIntegerField(_("走访周期（天）"))
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    next_due = models.DateField(_("下次走访日期"))
    # The due date the worker was last told is overdue (one notice per schedule per due date).
    overdue_notified_for = models.DateField(_("已提醒逾期的走访日期"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("关爱走访计划")
        verbose_name_plural = _("关爱走访计划")
        ordering = ["next_due", "pk"]
        # The due list of a worker: their grid's schedules in date order, read up to a horizon.
        indexes = [
            models.Index(fields=["grid", "next_due"], name="care_schedule_grid_due"),
            # The reminder's pass: schedules overdue (next_due before today) across the city.
            models.Index(fields=["next_due"], name="care_schedule_due"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.next_due}"


class HomeVisit(ScopedModel):
    """A household visit (入户走访): who, when, how, what was found and what is needed. A need
    reported as an event is linked. `path` is the resident's (their building's)."""

    resident = models.ForeignKey(
        "registry.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="home_visits"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="home_visits"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="home_visits",
    )
    visited_at = models.DateTimeField(_("走访时间"))
    method = models.CharField(_("方式"), max_length=10, choices=VisitMethod.choices)
    found = models.TextField(_("发现情况"), blank=True)
    needs = models.TextField(_("需求"), blank=True)
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("转为事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(fields=["grid", "visited_at"], name="care_visit_grid_time"),
            models.Index(fields=["worker", "visited_at"], name="care_visit_worker_time"),
            models.Index(fields=["resident", "visited_at"], name="care_visit_resident_time"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.visited_at:%Y-%m-%d}"


class VerifySource(models.TextChoices):
    VISIT = "visit", _("走访")
    CHECK = "check", _("核实")
    REGISTRY = "registry", _("信息维护")


class Verification(ScopedModel):
    """When a household's data was last verified (a visit, a check, an edit): one row per
    household, stamped again each time; households not stamped for long are stale."""

    household = models.OneToOneField(
        "registry.Household", verbose_name=_("户"), on_delete=models.CASCADE, related_name="verification"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("最近核实时间"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("方式"), max_length=10, choices=VerifySource.choices)

    class Meta:
        verbose_name = _("户信息核实")
        verbose_name_plural = _("户信息核实")
        ordering = ["verified_at"]
        indexes = [models.Index(fields=["grid", "verified_at"], name="care_verified_grid_time")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.verified_at:%Y-%m-%d}"
