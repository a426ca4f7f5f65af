"""The annual assessment of each full-time grid worker: indicators computed from the data with the
weights the county sets, the committee's score, and the result (优秀/合格/基本合格/不合格), proposed by
the community, reviewed by the township and approved by the county, each step recorded; the
worker may appeal an approved result once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel


class Result(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASIC = "basic", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


# 合格 or better: what counts towards the one-grade rule.
QUALIFIED_OR_BETTER = frozenset({Result.EXCELLENT, Result.QUALIFIED})


class Status(models.TextChoices):
    DRAFT = "draft", _("待社区评定")
    PROPOSED = "proposed", _("待街道审核")
    REVIEWED = "reviewed", _("待区县审定")
    APPROVED = "approved", _("已审定")
    APPEALED = "appealed", _("申诉中")


class Assessment(ScopedModel):
    # A notice about an assessment waits on its status (gridgov.notifications).
    notice_state_field = "status"
    worker = models.ForeignKey(
        "workforce.WorkerFile", verbose_name=_("网格员"), on_delete=models.CASCADE, related_name="assessments"
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    # {"patrol_coverage": 92.5, ...}: each indicator 0–100, as computed from the data.
    indicators = models.JSONField(_("指标得分"), default=dict, blank=True)
    indicator_score = models.DecimalField(
        _("指标加权分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    committee_score = models.DecimalField(
        _("考核委员会评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    total_score = models.DecimalField(_("总分"), max_digits=5, decimal_places=2, null=True, blank=True)
    result = models.CharField(_("考核等次"), max_length=12, choices=Result.choices, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    note = models.CharField(_("评语"), max_length=300, blank=True)
    appeal_reason = models.CharField(_("申诉理由"), max_length=500, blank=True)
    appealed_at = models.DateTimeField(_("申诉时间"), null=True, blank=True)
    appeal_decision = models.CharField(_("申诉答复"), max_length=500, blank=True)
    appeal_decided_at = models.DateTimeField(_("申诉答复时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        ordering = ["-year", "path"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "year"], name="one_assessment_per_worker_year")
        ]
        indexes = [models.Index(fields=["county_code", "year", "status"], name="assessment_county_year")]

    def __str__(self) -> str:
        return f"{self.year}年度考核 {self.get_result_display() or self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return f"/assessment/{self.pk}/"

    @property
    def appealed(self) -> bool:
        return self.appealed_at is not None


class StepKind(models.TextChoices):
    COMPUTED = "computed", _("计算指标")
    PROPOSED = "proposed", _("社区提出")
    REVIEWED = "reviewed", _("街道审核")
    APPROVED = "approved", _("区县审定")
    RETURNED = "returned", _("退回")
    APPEALED = "appealed", _("本人申诉")
    APPEAL_DECIDED = "appeal_decided", _("申诉处理")


class AssessmentStep(ScopedModel):
    """One recorded step of an assessment: who did what, with which result and note."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=16, choices=StepKind.choices)
    result = models.CharField(_("等次"), max_length=12, choices=Result.choices, blank=True)
    note = models.CharField(_("意见"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核环节")
        verbose_name_plural = _("考核环节")
        ordering = ["assessment", "at", "pk"]

    def __str__(self) -> str:
        return self.get_kind_display()


class AssessmentScheme(ScopedModel):
    """A county's assessment scheme for one year: indicator weights (summing to 1 with the
    committee's), and the cap on the share of 优秀 among its assessed workers."""

    county = models.ForeignKey(Node, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    weights = models.JSONField(_("指标权重"), default=dict)
    committee_weight = models.DecimalField(_("委员会评分权重"), max_digits=4, decimal_places=3)
    excellent_cap = models.DecimalField(_("优秀比例上限"), max_digits=4, decimal_places=3)
    # Total score thresholds: at or above `qualified_min` 合格, `basic_min` 基本合格, else 不合格;
    # 优秀 needs `excellent_min` and a place under the cap.
    excellent_min = models.DecimalField(_("优秀最低分"), max_digits=5, decimal_places=2, default=90)
    qualified_min = models.DecimalField(_("合格最低分"), max_digits=5, decimal_places=2, default=70)
    basic_min = models.DecimalField(_("基本合格最低分"), max_digits=5, decimal_places=2, default=60)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["county_code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "year"], name="one_scheme_per_county_year")
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.year}年度考核方案"
