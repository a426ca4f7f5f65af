"""The demo Open311 client with a FIXED, documented API key (README, section "Open311"), and the
extra questions (service attributes) a few services ask.

The demo key is public: an administrator replaces it (admin: Open311 客户端) on any real server.
"""

from django.db import transaction

from gridgov.accounts.models import User
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.seeding import SeedContext
from gridgov.disputes.models import DisputeType
from gridgov.events.models import Category
from gridgov.hierarchy.models import Level, Node
from gridgov.open311.models import Client, Datatype, ServiceAttribute

DEMO_API_KEY = "gridgov-open311-demo-150100"
DEMO_CLIENT_USER = "open311_demo"

# (category code or "dispute.*", code, datatype, required, question, values)
ATTRIBUTES: list[tuple[str, str, str, bool, str, list[tuple[str, str]]]] = [
    (
        "dispute.*",
        "DISPUTE_TYPE",
        Datatype.SINGLEVALUELIST,
        False,
        "纠纷类型",
        [(str(value), str(label)) for value, label in DisputeType.choices],
    ),
    ("dispute.*", "PARTIES", Datatype.NUMBER, False, "涉及几方当事人", []),
    ("heating.cold_room", "ROOM_TEMP", Datatype.NUMBER, False, "室内温度（℃）", []),
    (
        "fire.exit_blocked",
        "BLOCKED_BY",
        Datatype.SINGLEVALUELIST,
        True,
        "通道被什么堵塞",
        [("vehicle", "车辆"), ("goods", "杂物"), ("locked", "门被锁闭")],
    ),
    ("water.outage", "SINCE", Datatype.DATETIME, False, "停水开始时间", []),
    (
        "city.garbage",
        "KINDS",
        Datatype.MULTIVALUELIST,
        False,
        "垃圾种类",
        [("household", "生活垃圾"), ("construction", "建筑垃圾"), ("bulky", "大件垃圾")],
    ),
]


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    city = Node.objects.filter(level=Level.CITY).first()
    if city is None:
        return
    user, _ = User.objects.get_or_create(
        username=DEMO_CLIENT_USER,
        defaults={"full_name": "Open311 演示客户端", "password": "!unusable", "is_staff": False},
    )
    client = Client(name="演示客户端（公开密钥，仅供测试）", user=user, area=city, contact="README · Open311")
    client.set_key(DEMO_API_KEY)
    client.save()
    categories = {c.code: c for c in Category.objects.all()}
    rows = []
    per_category: dict[int, int] = {}
    for target, code, datatype, required, question, values in ATTRIBUTES:
        targets = (
            [c for k, c in categories.items() if k.startswith("dispute.")]
            if target == "dispute.*"
            else [categories[target]]
            if target in categories
            else []
        )
        for category in targets:
            per_category[category.pk] = per_category.get(category.pk, 0) + 1
            rows.append(
                ServiceAttribute(
                    category=category,
                    code=code,
                    datatype=datatype,
                    required=required,
                    description=question,
                    order=per_category[category.pk],
                    values=[{"key": k, "name": n} for k, n in values],
                )
            )
    ServiceAttribute.objects.bulk_create(rows, ignore_conflicts=True)
    record(
        Action.COMMAND,
        client,
        message=f"seed {ctx.scale}: demo Open311 client, {len(rows)} service attributes",
    )
    ctx.say(f"[green]Open311:[/green] demo client (api_key {DEMO_API_KEY}), {len(rows)} service attributes")
