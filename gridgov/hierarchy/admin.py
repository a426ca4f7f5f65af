from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Cap
from gridgov.core.admin import ScopedAdminMixin, ServiceAdminForm, ServiceAdminMixin
from gridgov.hierarchy import services
from gridgov.hierarchy.models import Level, Node, PoliceBeat

_EDITABLE = ("name", "grid_kind", "dedicated_kind", "boundary", "lng", "lat", "address")


class NodeAdminForm(ServiceAdminForm):
    """Adds go through create_node, re-parenting through move_node, edits through update_node."""

    class Meta:
        model = Node
        fields = [
            "level",
            "code",
            "name",
            "parent",
            "grid_kind",
            "dedicated_kind",
            "boundary",
            "lng",
            "lat",
            "address",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "code" in self.fields:
            self.fields["code"].required = False
            self.fields["code"].help_text = _("网格和楼栋留空则自动编号；其他层级填写统计用区划代码")

    def write(self, user: Any, change: bool) -> models.Model:
        data = self.cleaned_data
        if not change:
            return services.create_node(
                user=user,
                level=data["level"],
                name=data["name"],
                parent=data.get("parent"),
                code=data.get("code") or "",
                grid_kind=data.get("grid_kind") or "",
                dedicated_kind=data.get("dedicated_kind") or "",
                boundary=data.get("boundary"),
                lng=data.get("lng"),
                lat=data.get("lat"),
                address=data.get("address") or "",
            )
        node = Node.objects.restrict(user, Cap.MANAGE_HIERARCHY).get(pk=self.instance.pk)
        parent = data.get("parent", node.parent)
        if parent is not None and parent.pk != node.parent_id:
            node = services.move_node(node, parent, user=user)
        changes = {key: data[key] for key in _EDITABLE if key in data and data[key] != getattr(node, key)}
        for key in ("grid_kind", "dedicated_kind", "address"):
            if key in changes and changes[key] is None:
                changes[key] = ""
        if changes:
            node = services.update_node(node, user=user, **changes)
        return node


@admin.register(Node)
class NodeAdmin(ServiceAdminMixin, ScopedAdminMixin, admin.ModelAdmin[Node]):
    form = NodeAdminForm
    list_display = ("name", "level", "code", "grid_kind", "parent")
    list_filter = ("level", "grid_kind", "dedicated_kind")
    search_fields = ("name", "code")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    ordering = ("path",)
    list_per_page = 50
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "parent":
            kwargs["queryset"] = Node.objects.exclude(level=Level.BUILDING).restrict(
                request.user, Cap.MANAGE_HIERARCHY
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Level and code are fixed once created; a move re-derives the code.
        readonly = ("path", "county_code", "version", "created_at", "updated_at")
        return (*readonly, "level", "code") if obj is not None else readonly

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only an empty leaf may go; anything else is moved, so its history stays whole.
        if obj is not None and obj.children.exists():
            return False
        return super().has_delete_permission(request, obj)


class PoliceBeatAdminForm(forms.ModelForm[PoliceBeat]):
    """A beat belongs to an area (usually a community); its grids must lie inside that area."""

    area = forms.ModelChoiceField(
        label=_("所属区域"),
        queryset=Node.objects.none(),
        help_text=_("警格归属的社区或街道；覆盖的网格须在其范围内"),
    )
    request_user: Any = None

    class Meta:
        model = PoliceBeat
        fields = [
            "area",
            "code",
            "name",
            "station_name",
            "officer_name",
            "officer_badge",
            "volunteer_police",
            "grids",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = Node.objects.filter(level__in=[Level.TOWNSHIP, Level.COMMUNITY]).restrict(
            self.request_user, Cap.MANAGE_HIERARCHY
        )
        self.fields["area"].queryset = areas.order_by("path")  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["area"].initial = areas.filter(path=self.instance.path).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        area, grids = data.get("area"), data.get("grids")
        if area is not None and grids is not None:
            outside = [g.name for g in grids if not g.path.startswith(area.path)]
            if outside:
                self.add_error(
                    "grids",
                    _("这些网格不在 %(area)s 范围内：%(grids)s")
                    % {"area": area.name, "grids": "、".join(outside)},
                )
        return data


@admin.register(PoliceBeat)
class PoliceBeatAdmin(ScopedAdminMixin, admin.ModelAdmin[PoliceBeat]):
    form = PoliceBeatAdminForm
    list_display = ("name", "code", "station_name", "officer_name", "volunteer_police")
    search_fields = ("name", "code", "station_name", "officer_name")
    autocomplete_fields = ("grids",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request_user": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        area = form.cleaned_data["area"]
        obj.path, obj.county_code = area.path, area.county_code
        super().save_model(request, obj, form, change)
