"""The ten duties of a full-time grid worker, the tasks given to grid workers, and admission
(准入): a task outside the duties reaches workers only once the county approved it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel


class Duty(models.Model):
    """One of the ten duties (十项工作职责): data an administrator edits (city-wide)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("网格员职责")
        verbose_name_plural = _("网格员职责")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    CITY = "city", _("市级")
    COUNTY = "county", _("区县")
    TOWNSHIP = "township", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    DEPARTMENT = "department", _("部门")


class Admission(models.TextChoices):
    NOT_NEEDED = "not_needed", _("职责内")
    PENDING = "pending", _("待准入审批")
    APPROVED = "approved", _("准入通过")
    REFUSED = "refused", _("不予准入")


class Task(ScopedModel):
    """A task given to the grid workers of an area. `path` is the area's (the node it was issued
    for); `duty` is empty for a task outside the ten duties, which waits for admission."""

    # A notice about a task waits on its admission (gridgov.notifications).
    notice_state_field = "admission"

    title = models.CharField(_("任务名称"), max_length=100)
    description = models.TextField(_("任务要求"), blank=True)
    duty = models.ForeignKey(
        Duty,
        verbose_name=_("所属职责"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    node = models.ForeignKey(Node, verbose_name=_("下达范围"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    organisation = models.ForeignKey(
        "events.Organisation",
        verbose_name=_("下达部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下达人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issued_tasks",
    )
    deadline = models.DateTimeField(_("完成时限"))
    admission = models.CharField(_("准入"), max_length=12, choices=Admission.choices, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("网格任务")
        verbose_name_plural = _("网格任务")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tasks:detail", kwargs={"task_id": self.pk})


class AssignmentState(models.TextChoices):
    HELD = "held", _("待准入")
    OPEN = "open", _("待完成")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("未准入")


class TaskAssignment(ScopedModel):
    """A task as one grid's worker has it; `path` is the grid's. Held until admission."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="assignments"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="task_assignments",
    )
    state = models.CharField(_("状态"), max_length=10, choices=AssignmentState.choices)
    result = models.CharField(_("完成情况"), max_length=500, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("网格任务（网格）")
        verbose_name_plural = _("网格任务（网格）")
        ordering = ["task__deadline", "pk"]
        indexes = [
            models.Index(fields=["grid", "state"], name="task_assignment_grid_state"),
            models.Index(fields=["worker", "created_at"], name="task_assignment_worker_time"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}@{self.grid_id}"


class TaskPhoto(models.Model):
    assignment = models.ForeignKey(
        TaskAssignment, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to="tasks/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("任务照片")
        verbose_name_plural = _("任务照片")

    def __str__(self) -> str:
        return str(self.image.name)
