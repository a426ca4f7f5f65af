"""Households and residents over /api/v1/ (OpenAPI at /api/v1/openapi.json).

Concurrency: detail responses carry `ETag: "<version>"`. PATCH requires `If-Match` with that
value (or `*` for an unconditional write): a missing header answers 428, a stale one 412 with
the current version. Life-event endpoints honour `If-Match` when it is sent.

Retries: every write accepts an `Idempotency-Key` (gridgov.api.idempotency): a retry with the
same key and request gets the first answer again (`Idempotent-Replayed: true`) instead of a
second write — or, for an edit, instead of a 412 against its own first try.

Masking: ID numbers and phones are masked; `?reveal=id_number,phone` on a resident's detail
(or `GET /residents/{id}/reveal/{field}`) returns them in full to users with SEE_PII there, and
each such read is audited. `special_tags` is absent from the output for users not granted it.
"""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.accounts.roles import Cap
from gridgov.api.idempotency import replayable
from gridgov.api.params import Page, changes_of
from gridgov.hierarchy.models import Node
from gridgov.registry import excel, exports, importing, life_events, selectors, services, sheets
from gridgov.registry.models import Household, LifeEvent, Resident

router = Router(tags=["registry"])


# --- schemas ------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class ResidentOut(Schema):
    id: int
    household_id: int | None
    name: str
    id_number: str = Field(description="masked unless revealed")
    id_number_revealed: bool
    phone: str = Field(description="masked unless revealed")
    phone_revealed: bool
    birth_date: datetime.date | None
    age: int | None
    sex: str
    ethnicity: str
    relation: str
    status: str
    care_tags: list[str]
    special_tags: list[str] | None = Field(None, description="present only for users granted special groups")
    note: str
    version: int
    updated_at: datetime.datetime


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    building_id: int
    grid_id: int
    unit: str
    room: str
    kind: str
    status: str
    head_id: int | None
    phone: str = Field(description="masked unless revealed")
    phone_revealed: bool
    note: str
    version: int
    updated_at: datetime.datetime


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut]


class HouseholdPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[HouseholdOut]


class ResidentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ResidentOut]


class HouseholdFilter(Schema):
    node: int | None = Field(None, description="id of a hierarchy node: only its subtree")
    grid: int | None = Field(None, description="id of a grid")
    building: int | None = Field(None, description="id of a building")
    status: str | None = None


class ResidentFilter(HouseholdFilter):
    household: int | None = Field(None, description="id of a household")


class HouseholdIn(Schema):
    building_id: int
    unit: str = ""
    room: str = ""
    kind: str = Field("", description="registered | nonlocal | renting (or the Chinese label)")
    number: str = Field("", description="generated from building code, unit and room if empty")
    phone: str = ""
    note: str = ""


class HouseholdPatch(Schema):
    building_id: int | None = None
    unit: str | None = None
    room: str | None = None
    kind: str | None = None
    number: str | None = None
    phone: str | None = Field(None, description="empty string clears it")
    note: str | None = None


class ResidentIn(Schema):
    household_id: int
    name: str
    id_number: str = Field(description="18 digits (15-digit legacy numbers are converted)")
    birth_date: datetime.date | None = Field(None, description="checked against the ID number if given")
    sex: str = Field("", description="M | F (checked against the ID number if given)")
    phone: str = ""
    ethnicity: str = ""
    relation: str = ""
    status: str = Field("", description="present | away")
    care_tags: list[str] = []
    special_tags: list[str] | None = Field(None, description="ignored for users not granted special groups")
    note: str = ""
    date: datetime.date | None = Field(None, description="move-in date (today if empty)")


class ResidentPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    birth_date: datetime.date | None = None
    sex: str | None = None
    phone: str | None = Field(None, description="empty string clears it")
    ethnicity: str | None = None
    relation: str | None = None
    status: str | None = Field(None, description="present | away; moving out and death are life events")
    care_tags: list[str] | None = None
    special_tags: list[str] | None = Field(None, description="ignored for users not granted special groups")
    note: str | None = None


