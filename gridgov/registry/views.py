"""Mobile pages of the registry. Thin: selectors read (scoped), services write."""

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, scope_of
from gridgov.hierarchy import selectors as hierarchy_selectors
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import excel, exports, importing, life_events, selectors, services, sheets
from gridgov.registry.forms import HouseholdForm, ImportForm, LifeEventForm, ResidentForm, add_service_errors
from gridgov.registry.models import Household, Resident
from gridgov.registry.rules import may_see_special


def _crumbs(request: HttpRequest, node: Node | None) -> list[Node]:
    return hierarchy_selectors.breadcrumbs(node, request.user) if node is not None else []


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A grid worker lands on their grid's buildings; higher levels pick where to start."""
    selectors.require_registry_access(request.user)
    starts = selectors.start_nodes(request.user)
    if len(starts) == 1 and starts[0].level in {Level.GRID, Level.BUILDING}:
        return node_page(request, starts[0].pk, home=True)
    return render(
        request,
        "registry/home.html",
        {
            "starts": [
                {"node": n, "households": selectors.household_list(request.user, node=n).count()}
                for n in starts
            ],
            "can_import": not scope_of(request.user, Cap.IMPORT_EXPORT).empty,
        },
    )


@login_required
def node_page(request: HttpRequest, node_id: int, home: bool = False) -> HttpResponse:
    """Browse: county → … → grid → its buildings → a building's households."""
    selectors.require_registry_access(request.user)
    node = selectors.get_node(request.user, node_id)
    context: dict[str, Any] = {
        "node": node,
        "crumbs": _crumbs(request, node),
        "is_home": home,
        "can_edit": can(request.user, Cap.EDIT_REGISTRY, node.path),
        "can_import": can(request.user, Cap.IMPORT_EXPORT, node.path),
    }
    if node.level == Level.BUILDING:
        households = selectors.household_list(request.user, building=node).select_related("head")
        page = Paginator(households, 50).get_page(request.GET.get("page"))
        context.update(page=page, households=page.object_list)
    else:
        context["children"] = selectors.children_with_counts(node, request.user)
    return render(request, "registry/node.html", context)


# --- households ---------------------------------------------------------------------------------


@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household(request.user, household_id)
    return _render_household(request, household)


def _render_household(
    request: HttpRequest, household: Household, reveal: tuple[str, ...] = ()
) -> HttpResponse:
    members = [selectors.resident_view(m, request.user) for m in selectors.members_of(household)]
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "view": selectors.household_view(household, request.user, reveal),
            "members": members,
            "history": selectors.household_history(household)[:50],
            "crumbs": _crumbs(request, household.building),
            "can_edit": can(request.user, Cap.EDIT_REGISTRY, household.path),
            "active": household.status == "active",
        },
    )


@login_required
def household_reveal(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household(request.user, household_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.headers.get("HX-Request"):
        view = selectors.household_view(household, request.user, ("phone",))
        return render(request, "registry/_revealed.html", {"value": view["phone"]})
    return _render_household(request, household, ("phone",))


@login_required
def household_create(request: HttpRequest, node_id: int) -> HttpResponse:
    """Register a new household in a building (or, from a grid or above, in a building chosen there)."""
    node = selectors.get_node(request.user, node_id, Cap.EDIT_REGISTRY)
    buildings = (
        []
        if node.level == Level.BUILDING
        else list(selectors.buildings_under(node, request.user, Cap.EDIT_REGISTRY)[:500])
    )
    form = HouseholdForm(request.POST or None, creating=True, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"version", "seen", "building"}}
        building = (
            node
            if node.level == Level.BUILDING
            else next((b for b in buildings if str(b.pk) == form.cleaned_data.get("building")), None)
        )
        try:
            household = services.create_household(user=request.user, building=building, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记新户 %(number)s") % {"number": household.number})
            return redirect("registry:household", household_id=household.pk)
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "building": node,
            "crumbs": _crumbs(request, node),
            "title": _("登记新户"),
            "cancel": reverse("registry:node", kwargs={"node_id": node.pk}),
        },
    )


