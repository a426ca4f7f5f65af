"""Create the chain head's single row up front, so that two first appends cannot race to create it."""

from django.db import migrations


def create_head(apps, schema_editor):
    ChainHead = apps.get_model("audit", "ChainHead")
    ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_actor_do_nothing_path_field")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
