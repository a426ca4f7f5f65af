"""The default ten duties of a full-time grid worker (data an administrator edits afterwards)."""

from django.db import migrations

DUTIES = [
    ("information", "信息采集", "人口、房屋、单位等基础信息采集与更新"),
    ("disputes", "矛盾纠纷排查", "排查并先行调处矛盾纠纷"),
    ("hazards", "安全隐患排查", "排查消防、燃气、房屋等安全隐患"),
    ("publicity", "政策宣传", "宣传党和政府的政策法规"),
    ("services", "便民服务", "代办、帮办等便民服务"),
    ("care", "特殊人群关爱", "走访关爱独居老人、残疾人、困难群众等"),
    ("order", "治安防范", "协助开展群防群治"),
    ("environment", "环境卫生", "巡查环境卫生问题"),
    ("opinion", "民意收集", "收集社情民意"),
    ("emergency", "应急处置", "突发事件的先期处置与报告"),
]


def add_duties(apps, schema_editor):  # type: ignore[no-untyped-def]
    duty = apps.get_model("tasks", "Duty")
    for order, (code, name, description) in enumerate(DUTIES, start=1):
        duty.objects.get_or_create(code=code, defaults={"name": name, "description": description, "order": order})


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(add_duties, migrations.RunPython.noop)]
