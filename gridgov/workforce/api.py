"""The workforce over the API: worker files (masked, no-store), the worker's own file, promotion
runs (preview, refresh, approve, cancel) and the county budget with its what-if."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.params import Finite, LongPage
from gridgov.hierarchy.models import Node
from gridgov.workforce import budget, runs, selectors
from gridgov.workforce.models import PromotionRun, WorkerFile

router = Router(tags=["workforce"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the API's auth has checked
    return request.user


class GradeOut(Schema):
    year: int
    from_grade: int | None
    to_grade: int
    kind: str
    reason: str


class AssessmentOut(Schema):
    id: int
    year: int
    result: str
    status: str
    total_score: Decimal | None


class WorkerOut(Schema):
    id: int
    name: str
    grid_id: int
    grid_name: str
    path: str
    grade: int
    status: str
    hire_date: datetime.date
    education: str
    contract_kind: str
    contract_end: datetime.date | None
    departed_on: datetime.date | None
    departure_reason: str
    version: int


class WorkerDetailOut(WorkerOut):
    id_number: str
    phone: str
    tenure_years: float
    grades: list[GradeOut]
    assessments: list[AssessmentOut]
    training_year: int
    training_hours: Decimal
    training_required: Decimal


def _worker(worker: WorkerFile) -> dict[str, Any]:
    return {
        **{f: getattr(worker, f) for f in WorkerOut.model_fields if hasattr(worker, f)},
        "grid_name": worker.grid.name,
    }


def _detail(worker: WorkerFile) -> dict[str, Any]:
    extra = selectors.file_of(worker)
    return {**_worker(worker), **extra}


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


@router.get("/workforce/workers", response=list[WorkerOut])
def list_workers(
    request: HttpRequest,
    response: HttpResponse,
    page: Query[LongPage],
    node_id: int | None = None,
    status: str = "",
) -> list[dict[str, Any]]:
    """Worker files inside the caller's scope (officials who manage staff), by place and status."""
    user = _user(request)
    node = get_visible_or_404(Node.objects.all(), user, pk=node_id) if node_id else None
    _no_store(response)
    found = selectors.workers_for(user, node=node, status=status)
    return [_worker(w) for w in found[page.offset : page.offset + page.limit]]


@router.get("/workforce/workers/{workerfile_id}", response=WorkerDetailOut)
def get_worker(request: HttpRequest, response: HttpResponse, workerfile_id: int) -> dict[str, Any]:
    """One file with its grade history and assessments; ID number and phone masked."""
    _no_store(response)
    return _detail(selectors.worker_detail(_user(request), workerfile_id))


@router.get("/workforce/me", response={200: WorkerDetailOut, 404: dict})
def my_file(request: HttpRequest, response: HttpResponse) -> Any:
    """The caller's own file (a full-time grid worker)."""
    _no_store(response)
    worker = selectors.own_file(_user(request))
    if worker is None:
        return Status(404, {"detail": "没有您的网格员档案"})
    return _detail(worker)


class RunIn(Schema):
    county_id: int
    assessment_year: int


class VersionIn(Schema):
    version: int | None = None


class LineOut(Schema):
    worker_id: int
    name: str
    grade_before: int
    grade_after: int
    step: int
    rule: str
    reason: str
    basis: dict[str, str]


class RunOut(Schema):
    id: int
    county_id: int
    county_name: str
    assessment_year: int
    effective_year: int
    status: str
    workers: int
    promoted_one: int
    promoted_two: int
    capped: int
    version: int


class RunDetailOut(RunOut):
    lines: list[LineOut]


def _run(run: PromotionRun) -> dict[str, Any]:
    return {
        **{f: getattr(run, f) for f in RunOut.model_fields if f != "county_name"},
        "county_name": run.county.name,
    }


def _run_detail(run: PromotionRun) -> dict[str, Any]:
    lines = [
        {
            "worker_id": line.worker_id,
            "name": line.worker.name,
            **{
                f: getattr(line, f)
                for f in ("grade_before", "grade_after", "step", "rule", "reason", "basis")
            },
        }
        for line in selectors.run_lines(run)
    ]
    return {**_run(run), "lines": lines}


@router.get("/workforce/promotion-runs", response=list[RunOut])
def list_runs(request: HttpRequest) -> list[dict[str, Any]]:
    return [_run(r) for r in selectors.runs_for(_user(request))[:200]]


