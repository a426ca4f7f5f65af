"""On SQLite, refuse UPDATE and DELETE on the audit log at the database itself, as PostgreSQL
does since 0002.

SQLite drops a table's triggers when Django rebuilds the table (most AlterField operations):
a later migration of AuditEntry must create them again. tests/audit/test_verify.py checks that
they are in place on the migrated database.
"""

from django.db import migrations

TRIGGERS = {
    "audit_auditentry_no_update": "UPDATE",
    "audit_auditentry_no_delete": "DELETE",
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, event in TRIGGERS.items():
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON audit_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only'); END"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_head_row")]
    operations = [migrations.RunPython(forward, backward)]
