"""Supervision and inspection (督导检查): plans by a township or county, the checklist built from
the ten duties, each grid's inspection with a score per checklist item, findings with photos, and
rectifications (整改) sent to the grid, reported back by its worker and re-inspected.

Every row lives where its place is (`path`, `county_code`): a plan at the township or county that
made it, an inspection and everything under it at its grid. Inspectors named on a plan see its
rows even outside their own subtree (gridgov.accounts.scope.InspectionRule).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel


class ChecklistItem(models.Model):
    """One item of the checklist, under one of the ten duties, with its maximum points: data an
    administrator edits (city-wide). A plan copies the active items when it is made."""

    duty = models.ForeignKey(
        "tasks.Duty", verbose_name=_("所属职责"), on_delete=models.PROTECT, related_name="checklist_items"
    )
    text = models.CharField(_("检查内容"), max_length=200)
    max_points = models.PositiveSmallIntegerField(_("分值"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("督导检查项目")
        verbose_name_plural = _("督导检查项目")
        ordering = ["duty__order", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class PlanState(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class InspectionPlan(ScopedModel):
    """A plan of inspection by a township or county: which grids (picked, or drawn at random
    with a recorded seed), the date window, the inspectors. `path` is the plan's area."""

    title = models.CharField(_("计划名称"), max_length=100)
    node = models.ForeignKey(Node, verbose_name=_("检查范围"), on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人员"), related_name="inspection_plans", blank=True
    )
    state = models.CharField(_("状态"), max_length=8, choices=PlanState.choices, default=PlanState.OPEN)
    # A random draw: N grids of the area chosen by a seeded generator, so anyone can redo it.
    draw_seed = models.BigIntegerField(_("抽签种子"), null=True, blank=True)
    draw_count = models.PositiveIntegerField(_("抽取网格数"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("抽签时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制定人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("制定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督导检查计划")
        verbose_name_plural = _("督导检查计划")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspection:plan", kwargs={"inspectionplan_id": self.pk})


class VisitState(models.TextChoices):
    PENDING = "pending", _("待检查")
    DONE = "done", _("已检查")


class InspectionVisit(ScopedModel):
    """One grid of a plan and its inspection: the points per checklist item and the score
    (0–100: the points over the items' maximum). `worker` is the grid's full-time worker when
    the plan was made, whose score this is."""

    plan = models.ForeignKey(
        InspectionPlan, verbose_name=_("计划"), on_delete=models.CASCADE, related_name="visits"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专职网格员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection_visits",
    )
    state = models.CharField(_("状态"), max_length=8, choices=VisitState.choices, default=VisitState.PENDING)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("检查意见"), max_length=1000, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    inspected_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("网格督导检查")
        verbose_name_plural = _("网格督导检查")
        ordering = ["path", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "grid"], name="inspection_visit_plan_grid")]
        indexes = [models.Index(fields=["grid", "inspected_at"], name="inspection_visit_grid_time")]

    def __str__(self) -> str:
        return f"{self.plan_id}@{self.grid_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspection:visit", kwargs={"inspectionvisit_id": self.pk})


class ItemScore(models.Model):
    """The points one checklist item got in one inspection (its maximum copied at scoring)."""

    visit = models.ForeignKey(InspectionVisit, on_delete=models.CASCADE, related_name="item_scores")
    item = models.ForeignKey(
        ChecklistItem, verbose_name=_("检查项目"), on_delete=models.PROTECT, related_name="+"
    )
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    max_points = models.PositiveSmallIntegerField(_("分值"))

    class Meta:
        verbose_name = _("检查项目得分")
        verbose_name_plural = _("检查项目得分")
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="inspection_item_score_once")]

    def __str__(self) -> str:
        return f"{self.visit_id}/{self.item_id}: {self.points}"


class InspectionFinding(ScopedModel):
    """A problem found in an inspection (under a checklist item, or general)."""

    visit = models.ForeignKey(
        InspectionVisit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="findings"
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("检查项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("问题描述"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发现人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:50]


class RectificationState(models.TextChoices):
    OPEN = "open", _("待整改")
    REPORTED = "reported", _("待复查")
    CLOSED = "closed", _("已销号")


class Rectification(ScopedModel):
    """A rectification (整改) of a finding, sent to the grid's worker with a deadline: reported
    back (text, optional photos), re-inspected — accepted, it is closed; rejected, it goes back
    to the worker with the reason. Each step is a RectificationStep."""

    finding = models.OneToOneField(
        InspectionFinding, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="rectification"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    requirement = models.CharField(_("整改要求"), max_length=1000)
    deadline = models.DateTimeField(_("整改时限"), db_index=True)
    state = models.CharField(
        _("状态"),
        max_length=10,
        choices=RectificationState.choices,
        default=RectificationState.OPEN,
        db_index=True,
    )
    report = models.CharField(_("整改情况"), max_length=1000, blank=True)
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)
    rejections = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    last_reason = models.CharField(_("退回理由"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下达人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.requirement[:50]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspection:rectification", kwargs={"rectification_id": self.pk})


class StepKind(models.TextChoices):
    ISSUED = "issued", _("下达整改")
    REPORTED = "reported", _("报告整改情况")
    ACCEPTED = "accepted", _("复查通过，销号")
    REJECTED = "rejected", _("复查不通过，退回")


class RectificationStep(models.Model):
    """One step of a rectification's history (read with its rectification)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=10, choices=StepKind.choices)
    text = models.CharField(_("说明"), max_length=1000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改记录")
        verbose_name_plural = _("整改记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"整改 {self.rectification_id} {self.get_kind_display()}"


class InspectionPhoto(ScopedModel):
    """A photo of a finding (by the inspector) or of a rectification report (by the worker);
    private: served only through a view that checks the scope, never from /media/."""

    finding = models.ForeignKey(
        InspectionFinding, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    step = models.ForeignKey(
        RectificationStep, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to="inspection/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("督导检查照片")
        verbose_name_plural = _("督导检查照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.image.name)
