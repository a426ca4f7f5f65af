"""Leader pages for tasks: the area's tasks with a form to give one, the admission queue, a
task with its grids and the admission decision, the burden per worker and month. Thin."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has
from gridgov.care import selectors as care
from gridgov.core.errors import ConflictError
from gridgov.core.forms import add_service_errors
from gridgov.core.uploads import serve_upload
from gridgov.hierarchy.models import Node
from gridgov.tasks import selectors, services
from gridgov.tasks.models import AssignmentState, TaskAssignment


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