class BirthIn(Schema):
    name: str
    birth_date: datetime.date
    sex: str
    id_number: str = ""
    ethnicity: str = ""
    relation: str = "child"
    care_tags: list[str] = []
    note: str = ""


class LeaveIn(Schema):
    date: datetime.date | None = None
    note: str = ""


class TransferIn(LeaveIn):
    to_household_id: int
    relation: str = ""


class LifeEventOut(Schema):
    id: int
    resident_id: int
    resident_name: str
    kind: str
    date: datetime.date
    from_household_id: int | None
    to_household_id: int | None
    note: str
    recorded_by: str
    recorded_at: datetime.datetime


class RevealOut(Schema):
    field: str
    value: str


class ImportRowError(Schema):
    row: int = Field(description="the spreadsheet's row number (0: the file as a whole)")
    column: str = Field(description="the sheet's own header and column letter, e.g. 性别（C列）")
    problem: str
    fix: str
    sheet: str = Field("", description="the worksheet (a workbook may hold several)")


class ImportNotice(Schema):
    sheet: str
    column: str = Field(description="header and letter of a column that is not imported; empty for a sheet")
    message: str = Field(description="e.g. 未识别的列，将被忽略")


class ImportOut(Schema):
    committed: bool
    rows: int
    households: int
    residents: int
    sheets: list[str] = Field(description="the worksheets whose rows were read")
    errors: list[ImportRowError]
    notices: list[ImportNotice] = Field(description="columns and sheets that are not imported, and why")


# --- helpers ------------------------------------------------------------------------------------


def _etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = f'"{version}"'


