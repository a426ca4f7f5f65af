"""The append-only, hash-chained audit log.

Each row's `hash` is an HMAC-SHA256 over its own content and the previous row's hash, and `seq`
has no gaps, so editing or removing any row breaks the chain (`gridgov audit verify`). The MAC's
key is derived from GRIDGOV_DATA_KEY, which never enters the database: someone who can write to
the database but lacks the key cannot recompute the chain after an edit. Signed checkpoints of
the chain head, written outside the database (`gridgov.audit.checkpoints`), catch a rewrite by
someone who has the key too. The application never updates or deletes a row; database triggers
refuse it too (PostgreSQL and SQLite).
"""

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import RestrictedQuerySet
from gridgov.core.crypto import derived_key
from gridgov.core.lookups import PathField


class Action(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    MOVE = "move", _("移动")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    DENIED = "denied", _("拒绝访问")
    READ_SENSITIVE = "read_sensitive", _("查看敏感信息")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    COMMAND = "command", _("命令")
    TRANSITION = "transition", _("流转")
    BREAK_GLASS = "break_glass", _("越权查询申请")


# The fields a row's hash covers, in the order `gridgov audit verify` reads them.
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "channel",
    "ip",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "path",
    "changes",
    "success",
    "message",
)


class AppendOnlyQuerySet(RestrictedQuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        # Rows outside `services.record` would not be chained: refuse them too.
        raise PermissionError("The audit log is written only through gridgov.audit.services.record.")

    def append(self, entries: list["AuditEntry"]) -> None:
        """Insert rows already chained by `gridgov.audit.services` (its only caller), in one INSERT."""
        super().bulk_create(entries)


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    # DO_NOTHING without a constraint: deleting a user must never rewrite (and so break) the chain.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    channel = models.CharField(_("渠道"), max_length=16)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    request_id = models.CharField(_("请求号"), max_length=64, blank=True)
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    # The scope path of the object, so auditors see only their subtree.
    path = PathField(_("层级路径"), blank=True, db_index=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")

    def content(self) -> dict[str, Any]:
        """What the row's hash covers (everything but the two hashes)."""
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.content())


CHAIN_KEY_PURPOSE = b"gridgov audit chain v1"


def _chained_body(prev_hash: str, content: dict[str, Any]) -> bytes:
    """The previous row's hash and this row's content (canonical JSON), as the MAC reads them."""
    if not isinstance(content["at"], str):
        content = {**content, "at": content["at"].isoformat()}
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return (prev_hash + body).encode("utf-8")


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """HMAC-SHA256, under the audit chain key, of the previous row's hash and this row's content."""
    return hmac.new(
        derived_key(CHAIN_KEY_PURPOSE), _chained_body(prev_hash, content), hashlib.sha256
    ).hexdigest()


def unkeyed_chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """Plain SHA-256 of the same bytes: how rows were chained before the chain was keyed.

    Used only to recognise such rows (`gridgov audit rechain` re-chains them once, and `verify`
    names them); anyone can compute it, so it proves nothing.
    """
    return hashlib.sha256(_chained_body(prev_hash, content)).hexdigest()


class ChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serializes appends to the chain."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
