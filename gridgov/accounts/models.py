import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import SINGLE_PER_GRID, Role
from gridgov.accounts.scope import Principal, RestrictedManager, RestrictedQuerySet
from gridgov.hierarchy.models import Node


class ScopedUserManager(UserManager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    """Django's user manager with the scoping door (`User.objects.restrict(who, cap)`)."""


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)

    objects = ScopedUserManager()  # type: ignore[misc]  # Django's own UserManager, scoped

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return f"{self.full_name or self.username}（{self.username}）"

    @cached_property
    def principal(self) -> Principal:
        """Who this user is to the scoping door, read once per user object (per request); the
        bearer-token cache hands each request a copy carrying the cached principal."""
        return Principal.load(self)


class RoleAssignment(models.Model):
    """A role held on a node; the user's scope for that role is the node's subtree."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    node = models.ForeignKey(
        Node, verbose_name=_("所属节点"), on_delete=models.PROTECT, related_name="assignments"
    )
    # Special-population tags are visible only where this is granted explicitly.
    grants_special_groups = models.BooleanField(_("可查看特殊人群"), default=False)
    created_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "role"],
                condition=models.Q(role__in=list(SINGLE_PER_GRID)),
                name="one_chief_instructor_worker_per_grid",
            ),
            models.UniqueConstraint(fields=["user", "node", "role"], name="unique_user_node_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user.username} · {self.get_role_display()} · {self.node.name}"

    @property
    def path(self) -> str:
        return str(self.node.path)


class LoginFailure(models.Model):
    """Failed logins per username; lock-out counts these, not IP addresses."""

    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M:%S}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(RestrictedQuerySet["ApiToken"]):
    def live(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for phones. Only its hash is stored; it expires and can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    label = models.CharField(max_length=100, blank=True)
    # The phone this short-lived access token was issued to (gridgov.accounts.devices), if any.
    device = models.ForeignKey(
        "Device", null=True, blank=True, on_delete=models.CASCADE, related_name="access_tokens"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"

    @classmethod
    def issue(
        cls, user: User, label: str = "", *, device: "Device | None" = None, lifetime: int | None = None
    ) -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            token_hash=hash_token(raw),
            prefix=raw[:8],
            label=label,
            device=device,
            expires_at=timezone.now() + timedelta(seconds=lifetime or settings.API_TOKEN_LIFETIME),
        )
        return token, raw

    @classmethod
    def find(cls, raw: str) -> "ApiToken | None":
        return cls.objects.live().select_related("user").filter(token_hash=hash_token(raw)).first()

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class Device(models.Model):
    """A phone running the grid worker's app (/app/), bound to one account.

    The app makes `device_id` (a random UUID) on first start and names itself; a login from the
    app gets a short-lived access token and a refresh token for this device. An administrator
    (or the person) revokes a device: its tokens die at the next request in every process, and
    the app, told so at its next contact, wipes what it holds.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="devices")
    device_id = models.CharField(_("设备标识"), max_length=64)
    name = models.CharField(_("设备名称"), max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("首次登录"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("撤销人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("手机设备")
        verbose_name_plural = _("手机设备")
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device_id"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_device_per_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.user.username}）"

    @property
    def path(self) -> str:
        """Where the audit log files this row: its owner's place."""
        from gridgov.audit.services import object_path

        return object_path(self.user)


class RefreshToken(models.Model):
    """One link of a device's refresh-token chain. Each use rotates it: the next one is issued and
    this one is spent. A spent token presented again (outside a short grace for a lost answer) is
    taken as stolen: the device is revoked."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        verbose_name = _("设备续期凭据")
        verbose_name_plural = _("设备续期凭据")

    def __str__(self) -> str:
        return f"设备 {self.device_id} 的续期凭据 #{self.pk}"


class AccessStamp(models.Model):
    """One row whose counter moves, in the same transaction, whenever who may do what changes: a
    token revoked, an account saved, a role assignment granted or withdrawn, a node moved.

    Every API request authenticates by token and needs the user's role assignments. Each server
    process keeps those per token (`gridgov.accounts.access`) and compares this counter on every
    request instead of reading them again: one indexed read of one row, and a change made by any
    process or machine is seen by the next request everywhere.
    """

    generation = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("权限变更计数")
        verbose_name_plural = _("权限变更计数")

    def __str__(self) -> str:
        return f"权限变更计数 {self.generation}"