def if_match(request: HttpRequest) -> tuple[bool, int | None]:
    """(present, version) from If-Match: `"3"`, `W/"3"`, `3`; `*` means unconditional (None)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return False, None
    if raw == "*":
        return True, None
    value = raw.removeprefix("W/").strip().strip('"')
    try:
        return True, int(value)
    except ValueError:
        return True, -1  # never matches: answered with 412


_PRECONDITION_REQUIRED = Status(
    428,
    {
        "detail": "缺少 If-Match 请求头：请先 GET 取得 ETag（版本号），"
        '再以 If-Match: "<版本号>" 提交修改；If-Match: * 表示无条件覆盖'
    },
)


def _node(request: HttpRequest, node_id: int | None) -> Node | None:
    return selectors.get_node(request.user, node_id) if node_id else None


def _building(request: HttpRequest, building_id: int | None) -> Node:
    """A building by id; a missing one gets the same answer as one outside the scope."""
    building = (
        Node.objects.restrict(request.user, Cap.EDIT_REGISTRY).filter(pk=building_id).first()
        if building_id
        else None
    )
    if building is None:
        raise ValidationError({"building": "楼栋不存在，或不在您可维护的范围内"})
    return building


def _event_out(event: LifeEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "resident_id": event.resident_id,
        "resident_name": event.resident.name,
        "kind": event.kind,
        "date": event.date,
        "from_household_id": event.from_household_id,
        "to_household_id": event.to_household_id,
        "note": event.note,
        "recorded_by": event.recorded_by.username if event.recorded_by else "",
        "recorded_at": event.recorded_at,
    }


def _household_detail(household: Household, user: Any, reveal: tuple[str, ...] = ()) -> dict[str, Any]:
    view = selectors.household_view(household, user, reveal)
    view["members"] = [selectors.resident_view(m, user) for m in selectors.members_of(household)]
    return view


def _reveal_fields(reveal: str | None) -> tuple[str, ...]:
    return tuple(f.strip() for f in (reveal or "").split(",") if f.strip())


# --- households ---------------------------------------------------------------------------------


@router.get("/households", response=HouseholdPage)
def list_households(
    request: HttpRequest, filters: Query[HouseholdFilter], page: Query[Page]
) -> dict[str, Any]:
    selectors.require_registry_access(request.user)
    households = selectors.household_list(
        request.user,
        node=_node(request, filters.node),
        grid=_node(request, filters.grid),
        building=_node(request, filters.building),
        status=filters.status,
    )
    rows = households[page.offset : page.offset + page.limit]
    return {
        "count": households.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [selectors.household_view(h, request.user) for h in rows],
    }


@router.get("/households/{household_id}", response=HouseholdDetailOut, exclude_unset=True)
def get_household(
    request: HttpRequest, response: HttpResponse, household_id: int, reveal: str | None = None
) -> dict[str, Any]:
    """`?reveal=phone` shows the household phone in full (SEE_PII; audited). ETag: the version."""
    household = selectors.get_household(request.user, household_id)
    _etag(response, household.version)
    return _household_detail(household, request.user, _reveal_fields(reveal))


@router.post("/households", response={201: HouseholdOut})
@replayable("registry")
def create_household(
    request: HttpRequest, response: HttpResponse, body: HouseholdIn
) -> Status[dict[str, Any]]:
    household = services.create_household(
        user=request.user,
        building=_building(request, body.building_id),
        unit=body.unit,
        room=body.room,
        kind=body.kind,
        number=body.number,
        phone=body.phone,
        note=body.note,
    )
    _etag(response, household.version)
    return Status(201, selectors.household_view(household, request.user))


@router.patch("/households/{household_id}", response={200: HouseholdOut, 428: ErrorOut})
@replayable("registry")
def update_household(
    request: HttpRequest, response: HttpResponse, household_id: int, body: HouseholdPatch
) -> Any:
    """Change the fields sent. Requires `If-Match: "<version>"` (the ETag of the detail; `*` for
    an unconditional write): 428 without it, 412 with the current version if someone saved first."""
    household = selectors.get_household(request.user, household_id)
    present, version = if_match(request)
    if not present:
        return _PRECONDITION_REQUIRED
    changes = changes_of(body, Household)
    if "building_id" in changes:
        changes["building"] = _building(request, changes.pop("building_id"))
    household = services.update_household(household, user=request.user, version=version, **changes)
    _etag(response, household.version)
    return Status(200, selectors.household_view(household, request.user))


@router.get("/households/{household_id}/events", response=list[LifeEventOut])
def household_events(request: HttpRequest, household_id: int) -> list[dict[str, Any]]:
    household = selectors.get_household(request.user, household_id)
    return [_event_out(e) for e in selectors.household_history(household)]


@router.post("/households/{household_id}/move-out", response=list[LifeEventOut])
@replayable("registry")
def move_out_household(request: HttpRequest, household_id: int, body: LeaveIn) -> list[dict[str, Any]]:
    household = selectors.get_household(request.user, household_id)
    _present, version = if_match(request)
    events = life_events.move_out_household(
        household, user=request.user, date=body.date, note=body.note, version=version
    )
    return [_event_out(e) for e in events]


@router.post("/households/{household_id}/births", response={201: ResidentOut}, exclude_unset=True)
@replayable("registry")
def record_birth(
    request: HttpRequest, response: HttpResponse, household_id: int, body: BirthIn
) -> Status[dict[str, Any]]:
    household = selectors.get_household(request.user, household_id)
    baby = services.record_birth(user=request.user, household=household, **body.dict())
    _etag(response, baby.version)
    return Status(201, selectors.resident_view(baby, request.user))


# --- residents ----------------------------------------------------------------------------------


@router.get("/residents", response=ResidentPage, exclude_unset=True)
def list_residents(request: HttpRequest, filters: Query[ResidentFilter], page: Query[Page]) -> dict[str, Any]:
    selectors.require_registry_access(request.user)
    household = selectors.get_household(request.user, filters.household) if filters.household else None
    node = _node(request, filters.building or filters.grid or filters.node)
    residents = selectors.resident_list(request.user, node=node, household=household, status=filters.status)
    rows = residents[page.offset : page.offset + page.limit]
    return {
        "count": residents.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [selectors.resident_view(r, request.user) for r in rows],
    }


@router.get("/residents/{resident_id}", response=ResidentOut, exclude_unset=True)
def get_resident(
    request: HttpRequest, response: HttpResponse, resident_id: int, reveal: str | None = None
) -> dict[str, Any]:
    """`?reveal=id_number,phone` shows those in full (SEE_PII; every read audited). ETag: the version."""
    resident = selectors.get_resident(request.user, resident_id)
    _etag(response, resident.version)
    return selectors.resident_view(resident, request.user, _reveal_fields(reveal))


@router.get("/residents/{resident_id}/reveal/{field}", response=RevealOut)
def reveal_field(
    request: HttpRequest, resident_id: int, field: Literal["id_number", "phone"]
) -> dict[str, Any]:
    """The full ID number or phone (SEE_PII required; every call is written to the audit log)."""
    resident = selectors.get_resident(request.user, resident_id)
    view = selectors.resident_view(resident, request.user, (field,))
    return {"field": field, "value": view[field]}


@router.post("/residents", response={201: ResidentOut}, exclude_unset=True)
@replayable("registry")
def create_resident(request: HttpRequest, response: HttpResponse, body: ResidentIn) -> Status[dict[str, Any]]:
    """A person moves into a household (a move-in life event is recorded)."""
    household = selectors.get_household(request.user, body.household_id)
    data = body.dict(exclude={"household_id"})
    if "special_tags" not in body.model_fields_set:
        data["special_tags"] = None
    resident = services.create_resident(user=request.user, household=household, **data)
    _etag(response, resident.version)
    return Status(201, selectors.resident_view(resident, request.user))


@router.patch("/residents/{resident_id}", response={200: ResidentOut, 428: ErrorOut}, exclude_unset=True)
@replayable("registry")
def update_resident(
    request: HttpRequest, response: HttpResponse, resident_id: int, body: ResidentPatch
) -> Any:
    """Change the fields sent. Requires `If-Match: "<version>"` (the ETag of the detail; `*` for
    an unconditional write): 428 without it, 412 with the current version if someone saved first.
    `special_tags` is ignored for users not granted special groups."""
    resident = selectors.get_resident(request.user, resident_id)
    present, version = if_match(request)
    if not present:
        return _PRECONDITION_REQUIRED
    resident = services.update_resident(
        resident, user=request.user, version=version, **changes_of(body, Resident)
    )
    _etag(response, resident.version)
    return Status(200, selectors.resident_view(resident, request.user))


@router.get("/residents/{resident_id}/events", response=list[LifeEventOut])
def resident_events(request: HttpRequest, resident_id: int) -> list[dict[str, Any]]:
    resident = selectors.get_resident(request.user, resident_id)
    return [_event_out(e) for e in selectors.resident_history(resident)]


@router.post("/residents/{resident_id}/move-out", response=LifeEventOut)
@replayable("registry")
def move_out(request: HttpRequest, resident_id: int, body: LeaveIn) -> dict[str, Any]:
    resident = selectors.get_resident(request.user, resident_id)
    _present, version = if_match(request)
    return _event_out(
        life_events.move_out(resident, user=request.user, date=body.date, note=body.note, version=version)
    )


@router.post("/residents/{resident_id}/transfer", response=LifeEventOut)
@replayable("registry")
def transfer(request: HttpRequest, resident_id: int, body: TransferIn) -> dict[str, Any]:
    """Move within the city into another household (the user must be able to edit both)."""
    resident = selectors.get_resident(request.user, resident_id)
    target = selectors.get_household(request.user, body.to_household_id)
    _present, version = if_match(request)
    return _event_out(
        life_events.transfer(
            resident,
            target,
            user=request.user,
            date=body.date,
            relation=body.relation,
            note=body.note,
            version=version,
        )
    )


@router.post("/residents/{resident_id}/death", response=LifeEventOut)
@replayable("registry")
def record_death(request: HttpRequest, resident_id: int, body: LeaveIn) -> dict[str, Any]:
    resident = selectors.get_resident(request.user, resident_id)
    _present, version = if_match(request)
    return _event_out(
        life_events.record_death(resident, user=request.user, date=body.date, note=body.note, version=version)
    )


# --- Excel --------------------------------------------------------------------------------------


@router.get("/registry/template.xlsx", response={200: None})
def import_template(request: HttpRequest) -> HttpResponse:
    """The .xlsx import template (the special-population column only for users granted it)."""
    return excel.template_response(request.user)


@router.post("/registry/imports", response={200: ImportOut, 400: ErrorOut, 413: ErrorOut})
def import_households(
    request: HttpRequest, file: File[UploadedFile], grid: Form[str], commit: Form[bool] = False
) -> Any:
    """Upload a spreadsheet (≤ 10 MB: .xlsx, .xls, .ods, or .csv in UTF-8 or GBK) for one grid
    (`grid`: its 15-digit code or id). Without `commit` it is a dry run listing every problem of
    every row and every column that will not be imported; with `commit` every row is stored, or
    none if any is bad."""
    grid_node = importing.grid_for_import(request.user, grid)
    try:
        report = importing.import_upload(file, grid=grid_node, user=request.user, commit=commit)
    except sheets.ExcelFileError as exc:
        return Status(exc.status, {"detail": exc.message})
    return Status(200, report.as_dict())


@router.get("/registry/export.xlsx", response={200: None, 400: ErrorOut})
def export_households(request: HttpRequest, node: int | None = None) -> HttpResponse:
    """Residents of a subtree (default: the whole scope) as .xlsx, masked by role; audited.

    An area over REGISTRY_EXPORT_MAX_ROWS residents gets 400: ask for a background export
    (`POST /registry/exports`) instead."""
    top = selectors.get_node(request.user, node, Cap.IMPORT_EXPORT) if node else None
    return excel.export_response(request.user, top)


class ExportIn(Schema):
    node: int | None = Field(None, description="the node whose subtree to export (default: the whole scope)")
    reveal: bool = Field(False, description="full ID numbers and phones (needs see_pii; audited)")


class ExportJobOut(Schema):
    id: int
    node: int | None
    node_name: str | None
    reveal: bool
    status: str
    rows: int
    error: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    file_url: str | None = Field(None, description="the .xlsx, once done (only for the person who asked)")


def _job_out(job: Any) -> dict[str, Any]:
    return {
        "id": job.pk,
        "node": job.node_id,
        "node_name": job.node.name if job.node else None,
        "reveal": job.reveal,
        "status": job.status,
        "rows": job.rows,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "file_url": f"/api/v1/registry/exports/{job.pk}/file" if job.status == "done" else None,
    }


@router.post("/registry/exports", response={202: ExportJobOut})
def create_export(request: HttpRequest, body: ExportIn) -> Status[dict[str, Any]]:
    """Queue a background export (any size); the worker builds it and the inbox says when.
    Poll `GET /registry/exports/{id}` for `file_url`."""
    top = selectors.get_node(request.user, body.node, Cap.IMPORT_EXPORT) if body.node else None
    return Status(202, _job_out(exports.request_export(user=request.user, node=top, reveal=body.reveal)))


@router.get("/registry/exports", response=list[ExportJobOut])
def list_exports(request: HttpRequest) -> list[dict[str, Any]]:
    """Your own background exports, newest first."""
    return [_job_out(job) for job in exports.jobs_for(request.user)[:50]]


@router.get("/registry/exports/{job_id}", response=ExportJobOut)
def get_export(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return _job_out(exports.get_job_or_404(request.user, job_id))


@router.get("/registry/exports/{job_id}/file", response={200: None})
def export_file(request: HttpRequest, job_id: int) -> FileResponse:
    """The finished .xlsx (404 until it is done, and after it is removed); audited."""
    return exports.download(request.user, job_id)
