"""Full-time grid workers' files, their pay grade and its history, the yearly pay table and the
contribution rates per county, and the annual promotion runs.

A worker's file lives where their grid is (`path`, `county_code`), so a community official sees
the files of their community's workers and a county official the county's. The worker sees their
own file (gridgov.accounts.scope.ByPathOrOwn).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel

MIN_GRADE, MAX_GRADE = 1, 12


class Education(models.TextChoices):
    JUNIOR_HIGH = "junior_high", _("初中及以下")
    HIGH_SCHOOL = "high_school", _("高中/中专")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class ContractKind(models.TextChoices):
    LABOUR = "labour", _("劳动合同")
    DISPATCH = "dispatch", _("劳务派遣")
    SERVICE = "service", _("购买服务")


class WorkerStatus(models.TextChoices):
    ACTIVE = "active", _("在岗")
    DEPARTED = "departed", _("离职")


class DepartureReason(models.TextChoices):
    RESIGNED = "resigned", _("主动辞职")
    CONTRACT_ENDED = "contract_ended", _("合同期满不续签")
    DISMISSED = "dismissed", _("解除聘用")
    RETIRED = "retired", _("退休")
    TRANSFERRED = "transferred", _("调离")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class WorkerFile(ScopedModel):
    """One full-time grid worker's file (专职网格员档案)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="worker_file"
    )
    grid = models.ForeignKey(Node, verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_enc = models.BinaryField(_("身份证号（密文）"), null=True, blank=True, editable=False)
    phone_enc = models.BinaryField(_("电话（密文）"), null=True, blank=True, editable=False)
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices, blank=True)
    hire_date = models.DateField(_("入职日期"))
    contract_kind = models.CharField(
        _("用工形式"), max_length=12, choices=ContractKind.choices, default=ContractKind.LABOUR
    )
    contract_end = models.DateField(_("合同到期"), null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("薪酬档次"))
    status = models.CharField(
        _("状态"), max_length=10, choices=WorkerStatus.choices, default=WorkerStatus.ACTIVE, db_index=True
    )
    departed_on = models.DateField(_("离职日期"), null=True, blank=True)
    departure_reason = models.CharField(
        _("离职原因"), max_length=16, choices=DepartureReason.choices, blank=True
    )
    departure_note = models.CharField(_("离职说明"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("网格员档案")
        verbose_name_plural = _("网格员档案")
        ordering = ["path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=MIN_GRADE, grade__lte=MAX_GRADE), name="worker_grade_1_to_12"
            ),
        ]
        indexes = [models.Index(fields=["county_code", "status", "grade"], name="worker_county_status_grade")]

    def __str__(self) -> str:
        return f"{self.name}（{self.grid.name if self.grid_id else ''}）"


class GradeChangeKind(models.TextChoices):
    HIRE = "hire", _("入职定档")
    PROMOTION = "promotion", _("考核晋档")
    ADJUSTMENT = "adjustment", _("调整")


class GradeChange(ScopedModel):
    """One step of a worker's grade history; `year` is the year the new grade takes effect."""

    worker = models.ForeignKey(
        WorkerFile, verbose_name=_("网格员"), on_delete=models.CASCADE, related_name="grade_changes"
    )
    year = models.PositiveSmallIntegerField(_("生效年度"))
    from_grade = models.PositiveSmallIntegerField(_("原档次"), null=True, blank=True)
    to_grade = models.PositiveSmallIntegerField(_("新档次"))
    kind = models.CharField(_("类型"), max_length=12, choices=GradeChangeKind.choices)
    run = models.ForeignKey(
        "PromotionRun",
        verbose_name=_("晋档批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grade_changes",
    )
    reason = models.CharField(_("依据"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("档次变动")
        verbose_name_plural = _("档次变动")
        ordering = ["worker", "year", "pk"]
        indexes = [models.Index(fields=["county_code", "kind", "year"], name="gradechange_county_kind")]

    def __str__(self) -> str:
        return f"{self.year} {self.from_grade or '-'}→{self.to_grade}"


class RecordKind(models.TextChoices):
    REWARD = "reward", _("奖励")
    SANCTION = "sanction", _("处分")


class RewardSanction(ScopedModel):
    worker = models.ForeignKey(
        WorkerFile, verbose_name=_("网格员"), on_delete=models.CASCADE, related_name="records"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=RecordKind.choices)
    date = models.DateField(_("日期"))
    title = models.CharField(_("名称"), max_length=100)
    issuer = models.CharField(_("决定单位"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("奖惩记录")
        verbose_name_plural = _("奖惩记录")
        ordering = ["worker", "-date"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"


class PayScale(ScopedModel):
    """The monthly pay of one grade in one county's pay table for one year (path: the county)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.PositiveSmallIntegerField(_("档次"))
    monthly_pay = models.DecimalField(_("月薪酬（元）"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("薪酬档次表")
        verbose_name_plural = _("薪酬档次表")
        ordering = ["county_code", "year", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "year", "grade"], name="one_pay_per_county_year_grade"
            ),
            models.CheckConstraint(
                condition=models.Q(grade__gte=MIN_GRADE, grade__lte=MAX_GRADE), name="payscale_grade_1_to_12"
            ),
            models.CheckConstraint(condition=models.Q(monthly_pay__gt=0), name="payscale_pay_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.year} {self.grade}档 {self.monthly_pay}"


class ContributionRates(ScopedModel):
    """A county's social-insurance and housing-fund figures for one year: the contribution base's
    floor and ceiling and the employer's rates (fractions: 0.16 = 16 %)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    base_floor = models.DecimalField(_("缴费基数下限（元/月）"), max_digits=10, decimal_places=2)
    base_ceiling = models.DecimalField(_("缴费基数上限（元/月）"), max_digits=10, decimal_places=2)
    pension_rate = models.DecimalField(_("养老保险单位费率"), max_digits=6, decimal_places=4)
    medical_rate = models.DecimalField(_("医疗保险（含生育）单位费率"), max_digits=6, decimal_places=4)
    unemployment_rate = models.DecimalField(_("失业保险单位费率"), max_digits=6, decimal_places=4)
    injury_rate = models.DecimalField(_("工伤保险单位费率"), max_digits=6, decimal_places=4)
    housing_fund_rate = models.DecimalField(_("住房公积金单位比例"), max_digits=6, decimal_places=4)

    class Meta:
        verbose_name = _("社保公积金参数")
        verbose_name_plural = _("社保公积金参数")
        ordering = ["county_code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "year"], name="one_rates_per_county_year"),
            models.CheckConstraint(
                condition=models.Q(base_floor__gt=0, base_ceiling__gte=models.F("base_floor")),
                name="rates_floor_below_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.year}"


class RunStatus(models.TextChoices):
    PREVIEW = "preview", _("预览")
    APPLIED = "applied", _("已批准执行")
    CANCELLED = "cancelled", _("已撤销")


class PromotionRun(ScopedModel):
    """One county's annual promotion run on the results of `assessment_year`; the new grades take
    effect in the following year. A preview changes nothing and may be refreshed or cancelled;
    approving it applies every line at once."""

    county = models.ForeignKey(Node, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    assessment_year = models.PositiveSmallIntegerField(_("考核年度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PREVIEW, db_index=True
    )
    workers = models.PositiveIntegerField(_("参与人数"), default=0)
    promoted_one = models.PositiveIntegerField(_("晋一档"), default=0)
    promoted_two = models.PositiveIntegerField(_("晋两档"), default=0)
    capped = models.PositiveIntegerField(_("受最高档限制"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    refreshed_at = models.DateTimeField(_("重新计算时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("批准/撤销时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("晋档批次")
        verbose_name_plural = _("晋档批次")
        ordering = ["-assessment_year", "county_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "assessment_year"],
                condition=~models.Q(status=RunStatus.CANCELLED),
                name="one_live_run_per_county_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.county.name if self.county_id else self.county_code} {self.assessment_year}年度晋档"

    @property
    def effective_year(self) -> int:
        return self.assessment_year + 1


class PromotionLine(ScopedModel):
    """One worker's outcome in a run, with the reason in words and the results it was read from."""

    run = models.ForeignKey(PromotionRun, on_delete=models.CASCADE, related_name="lines")
    worker = models.ForeignKey(WorkerFile, on_delete=models.CASCADE, related_name="promotion_lines")
    grade_before = models.PositiveSmallIntegerField(_("原档次"))
    grade_after = models.PositiveSmallIntegerField(_("新档次"))
    step = models.PositiveSmallIntegerField(_("晋档数"), default=0)
    rule = models.CharField(_("适用规则"), max_length=12, blank=True)
    reason = models.CharField(_("理由"), max_length=300)
    # {"2023": "qualified", ...}: the approved results the decision was read from.
    basis = models.JSONField(_("考核依据"), default=dict)

    class Meta:
        verbose_name = _("晋档明细")
        verbose_name_plural = _("晋档明细")
        ordering = ["run", "path"]
        constraints = [models.UniqueConstraint(fields=["run", "worker"], name="one_line_per_run_worker")]

    def __str__(self) -> str:
        return f"{self.grade_before}→{self.grade_after}"
