"""Leader pages for tasks: the area's tasks with a form to give one, the admission queue, a
task with its grids and the admission decision, the burden per worker and month, the grids'
tasks of an area and period (the overview's list). Thin."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import deny, get_visible_or_404, has
from gridgov.accounts.selectors import city_settings_access
from gridgov.care import selectors as care
from gridgov.core.errors import ConflictError
from gridgov.core.forms import AreaPeriodForm, add_service_errors
from gridgov.core.uploads import serve_upload
from gridgov.hierarchy.models import Node
from gridgov.tasks import selectors, services
from gridgov.tasks.models import AssignmentState, Duty, Task, TaskAssignment


class IssueForm(forms.Form):
    node = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label="任务名称", max_length=100)
    duty = forms.ChoiceField(label="所属职责", required=False)
    deadline = forms.DateTimeField(
        label="完成时限", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(label="任务要求", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        duty = self.fields["duty"]
        assert isinstance(duty, forms.ChoiceField)
        duty.choices = [("", "职责外（提交区县准入审批）")] + [(d.code, d.name) for d in selectors.duties()]


def _node(request: HttpRequest) -> Node | None:
    raw = request.GET.get("node") or request.POST.get("node") or ""
    if raw.isdigit():
        return get_visible_or_404(Node.objects.all(), request.user, None, pk=int(raw))
    return care.default_node(request.user)


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    form = IssueForm(request.POST or None, initial={"node": node.pk if node else None})
    if request.method == "POST" and node is not None and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.issue_task(
                user=request.user,
                node=node,
                title=data["title"],
                duty=data["duty"],
                deadline=data["deadline"],
                description=data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "任务已下达" if task.duty_id else "任务在职责外，已提交区县准入审批")
            return redirect("tasks:detail", task_id=task.pk)
    tasks = list(selectors.tasks_of(request.user, node)[:50]) if node else []
    return render(
        request,
        "tasks/list.html",
        {
            "node": node,
            "tasks": tasks,
            "form": form,
            "can_issue": has(request.user, Cap.HANDLE_EVENT) or has(request.user, Cap.DEPARTMENT_WORK),
            "queue": selectors.admission_queue(request.user),
            "settings_access": city_settings_access(request.user),
        },
    )


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.get_task(request.user, task_id)
    rows = list(
        task.assignments.restrict(request.user)
        .select_related("grid", "worker", "completed_by")
        .prefetch_related("photos")
        .order_by("path")
    )
    from gridgov.accounts.scope import can
    from gridgov.tasks.services import admission_path

    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "rows": rows,
            "counts": selectors.assignment_counts(task),
            "may_decide": task.admission == "pending"
            and can(request.user, Cap.HANDLE_EVENT, admission_path(task)),
            "States": AssignmentState,
        },
    )


@login_required
def task_photo(request: HttpRequest, taskassignment_id: int, taskphoto_id: int) -> FileResponse:
    """A photo of a completed task, for those who see the grid's assignment (404 otherwise)."""
    assignment = get_visible_or_404(TaskAssignment.objects.all(), request.user, pk=taskassignment_id)
    found = get_object_or_404(assignment.photos.all(), pk=taskphoto_id)
    return serve_upload(found.image, found.content_type)


@login_required
@require_POST
def decide(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.get_task(request.user, task_id)
    try:
        services.decide_admission(
            user=request.user,
            task=task,
            approve=request.POST.get("approve") == "1",
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, "已审批")
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [getattr(exc, "message", str(exc))])))
    return redirect("tasks:detail", task_id=task.pk)


@login_required
def burden(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    month = request.GET.get("month", "")
    try:
        rows = selectors.burden(request.user, node, month or None) if node else []
    except ValidationError:
        messages.error(request, "月份格式为 YYYY-MM")
        rows, month = [], ""
    duties = sorted({d for r in rows for d in r.by_duty})
    return render(
        request, "tasks/burden.html", {"node": node, "rows": rows, "month": month, "duties": duties}
    )


class DutyForm(forms.Form):
    name = forms.CharField(label="名称", max_length=50)
    description = forms.CharField(
        label="说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    order = forms.IntegerField(label="顺序", min_value=0, max_value=999, initial=0)
    active = forms.BooleanField(label="启用", required=False, initial=True)


class NewDutyForm(DutyForm):
    code = forms.CharField(label="代码", max_length=32, help_text="小写字母、数字或下划线，如 elderly_care")
    field_order = ["code", "name", "description", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["active"]


def _settings_access(request: HttpRequest, what: str) -> str:
    access = city_settings_access(request.user)
    if not access:
        deny(request.user, f"{what} pages are for county and city administrators")
        raise PermissionDenied("此页面供区县和市级管理员使用")
    return access


@login_required
def duties(request: HttpRequest) -> HttpResponse:
    """The ten duties: county administrators read them, city administrators edit and add them
    (each save audited with what changed; a refused edit logged)."""
    access = _settings_access(request, "duty")
    failed: tuple[int, forms.Form] | None = None
    new = NewDutyForm(prefix="new")
    if request.method == "POST":
        raw = request.POST.get("duty", "")
        if raw.isdigit():
            duty = get_object_or_404(Duty, pk=int(raw))
            form: forms.Form = DutyForm(request.POST, prefix=f"d{duty.pk}")
            if form.is_valid():
                try:
                    services.update_duty(duty, user=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, f"已保存“{form.cleaned_data['name']}”")
                    return redirect("tasks:duties")
            failed = (duty.pk, form)
        else:
            new = NewDutyForm(request.POST, prefix="new")
            if new.is_valid():
                try:
                    services.create_duty(user=request.user, **new.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(new, exc)
                else:
                    messages.success(request, f"已新增“{new.cleaned_data['name']}”")
                    return redirect("tasks:duties")
    rows = []
    for duty in Duty.objects.all():
        if failed is not None and failed[0] == duty.pk:
            rows.append((duty, failed[1]))
            continue
        initial = {
            "name": duty.name,
            "description": duty.description,
            "order": duty.order,
            "active": duty.active,
        }
        rows.append((duty, DutyForm(initial=initial, prefix=f"d{duty.pk}")))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "tasks/duties.html", {"rows": rows, "new": new, "may_edit": access == "edit"}, status=status
    )


GRID_PAGE = 50


@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    """The grids' tasks under an area for a period (the overview's 下达任务 and 准入拒绝 link here)."""
    form = AreaPeriodForm(request.GET)
    node_id = form.node_id()
    node = (
        get_visible_or_404(Node.objects.all(), request.user, None, pk=node_id)
        if node_id is not None
        else care.default_node(request.user)
    )
    state = form.state(AssignmentState.values)
    start, end = form.period()
    page = form.page_number()
    rows: list[Any] = []
    total = 0
    if node is not None:
        found = selectors.grid_tasks(request.user, node, start=start, end=end, state=state)
        total = found.count()
        rows = list(found[(page - 1) * GRID_PAGE : page * GRID_PAGE])
    # A task issued above the viewer's area opens only for those who may see it.
    openable = set(
        Task.objects.restrict(request.user)
        .filter(pk__in={r.task_id for r in rows})
        .values_list("pk", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tasks/grid_list.html",
        {
            "node": node,
            "form": form,
            "rows": rows,
            "openable": openable,
            "total": total,
            "state": state,
            "States": AssignmentState,
            "page": page,
            "has_next": page * GRID_PAGE < total,
            "query": query.urlencode(),
        },
    )
