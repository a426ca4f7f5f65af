"""Households and residents. ID numbers and phones are stored only encrypted (`*_enc`) with
keyed-hash blind indexes (`*_hash`) for uniqueness and lookup; see gridgov.core.crypto."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import RestrictedManager
from gridgov.hierarchy.models import Node, ScopedModel
from gridgov.registry.choices import (
    HouseholdKind,
    HouseholdStatus,
    LifeEventKind,
    Relation,
    ResidenceStatus,
    Sex,
)


class Household(ScopedModel):
    """A household at a building's unit and room; its path is the building's."""

    number = models.CharField(_("户编号"), max_length=32, unique=True)
    building = models.ForeignKey(
        Node,
        verbose_name=_("楼栋"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": "building"},
    )
    grid = models.ForeignKey(
        Node,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="grid_households",
        limit_choices_to={"level": "grid"},
    )
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    room = models.CharField(_("室"), max_length=10, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    kind = models.CharField(
        _("户类型"), max_length=12, choices=HouseholdKind.choices, default=HouseholdKind.REGISTERED
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.ACTIVE,
        db_index=True,
    )
    head = models.ForeignKey(
        "Resident", verbose_name=_("户主"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_enc = models.BinaryField(_("联系电话（密文）"), null=True, blank=True, editable=False)
    phone_hash = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    note = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["path", "unit", "room"]

    def __str__(self) -> str:
        return f"{self.address}（{self.number}）"


class Resident(ScopedModel):
    """A person. Leaving, moving or dying changes status and history; nothing is hard-deleted."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("所在户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_number_enc = models.BinaryField(_("身份证号（密文）"), null=True, blank=True, editable=False)
    # Blind index of the full 18-digit number: unique, so one person is in one household at a time.
    id_number_hash = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    phone_enc = models.BinaryField(_("电话（密文）"), null=True, blank=True, editable=False)
    phone_hash = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    ethnicity = models.CharField(_("民族"), max_length=10, blank=True)
    relation = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    status = models.CharField(
        _("居住状态"),
        max_length=12,
        choices=ResidenceStatus.choices,
        default=ResidenceStatus.PRESENT,
        db_index=True,
    )
    care_tags = models.JSONField(_("关爱标签"), default=list, blank=True)
    special_tags = models.JSONField(_("特殊人群标签"), default=list, blank=True)
    note = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["path", "name"]

    def __str__(self) -> str:
        return self.name


class LifeEvent(ScopedModel):
    """Move in, move out, transfer within the city, birth, death: the history of a resident."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), on_delete=models.PROTECT, related_name="life_events"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=LifeEventKind.choices)
    date = models.DateField(_("日期"))
    from_household = models.ForeignKey(
        Household, verbose_name=_("原户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_household = models.ForeignKey(
        Household, verbose_name=_("新户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人口变动")
        verbose_name_plural = _("人口变动")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.resident} {self.get_kind_display()} {self.date}"


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("待上级审批")
    APPROVED = "approved", _("已开启")
    REFUSED = "refused", _("未获批准")
    WITHDRAWN = "withdrawn", _("已撤回")


class BreakGlassGrant(ScopedModel):
    """A time-limited, reasoned permission to search outside one's own grid ("break the glass").

    `path` is the wider subtree granted; supervisors see these grants.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="break_glass_grants",
    )
    reason = models.CharField(_("理由"), max_length=500)
    granted_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    # Set when the grant opens (at once within one's own township, else on a superior's
    # approval); empty while pending and when refused or withdrawn.
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.APPROVED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("越权查询记录")
        verbose_name_plural = _("越权查询记录")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.granted_at:%Y-%m-%d %H:%M}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class ExportJob(models.Model):
    """An Excel export too large to build within a request, built by the background worker.

    The file is private to the person who asked (never under MEDIA_ROOT), kept for
    REGISTRY_EXPORT_KEEP_HOURS, then removed. What it holds is decided when it is built, with the
    person's rights at that moment (gridgov.registry.excel.write_export).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="registry_exports",
    )
    node = models.ForeignKey(
        Node, verbose_name=_("范围"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reveal = models.BooleanField(_("完整身份证号和电话"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_index=True
    )
    rows = models.PositiveIntegerField(_("居民数"), default=0)
    file_name = models.CharField(max_length=100, blank=True, editable=False)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.node or '全部范围'} {self.get_status_display()}"
