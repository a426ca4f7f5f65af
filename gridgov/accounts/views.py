"""Staff pages: who holds which role on a node, assigning and revoking, enabling accounts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.accounts import devices, selectors, services
from gridgov.accounts.forms import ActiveForm, AssignForm
from gridgov.accounts.models import Device, RoleAssignment, User
from gridgov.accounts.roles import SINGLE_PER_GRID, Cap
from gridgov.accounts.scope import can, deny, get_visible_or_404, require
from gridgov.audit.models import Action
from gridgov.audit.services import record_failure
from gridgov.core.forms import add_service_errors
from gridgov.hierarchy import selectors as hierarchy_selectors
from gridgov.hierarchy.models import Level, Node


@login_required
def node_staff(request: HttpRequest, node_id: int) -> HttpResponse:
    """The roles held on a node (a grid's 1+1+1+N), and the form that assigns one."""
    node = get_visible_or_404(Node.objects.select_related("parent"), request.user, pk=node_id)
    roles = selectors.roles_for_level(node.level)
    can_staff = can(request.user, Cap.MANAGE_STAFF, node.path) and bool(roles)
    form = AssignForm(request.POST or None, roles=roles)
    if request.method == "POST":
        require(request.user, Cap.MANAGE_STAFF, node.path, node)
        if form.is_valid():
            try:
                assignment = _assign(request, node, form)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已任命 %(name)s 为%(node)s%(role)s")
                    % {
                        "name": assignment.user.full_name or assignment.user.username,
                        "node": node.name,
                        "role": assignment.get_role_display(),
                    },
                )
                return redirect("accounts:staff", node_id=node.pk)
    assignments = selectors.assignments_at(node)
    return render(
        request,
        "accounts/staff.html",
        {
            "node": node,
            "crumbs": hierarchy_selectors.breadcrumbs(node, request.user),
            "assignments": assignments,
            "staff": hierarchy_selectors.grid_staff(node) if node.level == Level.GRID else None,
            "form": form if can_staff else None,
            "can_staff": can_staff,
            "single_roles": list(SINGLE_PER_GRID),
        },
    )


def _assign(request: HttpRequest, node: Node, form: AssignForm) -> RoleAssignment:
    data = form.cleaned_data
    role_args = {"role": data["role"], "node": node, "grants_special_groups": data["grants_special_groups"]}
    if not data["create"]:
        person = selectors.user_named(data["username"])
        if person is None:
            raise ValidationError(
                {
                    "username": _("账号 %(username)s 不存在；如需新建，请勾选“新建账号”并填写姓名和初始密码")
                    % {"username": data["username"]}
                }
            )
        return services.assign_role(user=request.user, person=person, **role_args)
    try:
        # One transaction: a new account whose assignment is refused is not kept either.
        with transaction.atomic():
            person = services.create_user(
                user=request.user,
                username=data["username"],
                password=data["password"],
                full_name=data["full_name"],
            )
            return services.assign_role(user=request.user, person=person, **role_args)
    except ValidationError as exc:
        # The services' own failure rows were rolled back with the transaction: log it once here.
        record_failure(
            Action.CREATE,
            node,
            object_type="accounts.roleassignment",
            changes={"errors": exc.message_dict if hasattr(exc, "error_dict") else exc.messages},
            message=f"create account and assign refused: {'; '.join(exc.messages)}",
        )
        raise


@login_required
def revoke(request: HttpRequest, roleassignment_id: int) -> HttpResponse:
    assignment = get_visible_or_404(
        RoleAssignment.objects.select_related("user", "node"),
        request.user,
        Cap.VIEW,
        pk=roleassignment_id,
    )
    node = assignment.node
    require(request.user, Cap.MANAGE_STAFF, node.path, node)
    if request.method == "POST":
        services.revoke_role(user=request.user, assignment=assignment)
        messages.success(
            request,
            _("已撤销 %(name)s 的%(role)s任命")
            % {
                "name": assignment.user.full_name or assignment.user.username,
                "role": assignment.get_role_display(),
            },
        )
        return redirect("accounts:staff", node_id=node.pk)
    return render(
        request,
        "accounts/revoke.html",
        {
            "assignment": assignment,
            "node": node,
            "crumbs": hierarchy_selectors.breadcrumbs(node, request.user),
            "leaves_gap": node.level == Level.GRID and assignment.role in SINGLE_PER_GRID,
        },
    )


@login_required
def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_visible_or_404(User.objects.all(), request.user, Cap.VIEW, pk=user_id)
    return render(
        request,
        "accounts/person.html",
        {
            "person": person,
            "assignments": selectors.assignments_for(request.user).filter(user=person).order_by("node__path"),
            "hidden_assignments": person.assignments.count()
            - selectors.assignments_for(request.user).filter(user=person).count(),
            "can_toggle": person.pk != request.user.pk and selectors.can_manage_person(request.user, person),
            "devices": devices.devices_of(person),
            "can_revoke_devices": person.pk == request.user.pk
            or selectors.can_manage_person(request.user, person),
        },
    )


@login_required
def revoke_device(request: HttpRequest, device_id: int) -> HttpResponse:
    """End one phone of a person: one's own, or any of someone whose every post the manager covers."""
    device = selectors.own_device(request.user, device_id)
    own = device is not None
    if device is None:
        device = get_visible_or_404(
            Device.objects.select_related("user"),
            request.user,
            Cap.MANAGE_STAFF,
            pk=device_id,
        )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    person = device.user
    if not own and not selectors.can_manage_person(request.user, person):
        deny(request.user, "revoke a device of someone with posts outside one's scope", device)
        raise PermissionDenied(_("此人有任命不在您的辖区内，不能撤销其设备"))
    devices.revoke_device(device, by=request.user, reason="本人撤销" if own else "管理员撤销")
    messages.success(
        request,
        _("已撤销设备“%(name)s”：其令牌立即失效，手机下次联网时清除本机数据") % {"name": device.name},
    )
    return redirect("accounts:person", user_id=person.pk)


@login_required
def set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    # Scope before method: an outsider learns nothing about the account, whatever the method.
    person = get_visible_or_404(User.objects.all(), request.user, Cap.VIEW, pk=user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return redirect("accounts:person", user_id=person.pk)
    if person.pk == request.user.pk:
        messages.error(request, _("不能停用自己的账号"))
        return redirect("accounts:person", user_id=person.pk)
    active = form.cleaned_data["active"]
    try:
        services.set_active(user=request.user, person=person, active=active)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            (
                _("已启用账号 %(username)s")
                if active
                else _("已停用账号 %(username)s，其登录会话与接口令牌已失效")
            )
            % {"username": person.username},
        )
    return redirect("accounts:person", user_id=person.pk)
