"""Move the inbox out of the events app: every events.Notification becomes a Notice about its event."""

from django.db import migrations


def copy_notifications(apps, schema_editor):
    # One INSERT … SELECT: keeps each row's time (a model save would stamp it now) and is fast.
    content_type = apps.get_model("contenttypes", "ContentType")
    event_type, _ = content_type.objects.get_or_create(app_label="events", model="event")
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {quote("notifications_notice")}
                (user_id, message, subject_type_id, subject_id, url, awaiting, created_at, read_at)
            SELECT user_id, message,
                   CASE WHEN event_id IS NULL THEN NULL ELSE %s END,
                   event_id,
                   CASE WHEN event_id IS NULL THEN '' ELSE '/events/' || event_id || '/' END,
                   '', created_at, read_at
            FROM {quote("events_notification")} ORDER BY id
            """,
            [event_type.pk],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("events", "0005_idempotency_queue"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(copy_notifications, migrations.RunPython.noop)]
