"""Patrols (巡网走格): a worker's walk through their grid, its GPS track, the buildings checked in
on the way, and what was found and reported during it; the coverage rule per grid kind.

A patrol and everything recorded during it belong to the grid (`path`, `county_code` of the
grid; a check-in those of its building). Tracks are personal data under PIPL: the scope rule
(gridgov.patrols.access.TrackRule) shows them to the worker and their superiors only, and the
background worker purges them after PATROL_TRACK_KEEP_DAYS.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import GridKind, Node, ScopedModel


class PatrolRule(models.Model):
    """How often each building of a grid of this kind must be checked in, and how near one must
    stand to check in by position. City-wide data an administrator edits."""

    grid_kind = models.CharField(_("网格类型"), max_length=12, choices=GridKind.choices, unique=True)
    period_days = models.PositiveSmallIntegerField(_("周期（天）"), default=7)
    checkins_per_period = models.PositiveSmallIntegerField(_("每栋每周期至少签到次数"), default=1)
    radius_m = models.PositiveSmallIntegerField(_("位置签到半径（米）"), default=60)
    patrols_per_week = models.PositiveSmallIntegerField(_("每周至少巡查次数"), default=5)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # City-wide: no place of its own. The phone's change log reads a synced row's path; the rules
    # reach phones with each snapshot and from GET /patrol-rules whenever the app is online.
    path = models.CharField(max_length=6, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("巡查规则")
        verbose_name_plural = _("巡查规则")
        ordering = ["grid_kind"]

    def __str__(self) -> str:
        return f"{self.get_grid_kind_display()}：每栋 {self.period_days} 天至少 {self.checkins_per_period} 次"


class PatrolStatus(models.TextChoices):
    ACTIVE = "active", _("巡查中")
    ENDED = "ended", _("已结束")


class Patrol(ScopedModel):
    """One walk. `key` is made by the phone when the worker starts it (offline too), so every
    write of the patrol can be queued before the server has seen it."""

    key = models.UUIDField(_("客户端标识"), default=uuid.uuid4, editable=False)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="patrols"
    )
    grid = models.ForeignKey(
        Node,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="patrols",
        limit_choices_to={"level": "grid"},
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=PatrolStatus.choices, default=PatrolStatus.ACTIVE, db_index=True
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    distance_m = models.FloatField(_("里程（米）"), default=0)
    point_count = models.PositiveIntegerField(_("轨迹点数"), default=0)
    checkin_count = models.PositiveIntegerField(_("签到楼栋数"), default=0)
    # The track simplified for display ([[lng, lat], …]), kept when the patrol ends; emptied
    # with the points when the track is purged.
    track = models.JSONField(_("轨迹（简化）"), default=list, blank=True, editable=False)
    track_purged = models.BooleanField(_("轨迹已清除"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        ordering = ["-started_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["worker", "key"], name="patrol_worker_key")]
        indexes = [
            models.Index(fields=["county_code", "started_at"], name="patrol_county_started"),
            models.Index(fields=["worker", "started_at"], name="patrol_worker_started"),
            models.Index(fields=["grid", "started_at"], name="patrol_grid_started"),
        ]

    def __str__(self) -> str:
        return f"巡查 {self.started_at:%Y-%m-%d %H:%M}（{self.pk}）"

    @property
    def duration_s(self) -> int | None:
        if self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()))


class TrackBatch(models.Model):
    """One batch of positions as the phone sent it: (patrol, seq) is stored once, so a batch sent
    again after a dropped connection adds nothing."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="batches")
    seq = models.PositiveIntegerField()
    body_hash = models.CharField(max_length=64)
    points = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("轨迹上传批次")
        verbose_name_plural = _("轨迹上传批次")
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="trackbatch_patrol_seq")]

    def __str__(self) -> str:
        return f"{self.patrol_id}#{self.seq}"


class TrackPoint(models.Model):
    """A position recorded during a patrol (WGS84)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    at = models.DateTimeField()
    lng = models.FloatField()
    lat = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("轨迹点")
        verbose_name_plural = _("轨迹点")
        indexes = [models.Index(fields=["patrol", "at"], name="trackpoint_patrol_at")]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.at:%H:%M:%S}"


class CheckinMethod(models.TextChoices):
    GEOFENCE = "geofence", _("位置签到")
    QR = "qr", _("扫码签到")
    CODE = "code", _("输入楼栋码")


class CheckIn(ScopedModel):
    """A building checked in during a patrol (path and county code: the building's)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="checkins"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        Node, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="patrol_checkins"
    )
    at = models.DateTimeField(_("签到时间"))
    method = models.CharField(_("方式"), max_length=10, choices=CheckinMethod.choices)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    distance_m = models.FloatField(_("距楼栋（米）"), null=True, blank=True)

    class Meta:
        verbose_name = _("楼栋签到")
        verbose_name_plural = _("楼栋签到")
        ordering = ["-at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["patrol", "building"], name="checkin_patrol_building")]
        indexes = [
            models.Index(fields=["county_code", "at"], name="checkin_county_at"),
            models.Index(fields=["grid", "at"], name="checkin_grid_at"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name} {self.at:%Y-%m-%d %H:%M}"


class BuildingCoverage(ScopedModel):
    """When a building was last checked in (path: the building's): the due list and the phone's
    synced `patrol_building` records read this one row per building."""

    building = models.OneToOneField(Node, on_delete=models.CASCADE, related_name="patrol_coverage")
    grid = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    last_checkin_at = models.DateTimeField()
    checkins = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("楼栋巡查覆盖")
        verbose_name_plural = _("楼栋巡查覆盖")
        indexes = [models.Index(fields=["grid", "last_checkin_at"], name="coverage_grid_last")]

    def __str__(self) -> str:
        return f"{self.building_id} {self.last_checkin_at:%Y-%m-%d}"


class FindingKind(models.TextChoices):
    EVENT = "event", _("事件")
    DISPUTE = "dispute", _("矛盾纠纷")
    REGISTRY = "registry", _("人口房屋更新")


class Finding(ScopedModel):
    """Something found on the way and reported through its own door (an event or a dispute
    through the events intake, a registry update through the registry), linked to the patrol.

    An event report is linked by the Idempotency-Key the phone reported it with: a queued report
    may be written after the link arrives, so `event` is filled once the report is written."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="findings"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=FindingKind.choices)
    report_key = models.CharField(_("上报键"), max_length=100, blank=True)
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("巡查发现")
        verbose_name_plural = _("巡查发现")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "report_key"],
                condition=~models.Q(report_key=""),
                name="finding_patrol_report_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（巡查 {self.patrol_id}）"
