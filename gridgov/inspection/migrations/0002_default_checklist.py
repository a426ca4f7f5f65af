"""The default checklist: two items under each of the ten duties, 5 points each (100 in all);
data an administrator edits afterwards."""

from django.db import migrations

ITEMS = {
    "information": ["人口、房屋信息与实际一致，变动及时更新", "出租房屋、流动人口登记完整"],
    "disputes": ["矛盾纠纷排查台账完整，按期排查", "发现的纠纷及时上报、跟进化解"],
    "hazards": ["消防、燃气等安全隐患排查到位", "隐患整改跟踪有记录"],
    "publicity": ["政策法规宣传有记录、有成效", "宣传资料张贴、发放到位"],
    "services": ["便民代办、帮办及时办理", "居民诉求有登记、有回复"],
    "care": ["独居老人等特殊人群按期走访", "走访记录真实、需求及时反映"],
    "order": ["按要求巡网走格，巡查轨迹完整", "群防群治、治安防范工作落实"],
    "environment": ["网格内环境卫生问题及时发现上报", "背街小巷、楼道无长期堆积杂物"],
    "opinion": ["社情民意收集及时、记录完整", "民情日志按时填写"],
    "emergency": ["应急联系人、预案掌握清楚", "突发事件先期处置、报告及时"],
}


def add_items(apps, schema_editor):  # type: ignore[no-untyped-def]
    duty = apps.get_model("tasks", "Duty")
    item = apps.get_model("inspection", "ChecklistItem")
    for code, texts in ITEMS.items():
        found = duty.objects.filter(code=code).first()
        if found is None:
            continue
        for order, text in enumerate(texts, start=1):
            item.objects.get_or_create(duty=found, text=text, defaults={"max_points": 5, "order": order})


class Migration(migrations.Migration):
    dependencies = [("inspection", "0001_initial"), ("tasks", "0002_default_duties")]

    operations = [migrations.RunPython(add_items, migrations.RunPython.noop)]
