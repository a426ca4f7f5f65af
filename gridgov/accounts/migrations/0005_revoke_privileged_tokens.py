"""Privileged accounts now need a second factor for API tokens and app sign-in
(gridgov.accounts.twofactor): the tokens and app devices they got with a password alone end."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

PRIVILEGED_ROLES = ["city_admin", "county_admin", "auditor"]


def revoke(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ApiToken = apps.get_model("accounts", "ApiToken")
    Device = apps.get_model("accounts", "Device")
    privileged = User.objects.filter(Q(is_superuser=True) | Q(assignments__role__in=PRIVILEGED_ROLES))
    now = timezone.now()
    ApiToken.objects.filter(user__in=privileged, revoked_at__isnull=True).update(revoked_at=now)
    Device.objects.filter(user__in=privileged, revoked_at__isnull=True).update(
        revoked_at=now, revoke_reason="两步验证启用前登录的设备，请重新登录"
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_scoped_manager")]
    operations = [migrations.RunPython(revoke, migrations.RunPython.noop)]
