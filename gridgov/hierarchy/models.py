"""The six-level tree: city → county → township → community → grid → building.

Every node keeps its materialized `path` (the concatenated codes of its ancestors and itself,
fixed width per level) and its `county_code`, so "everything under X" is an indexed prefix query
and a PostgreSQL cluster can later shard by county. Rows of other apps that belong to a place
(households, residents, events) copy both from their node through `ScopedModel`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import RestrictedManager
from gridgov.core.lookups import PathField
from gridgov.hierarchy import paths
from gridgov.hierarchy.paths import LEVEL_ORDER


class Level(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("旗/县/区")
    TOWNSHIP = "township", _("乡镇/街道")
    COMMUNITY = "community", _("村/社区")
    GRID = "grid", _("网格")
    BUILDING = "building", _("楼栋")


DERIVED_LEVELS = {Level.GRID, Level.BUILDING}


def parent_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index > 0 else None


def child_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


class GridKind(models.TextChoices):
    BASIC = "basic", _("基础网格")
    DEDICATED = "dedicated", _("专属网格")


class DedicatedKind(models.TextChoices):
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    MARKET = "market", _("市场")
    ENTERPRISE = "enterprise", _("企业")
    PARK = "park", _("园区")
    GOVERNMENT = "government", _("机关")
    SCENIC = "scenic", _("景区")
    OTHER = "other", _("其他")


class ScopedModel(models.Model):
    """A row that belongs to a place in the hierarchy; scope filters and sharding use these two."""

    path = PathField(_("层级路径"), db_index=True, editable=False)
    county_code = models.CharField(_("区县代码"), max_length=6, db_index=True, editable=False)

    objects = RestrictedManager()

    class Meta:
        abstract = True


class Node(ScopedModel):
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices, db_index=True)
    code = models.CharField(_("代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    grid_kind = models.CharField(_("网格类型"), max_length=12, choices=GridKind.choices, blank=True)
    dedicated_kind = models.CharField(
        _("专属网格类别"), max_length=12, choices=DedicatedKind.choices, blank=True
    )
    # GeoJSON geometry (Polygon or MultiPolygon, WGS84 lon/lat) for grids; optional elsewhere.
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    # A representative point: a building's location, a grid's centroid.
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("层级节点")
        verbose_name_plural = _("层级节点")
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "path"], name="node_level_path")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    def ancestor_paths(self) -> list[str]:
        """Paths of this node and all its ancestors, top first."""
        return paths.ancestors(self.path)


class PoliceBeat(ScopedModel):
    """A police grid (警格): one station's beat and its officer, overlaying management grids."""

    code = models.CharField(_("警格编号"), max_length=32, unique=True)
    name = models.CharField(_("警格名称"), max_length=100)
    station_name = models.CharField(_("派出所"), max_length=100)
    officer_name = models.CharField(_("责任民警"), max_length=50)
    officer_badge = models.CharField(_("警号"), max_length=20, blank=True)
    volunteer_police = models.PositiveIntegerField(_("义警人数"), default=0)
    grids = models.ManyToManyField(
        Node, verbose_name=_("覆盖网格"), related_name="police_beats", limit_choices_to={"level": Level.GRID}
    )

    class Meta:
        verbose_name = _("警格")
        verbose_name_plural = _("警格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.station_name}）"
