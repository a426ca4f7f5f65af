"""Desktop forms that open a worker's file and edit it. Thin: the services check every value,
decide who may write and guard the file's version; a rejected value is shown beside its field
and nothing is saved."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has, scope_of
from gridgov.core.errors import ConflictError
from gridgov.workforce import selectors, services
from gridgov.workforce.models import MAX_GRADE, MIN_GRADE, ContractKind, Education, Sex, WorkerFile
from gridgov.workforce.settings_views import field_errors

OPEN_FIELDS = (
    "worker",
    "name",
    "sex",
    "id_number",
    "phone",
    "education",
    "contract_kind",
    "contract_end",
    "hire_date",
    "grade",
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


def _choices() -> dict[str, Any]:
    return {
        "sexes": Sex.choices,
        "educations": Education.choices,
        "contract_kinds": ContractKind.choices,
        "grades": range(MIN_GRADE, MAX_GRADE + 1),
    }


@never_cache
@login_required
def open_file(request: HttpRequest) -> HttpResponse:
    """Open the file of a full-time worker of a grid in scope who has none yet."""
    user = _user(request)
    if not has(user, Cap.MANAGE_STAFF):
        raise Http404("no staff to manage")
    candidates = selectors.workers_without_file(user)
    values: dict[str, str] = dict.fromkeys(OPEN_FIELDS, "")
    values["contract_kind"] = ContractKind.LABOUR
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in OPEN_FIELDS}
        chosen = next((w for w, _grid in candidates if str(w.pk) == values["worker"]), None)
        try:
            if chosen is None:
                raise ValidationError({"worker": "请选择本辖区内尚未建档的专职网格员"})
            created = services.open_worker_file(
                user=user,
                worker=chosen,
                **{name: values[name] for name in OPEN_FIELDS if name != "worker"},
            )
        except ValidationError as exc:
            errors = field_errors(exc)
        except ConflictError as exc:
            errors = {"worker": exc.message}
        else:
            messages.success(request, f"已建立{created.name}的档案")
            return redirect("workforce:worker", workerfile_id=created.pk)
    return render(
        request,
        "workforce/open_file.html",
        {"candidates": candidates, "values": values, "errors": errors, **_choices()},
        status=400 if errors else 200,
    )


EDIT_FIELDS = ("name", "sex", "education", "contract_kind", "contract_end", "id_number", "phone")


@never_cache
@login_required
def edit_file(request: HttpRequest, workerfile_id: int) -> HttpResponse:
    """Edit a file's personal and contract details; a stale version is a conflict, not an
    overwrite. A blank ID number or phone keeps the stored one (they are shown masked)."""
    user = _user(request)
    worker = get_visible_or_404(
        WorkerFile.objects.select_related("grid"), user, Cap.MANAGE_STAFF, pk=workerfile_id
    )
    if not scope_of(user, Cap.MANAGE_STAFF).covers(worker.path):
        raise Http404("own file: seen on the worker's page, edited by the office")
    values: dict[str, str] = {
        "name": worker.name,
        "sex": worker.sex,
        "education": worker.education,
        "contract_kind": worker.contract_kind,
        "contract_end": worker.contract_end.isoformat() if worker.contract_end else "",
        "id_number": "",
        "phone": "",
        "version": str(worker.version),
    }
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in (*EDIT_FIELDS, "version")}
        changes = {
            name: values[name] for name in EDIT_FIELDS if values[name] or name not in ("id_number", "phone")
        }
        try:
            version = int(values["version"]) if values["version"] else None
        except ValueError:
            version = -1  # a mangled version is stale, never a silent overwrite
        try:
            services.update_worker_file(user=user, worker=worker, version=version, **changes)
        except ValidationError as exc:
            errors, status = field_errors(exc), 400
        except ConflictError as exc:
            errors, status = {"": exc.message}, 409
            values["version"] = str(WorkerFile.objects.get(pk=worker.pk).version)
        else:
            messages.success(request, "档案已更新")
            return redirect("workforce:worker", workerfile_id=worker.pk)
    return render(
        request,
        "workforce/edit_file.html",
        {"worker": worker, "values": values, "errors": errors, **selectors.masked(worker), **_choices()},
        status=status,
    )
