"""Roles, where each may be held, and what each may do: permissions as data, in one table."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市级管理员")
    COUNTY_ADMIN = "county_admin", _("区县管理员")
    TOWNSHIP_ADMIN = "township_admin", _("街道/乡镇管理员")
    COMMUNITY_ADMIN = "community_admin", _("社区/村管理员")
    GRID_CHIEF = "grid_chief", _("网格长")
    GRID_INSTRUCTOR = "grid_instructor", _("网格指导员")
    GRID_WORKER = "grid_worker", _("专职网格员")
    PART_TIME_WORKER = "part_time_worker", _("兼职网格员")
    DEPARTMENT_STAFF = "department_staff", _("部门人员")
    AUDITOR = "auditor", _("审计员")


# Where a role may be held (levels as in gridgov.hierarchy.paths.LEVEL_ORDER). Department staff
# and auditors may cover any level's subtree.
ROLE_LEVELS: dict[str, set[str]] = {
    Role.CITY_ADMIN: {"city"},
    Role.COUNTY_ADMIN: {"county"},
    Role.TOWNSHIP_ADMIN: {"township"},
    Role.COMMUNITY_ADMIN: {"community"},
    Role.GRID_CHIEF: {"grid"},
    Role.GRID_INSTRUCTOR: {"grid"},
    Role.GRID_WORKER: {"grid"},
    Role.PART_TIME_WORKER: {"grid"},
    Role.DEPARTMENT_STAFF: {"city", "county", "township", "community"},
    Role.AUDITOR: {"city", "county", "township", "community"},
}

# 1+1+1+N: exactly one of each of these per grid; part-time workers are the N.
SINGLE_PER_GRID = (Role.GRID_CHIEF, Role.GRID_INSTRUCTOR, Role.GRID_WORKER)


class Cap(models.TextChoices):
    """Capabilities. A user has a capability on a subtree if a role assignment there grants it."""

    VIEW = "view", _("查看")
    # Residents and households (personal data): not department staff or auditors, who see
    # what is dispatched to them and the log, not the population.
    VIEW_REGISTRY = "view_registry", _("查看人口房屋")
    MANAGE_HIERARCHY = "manage_hierarchy", _("管理层级")
    MANAGE_STAFF = "manage_staff", _("分配人员")
    EDIT_REGISTRY = "edit_registry", _("维护人口房屋")
    SEE_PII = "see_pii", _("查看完整身份证号和电话")
    SEE_SPECIAL_GROUPS = "see_special_groups", _("查看特殊人群标签")
    REPORT_EVENT = "report_event", _("上报事件")
    HANDLE_EVENT = "handle_event", _("受理与派遣事件")
    DEPARTMENT_WORK = "department_work", _("部门处置")
    VIEW_AUDIT = "view_audit", _("查看审计日志")
    IMPORT_EXPORT = "import_export", _("导入导出")
    # Another person's patrol tracks and check-ins (PIPL: their superiors only, each view audited).
    VIEW_TRACKS = "view_tracks", _("查看巡查轨迹")
    # Granted by no role: the scope rule of disputes decides who works on one (the centres over
    # its place, its reporter, its mediation team, the organisations its event is dispatched to).
    MEDIATE = "mediate", _("参与调解")


_ADMIN: set[str] = {
    Cap.VIEW,
    Cap.VIEW_REGISTRY,
    Cap.MANAGE_HIERARCHY,
    Cap.MANAGE_STAFF,
    Cap.EDIT_REGISTRY,
    Cap.SEE_PII,
    Cap.REPORT_EVENT,
    Cap.HANDLE_EVENT,
    Cap.IMPORT_EXPORT,
    Cap.VIEW_TRACKS,
}

ROLE_CAPS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _ADMIN,
    Role.COUNTY_ADMIN: _ADMIN,
    Role.TOWNSHIP_ADMIN: _ADMIN,
    Role.COMMUNITY_ADMIN: _ADMIN,
    Role.GRID_CHIEF: {
        Cap.VIEW,
        Cap.VIEW_TRACKS,
        Cap.VIEW_REGISTRY,
        Cap.EDIT_REGISTRY,
        Cap.SEE_PII,
        Cap.REPORT_EVENT,
        Cap.IMPORT_EXPORT,
    },
    Role.GRID_INSTRUCTOR: {Cap.VIEW, Cap.VIEW_REGISTRY, Cap.REPORT_EVENT, Cap.VIEW_TRACKS},
    Role.GRID_WORKER: {
        Cap.VIEW,
        Cap.VIEW_REGISTRY,
        Cap.EDIT_REGISTRY,
        Cap.SEE_PII,
        Cap.REPORT_EVENT,
        Cap.IMPORT_EXPORT,
    },
    Role.PART_TIME_WORKER: {Cap.VIEW, Cap.VIEW_REGISTRY, Cap.REPORT_EVENT},
    Role.DEPARTMENT_STAFF: {Cap.VIEW, Cap.DEPARTMENT_WORK},
    # Auditors read the log and the structure; they cannot change business data.
    Role.AUDITOR: {Cap.VIEW, Cap.VIEW_AUDIT},
}
