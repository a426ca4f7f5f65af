"""Open311 clients (API keys) and service attributes, for city administrators."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of
from gridgov.open311.models import Client, ServiceAttribute


class CityAdminOnly:
    """Open311 is configured for the whole city: city administrators and system administrators."""

    def _city(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and scope_of(user, Cap.MANAGE_HIERARCHY).covers(settings.GRIDGOV_CITY_CODE)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._city(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._city(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._city(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._city(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._city(request)


@admin.register(Client)
class ClientAdmin(CityAdminOnly, admin.ModelAdmin[Client]):
    list_display = ("name", "key_prefix", "user", "area", "active", "created_at")
    readonly_fields = ("key_prefix", "created_at")
    fields = ("name", "user", "area", "contact", "active", "key_prefix", "created_at")
    actions = ["issue_new_key"]

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        if not change:
            raw = obj.set_key()
            messages.warning(request, f"API key（只显示这一次，请立即交给客户端）：{raw}")
        super().save_model(request, obj, form, change)

    @admin.action(description="重新生成 API key（旧密钥立即失效）")
    def issue_new_key(self, request: HttpRequest, queryset: Any) -> None:
        for client in queryset:
            raw = client.set_key()
            client.save(update_fields=["key_hash", "key_prefix"])
            messages.warning(request, f"{client.name} 的新 API key（只显示这一次）：{raw}")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(CityAdminOnly, admin.ModelAdmin[ServiceAttribute]):
    list_display = ("category", "code", "datatype", "required", "order")
    list_filter = ("datatype", "required")