@router.post("/workforce/promotion-runs", response={201: RunDetailOut})
def create_run(request: HttpRequest, response: HttpResponse, body: RunIn) -> Any:
    """A preview of a county's run on one year's approved results (nothing changes yet)."""
    user = _user(request)
    county = get_visible_or_404(Node.objects.all(), user, pk=body.county_id)
    run = runs.preview_run(user=user, county=county, assessment_year=body.assessment_year)
    _no_store(response)
    return Status(201, _run_detail(run))


@router.get("/workforce/promotion-runs/{promotionrun_id}", response=RunDetailOut)
def get_run(request: HttpRequest, response: HttpResponse, promotionrun_id: int) -> dict[str, Any]:
    _no_store(response)
    return _run_detail(selectors.run_detail(_user(request), promotionrun_id))


def _act(request: HttpRequest, promotionrun_id: int, body: VersionIn, action: Any) -> dict[str, Any]:
    user = _user(request)
    run = selectors.run_detail(user, promotionrun_id)
    return _run_detail(action(user=user, run=run, version=body.version))


@router.post("/workforce/promotion-runs/{promotionrun_id}/refresh", response=RunDetailOut)
def refresh_run(request: HttpRequest, promotionrun_id: int, body: VersionIn) -> dict[str, Any]:
    """Compute the preview again (after an appeal changed a result)."""
    return _act(request, promotionrun_id, body, runs.refresh_run)


@router.post("/workforce/promotion-runs/{promotionrun_id}/approve", response=RunDetailOut)
def approve_run(request: HttpRequest, promotionrun_id: int, body: VersionIn) -> dict[str, Any]:
    """Approve and apply; 409 if a result or grade changed since the preview, 412 on a stale version."""
    return _act(request, promotionrun_id, body, runs.approve_run)


@router.post("/workforce/promotion-runs/{promotionrun_id}/cancel", response=RunOut)
def cancel_run(request: HttpRequest, promotionrun_id: int, body: VersionIn) -> dict[str, Any]:
    user = _user(request)
    return _run(
        runs.cancel_run(user=user, run=selectors.run_detail(user, promotionrun_id), version=body.version)
    )


class BudgetQuery(Schema):
    county_id: int
    year: int
    base_floor: Finite | None = None
    base_ceiling: Finite | None = None
    pension_rate: Finite | None = None
    medical_rate: Finite | None = None
    unemployment_rate: Finite | None = None
    injury_rate: Finite | None = None
    housing_fund_rate: Finite | None = None


class BudgetLineOut(Schema):
    grade: int
    headcount: int
    monthly_pay: Decimal
    base: Decimal
    monthly: dict[str, Decimal]
    annual_pay: Decimal
    annual: dict[str, Decimal]
    annual_employer: Decimal
    annual_total: Decimal


class BudgetOut(Schema):
    county_code: str
    year: int
    params: dict[str, Decimal]
    headcount: int
    annual_pay: Decimal
    annual_items: dict[str, Decimal]
    annual_employer: Decimal
    annual_total: Decimal
    lines: list[BudgetLineOut]


def budget_answer(result: budget.Budget) -> dict[str, Any]:
    return {
        "county_code": result.county_code,
        "year": result.year,
        "params": result.params.__dict__,
        "headcount": result.headcount,
        "annual_pay": result.annual_pay,
        "annual_items": result.annual_items,
        "annual_employer": result.annual_employer,
        "annual_total": result.annual_total,
        "lines": [line.__dict__ for line in result.lines],
    }


@router.get("/workforce/budget", response=BudgetOut)
def county_budget(request: HttpRequest, query: Query[BudgetQuery]) -> dict[str, Any]:
    """A county's pay budget for a year; any of the base's floor and ceiling and the rates given
    replace the stored ones (what-if)."""
    user = _user(request)
    county = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=query.county_id)
    if county.level != "county":
        raise ValidationError({"county_id": "预算按区县编制，请选择区县"})
    # Figures as typed (repr of the float), checked again as money and rates by the budget.
    what_if = {
        k: repr(v) for k, v in query.dict().items() if k not in {"county_id", "year"} and v is not None
    }
    return budget_answer(budget.county_budget(county.county_code, query.year, what_if or None))
