"""The overview's rollups (per grid, per day, per figure), the worker's watermark, the display
links of the big screen and the monthly reports.

A rollup row is derived data, like the search index: it is rebuilt from the raw tables (the
events, disputes, registry, staffing…) and never edited by a person, so it is written by raw SQL
without the audit log's per-row net; the full rebuild is audited as one command.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel

# The day of the stock rows ("now" figures such as open events), which have no day of their own.
STOCK_DAY = datetime.date(2000, 1, 1)


class Grain(models.TextChoices):
    DAY = "d", _("日")
    MONTH = "m", _("月")
    STOCK = "s", _("现状")


class Rollup(ScopedModel):
    """One figure of one grid: on a day (grain d), in a month (grain m, day = the 1st) or now
    (grain s, day = STOCK_DAY). `path` is the grid's path."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    figure = models.CharField(max_length=64)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("统览汇总")
        verbose_name_plural = _("统览汇总")
        constraints = [
            models.UniqueConstraint(fields=["path", "grain", "day", "figure"], name="overview_rollup_key")
        ]
        # Reads: a subtree's rows of one grain over a range of days (the city reads months).
        indexes = [models.Index(fields=["grain", "day", "path"], name="overview_rollup_grain_day")]

    def __str__(self) -> str:
        return f"{self.path} {self.grain}{self.day:%Y-%m-%d} {self.figure}={self.value}"


class RollupState(models.Model):
    """Where the rollups stand: the last audit row read and the day the stock rows were rebuilt."""

    audit_seq = models.BigIntegerField(default=0)
    stock_day = models.DateField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("汇总进度")
        verbose_name_plural = _("汇总进度")

    def __str__(self) -> str:
        return f"审计日志 #{self.audit_seq}"


class DisplayLink(ScopedModel):
    """A read-only link for a command centre's wall (大屏), bound to one node; revocable.
    Only a keyed hash of its token is stored."""

    node = models.ForeignKey(Node, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近访问"), null=True, blank=True)

    class Meta:
        verbose_name = _("大屏链接")
        verbose_name_plural = _("大屏链接")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("失败")


class MonthlyReport(ScopedModel):
    """A node's report for a period (a month, or any range asked for): Excel and PDF files in
    the private directory."""

    node = models.ForeignKey(Node, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_stem = models.CharField(max_length=100, blank=True, editable=False)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("月度报告")
        verbose_name_plural = _("月度报告")
        ordering = ["-end", "path"]
        indexes = [models.Index(fields=["node", "start", "end"], name="overview_report_node_period")]

    def __str__(self) -> str:
        return f"{self.node.name} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"