@login_required
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household(request.user, household_id, Cap.EDIT_REGISTRY)
    conflict: dict[str, Any] = {}
    if request.method == "POST":
        form = HouseholdForm(request.POST)
        if form.is_valid():
            try:
                household = services.update_household(
                    household, user=request.user, version=form.cleaned_data["version"], **form.changes()
                )
            except services.StaleVersion as exc:
                form, conflict = _conflict_form(HouseholdForm, request, exc, {})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已保存"))
                return redirect("registry:household", household_id=household.pk)
    else:
        snapshot = selectors.editable_snapshot(household, request.user)
        form = HouseholdForm(
            initial={**snapshot, "phone": "", "version": household.version, "seen": _json(snapshot)}
        )
    household.refresh_from_db()
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "household": household,
            "view": selectors.household_view(household, request.user),
            "crumbs": _crumbs(request, household.building),
            "title": _("修改户信息"),
            "conflict": conflict,
            "cancel": reverse("registry:household", kwargs={"household_id": household.pk}),
        },
    )


def _conflict_form(
    form_class: Any, request: HttpRequest, exc: services.StaleVersion, kwargs: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """After a version conflict: the form again, now showing the current values with this user's
    own edits on top, against the current version; plus what the other person changed."""
    current = exc.current
    current.refresh_from_db()
    snapshot = selectors.editable_snapshot(current, request.user)
    original = form_class(request.POST, **kwargs)
    original.is_valid()
    mine = original.changes()
    data = QueryDict(mutable=True)
    for key, value in snapshot.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = "" if key in original.keep_if_blank else value
    for key in mine:
        data.setlist(key, request.POST.getlist(key))
    data["version"] = str(current.version)
    data["seen"] = _json(snapshot)
    form = form_class(data, **kwargs)
    form.is_valid()
    seen = original.seen_values()
    return form, {
        "theirs": selectors.snapshot_changes(seen, snapshot),
        "mine": [
            {"label": selectors.FIELD_LABELS.get(k, k), "value": selectors.display_value(k, v)}
            for k, v in mine.items()
        ],
        "version": current.version,
    }


@login_required
def household_move_out(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household(request.user, household_id, Cap.EDIT_REGISTRY)
    form = LifeEventForm(request.POST or None, initial={"version": household.version})
    if request.method == "POST" and form.is_valid():
        try:
            events = life_events.move_out_household(
                household,
                user=request.user,
                date=form.cleaned_data["date"],
                note=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("全户已迁出（%(n)s 人）") % {"n": len(events)})
            return redirect("registry:household", household_id=household.pk)
    return render(
        request,
        "registry/life_event_form.html",
        {
            "form": form,
            "title": _("全户迁出"),
            "subject": household.address,
            "explain": _("该户所有成员登记为迁出，户状态改为“已迁出”；记录和历史都保留。"),
            "crumbs": _crumbs(request, household.building),
            "cancel": reverse("registry:household", kwargs={"household_id": household.pk}),
        },
    )


# --- residents ----------------------------------------------------------------------------------


@login_required
def resident_create(request: HttpRequest, household_id: int, birth: bool = False) -> HttpResponse:
    """A new member moves in, or (birth=True) a newborn is added."""
    household = selectors.get_household(request.user, household_id, Cap.EDIT_REGISTRY)
    allow_special = may_see_special(request.user, household.path)
    form = ResidentForm(
        request.POST or None, mode="birth" if birth else "move_in", allow_special=allow_special
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"version", "seen"}}
        try:
            if birth:
                data.pop("special_tags", None)
                resident = services.record_birth(user=request.user, household=household, **data)
            else:
                if not allow_special:
                    data["special_tags"] = None
                resident = services.create_resident(user=request.user, household=household, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记 %(name)s") % {"name": resident.name})
            return redirect("registry:household", household_id=household.pk)
    return render(
        request,
        "registry/resident_form.html",
        {
            "form": form,
            "household": household,
            "crumbs": _crumbs(request, household.building),
            "title": _("新生儿登记") if birth else _("登记迁入人员"),
            "cancel": reverse("registry:household", kwargs={"household_id": household.pk}),
        },
    )


@login_required
def birth_create(request: HttpRequest, household_id: int) -> HttpResponse:
    return resident_create(request, household_id, birth=True)


@login_required
def resident_detail(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.get_resident(request.user, resident_id)
    return _render_resident(request, resident)


def _render_resident(request: HttpRequest, resident: Resident, reveal: tuple[str, ...] = ()) -> HttpResponse:
    household = resident.household
    building = (
        household.building
        if household
        else Node.objects.restrict(request.user).filter(path=resident.path).first()
    )
    return render(
        request,
        "registry/resident_detail.html",
        {
            "resident": resident,
            "view": selectors.resident_view(resident, request.user, reveal),
            "household": household,
            "history": selectors.resident_history(resident),
            "crumbs": _crumbs(request, building),
            "can_edit": can(request.user, Cap.EDIT_REGISTRY, resident.path),
            "active": resident.household_id is not None,
        },
    )


@login_required
def resident_reveal(request: HttpRequest, resident_id: int, field: str) -> HttpResponse:
    """The "显示" button: the full ID number or phone, for users with SEE_PII; audited."""
    resident = selectors.get_resident(request.user, resident_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if field not in selectors.REVEALABLE:
        raise PermissionDenied("cannot reveal this field")
    if request.headers.get("HX-Request"):
        view = selectors.resident_view(resident, request.user, (field,))
        return render(request, "registry/_revealed.html", {"value": view[field]})
    return _render_resident(request, resident, (field,))


@login_required
def resident_edit(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.get_resident(request.user, resident_id, Cap.EDIT_REGISTRY)
    kwargs: dict[str, Any] = {
        "mode": "edit",
        "allow_special": may_see_special(request.user, resident.path),
        "has_id": bool(resident.id_number_hash),
    }
    conflict: dict[str, Any] = {}
    if request.method == "POST":
        form = ResidentForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                resident = services.update_resident(
                    resident, user=request.user, version=form.cleaned_data["version"], **form.changes()
                )
            except services.StaleVersion as exc:
                form, conflict = _conflict_form(ResidentForm, request, exc, kwargs)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已保存"))
                return redirect("registry:resident", resident_id=resident.pk)
    else:
        snapshot = selectors.editable_snapshot(resident, request.user)
        form = ResidentForm(
            initial={
                **snapshot,
                "id_number": "",
                "phone": "",
                "version": resident.version,
                "seen": _json(snapshot),
            },
            **kwargs,
        )
    resident.refresh_from_db()
    household = resident.household
    return render(
        request,
        "registry/resident_form.html",
        {
            "form": form,
            "resident": resident,
            "household": household,
            "conflict": conflict,
            "view": selectors.resident_view(resident, request.user),
            "crumbs": _crumbs(request, household.building if household else None),
            "title": _("修改居民信息"),
            "cancel": reverse("registry:resident", kwargs={"resident_id": resident.pk}),
        },
    )


def _life_event(request: HttpRequest, resident_id: int, kind: str) -> HttpResponse:
    resident = selectors.get_resident(request.user, resident_id, Cap.EDIT_REGISTRY)
    transfer = kind == "transfer"
    form = LifeEventForm(request.POST or None, transfer=transfer, initial={"version": resident.version})
    titles = {"move_out": _("迁出"), "transfer": _("市内迁移"), "death": _("登记死亡")}
    explain = {
        "move_out": _("登记为迁出本市；居民记录和原户信息保留在历史中。"),
        "transfer": _("迁入本市另一户（需对迁入户有维护权限）；原户记录保留在历史中。"),
        "death": _("登记为已死亡；记录保留，不删除。"),
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if transfer:
                target = (
                    selectors.households_for(request.user, Cap.EDIT_REGISTRY)
                    .filter(number=data["to_household"].strip())
                    .first()
                )
                if target is None:
                    raise ValidationError({"to_household": _("户编号不存在，或不在您可维护的范围内")})
                life_events.transfer(
                    resident,
                    target,
                    user=request.user,
                    date=data["date"],
                    relation=data["relation"],
                    note=data["note"],
                    version=data["version"],
                )
            elif kind == "move_out":
                life_events.move_out(
                    resident, user=request.user, date=data["date"], note=data["note"], version=data["version"]
                )
            else:
                life_events.record_death(
                    resident, user=request.user, date=data["date"], note=data["note"], version=data["version"]
                )
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记：%(what)s") % {"what": titles[kind]})
            return redirect("registry:resident", resident_id=resident.pk)
    household = resident.household
    return render(
        request,
        "registry/life_event_form.html",
        {
            "form": form,
            "title": titles[kind],
            "subject": resident.name,
            "explain": explain[kind],
            "crumbs": _crumbs(request, household.building if household else None),
            "cancel": reverse("registry:resident", kwargs={"resident_id": resident.pk}),
        },
    )


@login_required
def resident_move_out(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _life_event(request, resident_id, "move_out")


@login_required
def resident_transfer(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _life_event(request, resident_id, "transfer")


@login_required
def resident_death(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _life_event(request, resident_id, "death")


# --- Excel --------------------------------------------------------------------------------------


def _import_grids(request: HttpRequest) -> Any:
    grids = selectors.grids_in_scope(request.user, Cap.IMPORT_EXPORT)
    return [g for g in grids[:500] if can(request.user, Cap.EDIT_REGISTRY, g.path)]


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (every bad row listed) → commit (all or nothing).

    A file whose dry run is clean is kept (privately, for an hour) so "导入" commits that very
    file without uploading it again.
    """
    if scope_of(request.user, Cap.IMPORT_EXPORT).empty:
        raise PermissionDenied("no permission: import_export")
    grids = _import_grids(request)
    pending = request.session.get(PENDING_KEY) or {}
    if request.method == "POST" and request.POST.get("pending"):
        return _commit_pending(request, pending, grids)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        grids=grids,
        initial={"grid": request.GET.get("grid", "")},
    )
    report = None
    file_error = ""
    commit = request.POST.get("commit") == "1"
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            grid = importing.grid_for_import(request.user, form.cleaned_data["grid"])
            report = importing.import_upload(upload, grid=grid, user=request.user, commit=commit)
        except sheets.ExcelFileError as exc:
            file_error = exc.message
        if report is not None and report.committed:
            messages.success(
                request,
                _("导入完成：新增 %(h)s 户、%(r)s 人") % {"h": report.households, "r": report.residents},
            )
            return redirect("registry:node", node_id=grid.pk)
        if report is not None and not report.errors:
            importing.discard_pending(pending.get("token", ""))
            pending = {"token": importing.keep_pending(upload), "grid": grid.code, "name": upload.name}
            request.session[PENDING_KEY] = pending
    elif request.method == "POST" and "file" in form.errors:
        file_error = " ".join(str(e) for e in form.errors["file"])
    return render(
        request,
        "registry/import.html",
        {
            "form": form,
            "report": report,
            "file_error": file_error,
            "commit": commit,
            "grids": grids,
            "pending": pending if report is not None and not report.errors else None,
        },
        status=400 if file_error else 200,
    )


PENDING_KEY = "registry_import_pending"


def _commit_pending(request: HttpRequest, pending: dict[str, str], grids: Any) -> HttpResponse:
    token = request.POST.get("pending", "")
    path = importing.pending_file(token) if token == pending.get("token") else None
    if path is None:
        messages.error(request, _("待导入的文件已过期，请重新选择文件并检查"))
        return redirect("registry:import")
    grid = importing.grid_for_import(request.user, pending["grid"])
    report = importing.import_path(
        path, grid=grid, commit=True, user=request.user, source_name=pending.get("name", "")
    )
    importing.discard_pending(token)
    request.session.pop(PENDING_KEY, None)
    if report.committed:
        messages.success(
            request, _("导入完成：新增 %(h)s 户、%(r)s 人") % {"h": report.households, "r": report.residents}
        )
        return redirect("registry:node", node_id=grid.pk)
    # Something changed since the dry run (e.g. someone registered one of these people meanwhile).
    form = ImportForm(grids=grids, initial={"grid": grid.code})
    return render(
        request, "registry/import.html", {"form": form, "report": report, "commit": True, "grids": grids}
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    if scope_of(request.user, Cap.IMPORT_EXPORT).empty:
        raise PermissionDenied("no permission: import_export")
    return excel.template_response(request.user)


@login_required
def node_export(request: HttpRequest, node_id: int) -> HttpResponse:
    """A subtree's residents as .xlsx, masked unless ?reveal=1 (SEE_PII); audited."""
    node = selectors.get_node(request.user, node_id, Cap.IMPORT_EXPORT)
    reveal = request.GET.get("reveal") == "1"
    if excel.export_too_large(request.user, node):
        # Too large to build now: offer the background export (a POST queues it).
        return render(
            request,
            "registry/export_confirm.html",
            {"node": node, "reveal": reveal, "limit": settings.REGISTRY_EXPORT_MAX_ROWS},
        )
    return excel.export_response(request.user, node, reveal=reveal)


@login_required
def export_jobs(request: HttpRequest) -> HttpResponse:
    """The person's background exports; POST node=<id> (reveal=1) queues one."""
    if request.method == "POST":
        node = selectors.get_node(request.user, int(request.POST.get("node") or 0), Cap.IMPORT_EXPORT)
        exports.request_export(user=request.user, node=node, reveal=request.POST.get("reveal") == "1")
        messages.success(request, _("已加入后台导出，完成后会在通知中提醒您"))
        return redirect("registry:export_jobs")
    jobs = list(exports.jobs_for(request.user)[:50])
    return render(
        request,
        "registry/export_jobs.html",
        {
            "jobs": jobs,
            "keep_hours": settings.REGISTRY_EXPORT_KEEP_HOURS,
            "working": any(job.status in ("pending", "running") for job in jobs),
        },
    )


@login_required
def export_job_file(request: HttpRequest, job_id: int) -> FileResponse:
    return exports.download(request.user, job_id)
