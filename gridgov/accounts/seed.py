"""Demo users (one per level and role, listed in the README) and 1+1+1+N staff for every grid."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.accounts.totp import DEMO_RECOVERY_CODES, DEMO_TOTP_SECRET, key_of
from gridgov.accounts.twofactor import PRIVILEGED_ROLES, normalise_code
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.names import person_name
from gridgov.core.seeding import DEMO_PASSWORD, SeedContext, db_value, insert_rows
from gridgov.hierarchy.models import Level, Node

# username, full name, role, node name (None: superuser without a role). README lists these.
DEMO_USERS: list[tuple[str, str, str | None, str | None]] = [
    ("sysadmin", "系统管理员", None, None),
    ("city_admin", "张慧英", Role.CITY_ADMIN, "呼和浩特市"),
    ("saihan_admin", "赛罕区综治中心", Role.COUNTY_ADMIN, "赛罕区"),
    ("zhaowuda_admin", "昭乌达南路街道综治中心", Role.TOWNSHIP_ADMIN, "昭乌达南路街道"),
    ("huimin_admin", "惠民社区综治中心", Role.COMMUNITY_ADMIN, "惠民社区"),
    ("huimin_chief", "李网格长", Role.GRID_CHIEF, "惠民社区第一网格"),
    ("huimin_instructor", "王指导员", Role.GRID_INSTRUCTOR, "惠民社区第一网格"),
    ("gaobo", "高波", Role.GRID_WORKER, "惠民社区第一网格"),
    ("huimin_volunteer", "赵楼栋长", Role.PART_TIME_WORKER, "惠民社区第一网格"),
    ("laogangfang_worker", "姚辛", Role.GRID_WORKER, "老缸房社区第一网格"),
    ("auditor", "市审计员", Role.AUDITOR, "呼和浩特市"),
]
DEMO_GRID_ROLES = {Role.GRID_CHIEF, Role.GRID_INSTRUCTOR, Role.GRID_WORKER}


def _privileged(role: str | None) -> bool:
    return role is None or role in PRIVILEGED_ROLES


def _demo_second_factor(privileged: list[User]) -> None:
    """The demo's privileged users share the public demo TOTP secret and recovery codes
    (`gridgov.accounts.totp`; README), so the demo works without enrolling a phone."""
    key = key_of(DEMO_TOTP_SECRET).hex()
    TOTPDevice.objects.bulk_create(
        [TOTPDevice(user=user, name="演示验证器", key=key, confirmed=True) for user in privileged]
    )
    statics = StaticDevice.objects.bulk_create(
        [StaticDevice(user=user, name="恢复码", confirmed=True) for user in privileged]
    )
    StaticToken.objects.bulk_create(
        [
            StaticToken(device=static, token=normalise_code(code))
            for static in statics
            for code in DEMO_RECOVERY_CODES
        ]
    )


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    demo_hash = make_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    assignments: list[RoleAssignment] = []
    taken: set[tuple[int, str]] = set()
    for username, full_name, role, _node_name in DEMO_USERS:
        user = User(
            username=username,
            full_name=full_name,
            password=demo_hash,
            is_superuser=role is None,
            is_staff=True,
        )
        users[username] = user
    User.objects.bulk_create(users.values())
    nodes = {n.name: n for n in Node.objects.filter(name__in=[u[3] for u in DEMO_USERS if u[3]])}
    for username, _full_name, role, node_name in DEMO_USERS:
        if role is None or node_name is None:
            continue
        node = nodes[node_name]
        assignments.append(
            RoleAssignment(
                user=users[username],
                role=role,
                node=node,
                grants_special_groups=role in {Role.COMMUNITY_ADMIN, Role.GRID_WORKER},
            )
        )
        taken.add((node.pk, role))

    RoleAssignment.objects.bulk_create(assignments)
    _demo_second_factor([users[username] for username, _n, role, _p in DEMO_USERS if _privileged(role)])

    # Every grid gets its chief, instructor, full-time worker and one or two part-time workers.
    # Generated staff cannot log in (unusable password) until an administrator sets one. At city
    # scale these are tens of thousands of rows: plain INSERTs (see insert_rows).
    now = db_value(User, "date_joined", timezone.now())
    staff: list[tuple[str, Node, str]] = []
    grids = ctx.shared.get("grids") or list(Node.objects.filter(level=Level.GRID))

    def staff_rows() -> Iterator[tuple[Any, ...]]:
        for grid in ctx.track(grids, "网格人员"):
            extra = ctx.rng.randint(1, 2)
            roles = [Role.GRID_CHIEF, Role.GRID_INSTRUCTOR, Role.GRID_WORKER] + [
                Role.PART_TIME_WORKER
            ] * extra
            for n, role in enumerate(roles):
                if (grid.pk, role) in taken:
                    continue
                username = f"g{grid.code}{role[:2]}{n}"
                staff.append((username, grid, str(role)))
                yield ("!unusable", None, False, username, "", "", "", False, True, now, person_name(ctx.rng))

    insert_rows(
        User,
        [
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "full_name",
        ],
        staff_rows(),
    )
    user_ids = dict(
        User.objects.filter(is_staff=False, username__startswith="g").values_list("username", "pk")
    )
    count = insert_rows(
        RoleAssignment,
        ["user", "role", "node", "grants_special_groups", "created_at"],
        ((user_ids[username], role, grid.pk, False, now) for username, grid, role in staff),
    )
    record(
        Action.COMMAND,
        object_type="accounts.user",
        message=f"seed {ctx.scale}: {len(users)} demo users, {len(staff)} grid staff, "
        f"{len(assignments) + count} assignments",
    )
    ctx.shared["users"] = users
    ctx.say(f"[green]Accounts:[/green] {len(users)} demo users, {len(staff)} grid staff")
