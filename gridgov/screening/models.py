"""Screening rounds (矛盾纠纷排查): a township or county asks its grids for their disputes and
hazards by a deadline; each grid answers with findings or a nil return (零报告)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel


class ScreeningRound(ScopedModel):
    """A round opened for every grid under `node` (its path is the node's)."""

    title = models.CharField(_("排查名称"), max_length=100)
    node = models.ForeignKey(Node, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("要求"), max_length=500, blank=True)
    deadline = models.DateField(_("报送截止日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("排查轮次")
        verbose_name_plural = _("排查轮次")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("screening:detail", kwargs={"screeninground_id": self.pk})


class ReturnState(models.TextChoices):
    PENDING = "pending", _("未报送")
    NIL = "nil", _("零报告")
    FINDINGS = "findings", _("有发现")


class FindingKind(models.TextChoices):
    DISPUTE = "dispute", _("矛盾纠纷")
    HAZARD = "hazard", _("安全隐患")


class ScreeningReturn(ScopedModel):
    """One grid's answer to a round (its path is the grid's): pending until answered."""

    round = models.ForeignKey(
        ScreeningRound, verbose_name=_("排查轮次"), on_delete=models.CASCADE, related_name="returns"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("状态"), max_length=10, choices=ReturnState.choices, default=ReturnState.PENDING
    )
    findings = models.JSONField(_("发现"), default=list, blank=True)
    disputes = models.PositiveIntegerField(_("矛盾纠纷数"), default=0)
    hazards = models.PositiveIntegerField(_("安全隐患数"), default=0)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("报送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格排查报送")
        verbose_name_plural = _("网格排查报送")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["round", "grid"], name="one_return_per_grid")]
        indexes = [models.Index(fields=["grid", "state"], name="screening_grid_state")]

    def __str__(self) -> str:
        return f"{self.round_id}@{self.grid_id}"
