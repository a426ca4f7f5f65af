"""The default care rules (data an administrator edits afterwards)."""

from django.db import migrations

DEFAULTS = [
    ("alone", "独居老人", 7),
    ("left_behind_elder", "空巢（留守）老人", 30),
    ("disabled", "残疾人", 30),
    ("extreme_poverty", "特困人员", 30),
    ("subsistence", "低保对象", 90),
]


def add_defaults(apps, schema_editor):  # type: ignore[no-untyped-def]
    rule = apps.get_model("care", "CareRule")
    for tag, name, days in DEFAULTS:
        rule.objects.get_or_create(tag=tag, defaults={"name": name, "interval_days": days})


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
