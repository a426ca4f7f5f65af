from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.accounts import services, twofactor
from gridgov.accounts.models import ApiToken, RoleAssignment, User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can
from gridgov.core.admin import ScopedAdminMixin, ServiceAdminForm, ServiceAdminMixin


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin[User]):
    """Accounts of the people holding roles in the admin's subtree (MANAGE_STAFF).

    Only system administrators add or delete accounts here, or grant superuser and staff flags;
    everyone else creates accounts together with a role on the staff pages.
    """

    view_cap = Cap.MANAGE_STAFF
    manage_cap = Cap.MANAGE_STAFF
    list_display = ("username", "full_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("username", "full_name")
    ordering = ("username",)
    list_per_page = 50
    show_full_result_count = False
    limited_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "email")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )

    actions = ["reset_second_factor"]

    @admin.action(description=_("重置两步验证（下次登录时重新绑定身份验证器）"))
    def reset_second_factor(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        people = [person for person in queryset if self.has_change_permission(request, person)]
        for person in people:
            twofactor.reset_second_factor(person)
        self.message_user(request, _("已重置 %(n)d 个账号的两步验证") % {"n": len(people)})

    def covers(self, request: HttpRequest, cap: str, obj: Any) -> bool:
        if not self.has_scope(request, cap):
            return False
        if obj is None or request.user.is_superuser:
            return True
        paths = list(obj.assignments.values_list("node__path", flat=True))
        # Changing an account touches every post it holds: all of them must be in scope.
        return bool(paths) and all(can(request.user, cap, path) for path in paths)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or request.user.is_superuser:
            fieldsets = super().get_fieldsets(request, obj)
            if obj is not None:
                fieldsets = ((None, {"fields": ("username", "password", "full_name")}), *fieldsets[1:])
            return fieldsets
        return self.limited_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return ("last_login", "date_joined")
        return ("is_staff", "last_login", "date_joined")


class RoleAssignmentAdminForm(ServiceAdminForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "node", "grants_special_groups"]

    def write(self, user: Any, change: bool) -> models.Model:
        data = self.cleaned_data
        if change:
            assignment = RoleAssignment.objects.restrict(user, Cap.MANAGE_STAFF).get(pk=self.instance.pk)
            assignment.grants_special_groups = data["grants_special_groups"]
            assignment.save(update_fields=["grants_special_groups"])
            return assignment
        return services.assign_role(
            user=user,
            person=data["user"],
            role=data["role"],
            node=data["node"],
            grants_special_groups=data["grants_special_groups"],
        )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ServiceAdminMixin, ScopedAdminMixin, admin.ModelAdmin[RoleAssignment]):
    """Assign through accounts.services (1+1+1+N rules), revoke through revoke_role."""

    form = RoleAssignmentAdminForm
    view_cap = Cap.MANAGE_STAFF
    manage_cap = Cap.MANAGE_STAFF
    path_attribute = "node__path"
    list_display = ("user", "role", "node", "grants_special_groups", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "node__name", "node__code")
    list_select_related = ("user", "node")
    autocomplete_fields = ("user", "node")
    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Moving a post to another person or place is a revoke plus a new assignment.
        return ("user", "role", "node", "created_at") if obj is not None else ("created_at",)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.revoke_role(user=request.user, assignment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for assignment in queryset.select_related("node", "user"):
            services.revoke_role(user=request.user, assignment=assignment)


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdminMixin, admin.ModelAdmin[ApiToken]):
    """Read-only: tokens are issued and revoked by their holders through the API."""

    view_cap = Cap.MANAGE_STAFF
    manage_cap = Cap.MANAGE_STAFF
    list_display = ("prefix", "user", "label", "created_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    search_fields = ("prefix", "user__username")
    fields = ("prefix", "user", "label", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Second-factor devices are managed on each person's own page (/accounts/2fa/) and reset with the
# action above; django-otp's own admin would show recovery codes and key QR codes to an admin.
for _otp_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_otp_model):
        admin.site.unregister(_otp_model)
