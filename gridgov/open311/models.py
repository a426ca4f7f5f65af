"""Open311 GeoReport v2: the clients that may file requests (by API key), the extra attributes a
service (event category) asks for, and what each request carried beyond the event itself."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.events.models import Category, Event
from gridgov.hierarchy.models import Node


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ClientQuerySet(models.QuerySet["Client"]):
    def find(self, raw: str) -> "Client | None":
        if not raw or len(raw) > 200:
            return None
        return (
            self.filter(key_hash=hash_api_key(raw), active=True, user__is_active=True)
            .select_related("user")
            .first()
        )


class Client(models.Model):
    """An Open311 client (a civic app, the 12345 hotline's system…). Its API key (stored only as a
    hash) files requests into `area` (a subtree, usually the whole city) as `user`, an account
    with no role of its own that is recorded as the reporter."""

    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报账号"),
        on_delete=models.PROTECT,
        related_name="open311_clients",
    )
    area = models.ForeignKey(Node, verbose_name=_("可上报区域"), on_delete=models.PROTECT, related_name="+")
    contact = models.CharField(_("联系人"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_prefix}…）"

    def set_key(self, raw: str | None = None) -> str:
        """Set (or generate) the API key; returns it in clear, the only time it is seen."""
        raw = raw or secrets.token_urlsafe(24)
        self.key_hash = hash_api_key(raw)
        self.key_prefix = raw[:8]
        return raw


class Datatype(models.TextChoices):
    STRING = "string", "string"
    NUMBER = "number", "number"
    DATETIME = "datetime", "datetime"
    TEXT = "text", "text"
    SINGLEVALUELIST = "singlevaluelist", "singlevaluelist"
    MULTIVALUELIST = "multivaluelist", "multivaluelist"


class ServiceAttribute(models.Model):
    """An attribute of a service definition (`GET services/{service_code}.json`)."""

    category = models.ForeignKey(
        Category, verbose_name=_("事件分类"), on_delete=models.CASCADE, related_name="open311_attributes"
    )
    code = models.CharField(_("编码"), max_length=40)
    datatype = models.CharField(
        _("数据类型"), max_length=16, choices=Datatype.choices, default=Datatype.STRING
    )
    required = models.BooleanField(_("必填"), default=False)
    # False: information only (a note shown to the citizen), no value is collected.
    variable = models.BooleanField(_("需要填写"), default=True)
    description = models.CharField(_("问题"), max_length=500)
    datatype_description = models.CharField(_("填写说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    # [{"key": "neighbour", "name": "邻里纠纷"}, …] for the list datatypes.
    values = models.JSONField(_("可选值"), default=list, blank=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["category", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="unique_open311_attribute")]

    def __str__(self) -> str:
        return f"{self.category.code}.{self.code}"


class ServiceRequest(models.Model):
    """What an Open311 POST carried besides the event: the client, the token, the attribute
    values and the submitter's contact (encrypted; never returned by GET)."""

    event = models.OneToOneField(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="open311_request"
    )
    client = models.ForeignKey(
        Client, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="requests"
    )
    token = models.CharField(max_length=40, unique=True, editable=False)
    attributes = models.JSONField(_("属性值"), default=dict, blank=True)
    address_string = models.CharField(_("地址"), max_length=200, blank=True)
    address_id = models.CharField(max_length=64, blank=True)
    media_url = models.URLField(_("图片链接"), max_length=500, blank=True)
    # {"first_name", "last_name", "email", "phone"} as JSON, encrypted: personal data kept only
    # for the centre to call back, never shown by the API or in the audit log in clear.
    contact_enc = models.BinaryField(null=True, blank=True, editable=False)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")

    def __str__(self) -> str:
        return self.token

    @property
    def path(self) -> str:
        return str(self.event.path)
