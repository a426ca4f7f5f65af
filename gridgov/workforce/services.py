"""Writes of worker files: opening a file, editing it, departures, grade adjustments, rewards and
sanctions, and the county's pay table and contribution rates. Each is atomic and audited (the
model signals log every saved row; a TRANSITION row says what the action was)."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.hierarchy.models import Level, Node
from gridgov.registry.validation import parse_id_number, parse_optional_phone
from gridgov.workforce import pii
from gridgov.workforce.models import (
    MAX_GRADE,
    MIN_GRADE,
    ContractKind,
    ContributionRates,
    DepartureReason,
    Education,
    GradeChange,
    GradeChangeKind,
    PayScale,
    RecordKind,
    RewardSanction,
    Sex,
    WorkerFile,
    WorkerStatus,
)


def check_grade(value: Any, field: str = "grade") -> int:
    try:
        grade = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: f"档次须为 {MIN_GRADE}–{MAX_GRADE} 的整数"}) from None
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise ValidationError({field: f"档次须为 {MIN_GRADE}–{MAX_GRADE} 的整数"})
    return grade


def check_year(value: Any, field: str = "year") -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "年度须为四位数字"}) from None
    if not 2000 <= year <= 2100:
        raise ValidationError({field: "年度须在 2000–2100 之间"})
    return year


def check_choice(value: str, choices: Any, field: str, label: str, *, blank: bool = True) -> str:
    value = (value or "").strip()
    if (not value and blank) or value in choices.values:
        return value
    raise ValidationError({field: f"{label}不在可选范围内"})


def check_date(value: Any, field: str, label: str, *, required: bool = False) -> datetime.date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: f"请填写{label}"})
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: f"{label}格式应为 YYYY-MM-DD"}) from None


def required_date(value: Any, field: str, label: str) -> datetime.date:
    day = check_date(value, field, label, required=True)
    assert day is not None  # required: check_date raised otherwise
    return day


def check_money(value: Any, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}须为数字"}) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("100000000"):
        raise ValidationError({field: f"{label}须为正数"})
    return amount.quantize(Decimal("0.01"))


def check_rate(value: Any, field: str, label: str) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}须为小数（如 0.16）"}) from None
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1):
        raise ValidationError({field: f"{label}须在 0 到 1 之间（如 0.16 表示 16%）"})
    return rate.quantize(Decimal("0.0001"))


def _check_version(obj: Any, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise PreconditionFailed("该记录已被他人修改，请刷新后重试", current_version=obj.version)


def _grid_of_worker(user: User) -> Node:
    assignment = (
        RoleAssignment.objects.select_related("node").filter(user=user, role=Role.GRID_WORKER).first()
    )
    if assignment is None:
        raise ValidationError({"user": "该账号不是专职网格员"})
    return assignment.node


@logs_failures(Action.CREATE)
@transaction.atomic
def open_worker_file(
    *,
    user: User,
    worker: User,
    hire_date: Any,
    grade: Any,
    name: str = "",
    sex: str = "",
    id_number: str = "",
    phone: str = "",
    education: str = "",
    contract_kind: str = ContractKind.LABOUR,
    contract_end: Any = None,
) -> WorkerFile:
    """Open the file of a full-time grid worker (an account holding the role on a grid)."""
    grid = _grid_of_worker(worker)
    require(user, Cap.MANAGE_STAFF, grid.path, grid)
    if WorkerFile.objects.filter(user=worker).exists():
        raise ConflictError("该网格员已有档案")
    grade_value = check_grade(grade)
    hired = required_date(hire_date, "hire_date", "入职日期")
    id_value = parse_id_number(id_number).value if id_number.strip() else ""
    phone_value = parse_optional_phone(phone)
    worker_file = WorkerFile.objects.create(
        user=worker,
        grid=grid,
        path=grid.path,
        county_code=grid.county_code,
        name=(name or worker.full_name or worker.username).strip()[:50],
        sex=check_choice(sex, Sex, "sex", "性别"),
        id_number_enc=pii.seal(id_value, pii.ID_NUMBER_CONTEXT),
        phone_enc=pii.seal(phone_value.display if phone_value else "", pii.PHONE_CONTEXT),
        education=check_choice(education, Education, "education", "学历"),
        hire_date=hired,
        contract_kind=check_choice(contract_kind, ContractKind, "contract_kind", "用工形式", blank=False),
        contract_end=check_date(contract_end, "contract_end", "合同到期日期"),
        grade=grade_value,
    )
    GradeChange.objects.create(
        worker=worker_file,
        path=worker_file.path,
        county_code=worker_file.county_code,
        year=hired.year,
        to_grade=grade_value,
        kind=GradeChangeKind.HIRE,
        reason="入职定档",
        created_by=user,
    )
    return worker_file


EDITABLE = ("name", "sex", "education", "contract_kind", "contract_end", "id_number", "phone")


@logs_failures(Action.UPDATE)
@transaction.atomic
def update_worker_file(*, user: User, worker: WorkerFile, version: int | None, **changes: Any) -> WorkerFile:
    require(user, Cap.MANAGE_STAFF, worker.path, worker)
    worker = WorkerFile.objects.select_for_update().get(pk=worker.pk)
    _check_version(worker, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "该项不能在此修改"})
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ValidationError({"name": "姓名不能为空"})
        worker.name = name[:50]
    if "sex" in changes:
        worker.sex = check_choice(changes["sex"], Sex, "sex", "性别")
    if "education" in changes:
        worker.education = check_choice(changes["education"], Education, "education", "学历")
    if "contract_kind" in changes:
        worker.contract_kind = check_choice(
            changes["contract_kind"], ContractKind, "contract_kind", "用工形式", blank=False
        )
    if "contract_end" in changes:
        worker.contract_end = check_date(changes["contract_end"], "contract_end", "合同到期日期")
    if "id_number" in changes:
        raw = (changes["id_number"] or "").strip()
        worker.id_number_enc = pii.seal(parse_id_number(raw).value if raw else "", pii.ID_NUMBER_CONTEXT)
    if "phone" in changes:
        phone = parse_optional_phone(changes["phone"])
        worker.phone_enc = pii.seal(phone.display if phone else "", pii.PHONE_CONTEXT)
    worker.version = F("version") + 1
    worker.save()
    worker.refresh_from_db()
    return worker


@logs_failures(Action.TRANSITION)
@transaction.atomic
def record_departure(
    *,
    user: User,
    worker: WorkerFile,
    departed_on: Any,
    reason: str,
    note: str = "",
    version: int | None = None,
) -> WorkerFile:
    require(user, Cap.MANAGE_STAFF, worker.path, worker)
    worker = WorkerFile.objects.select_for_update().get(pk=worker.pk)
    _check_version(worker, version)
    if worker.status == WorkerStatus.DEPARTED:
        raise ConflictError("该网格员已离职")
    day = required_date(departed_on, "departed_on", "离职日期")
    if day < worker.hire_date:
        raise ValidationError({"departed_on": "离职日期不能早于入职日期"})
    worker.status = WorkerStatus.DEPARTED
    worker.departed_on = day
    worker.departure_reason = check_choice(reason, DepartureReason, "reason", "离职原因", blank=False)
    worker.departure_note = (note or "").strip()[:200]
    worker.version = F("version") + 1
    worker.save()
    worker.refresh_from_db()
    record(Action.TRANSITION, worker, message=f"departure: {worker.departure_reason}")
    return worker


@logs_failures(Action.UPDATE)
@transaction.atomic
def adjust_grade(
    *, user: User, worker: WorkerFile, grade: Any, year: Any, reason: str, version: int | None = None
) -> GradeChange:
    """A grade set by decision outside the promotion rules (a correction, a transfer's grade)."""
    require(user, Cap.MANAGE_STAFF, worker.path, worker)
    worker = WorkerFile.objects.select_for_update().get(pk=worker.pk)
    _check_version(worker, version)
    new_grade, effective = check_grade(grade), check_year(year)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明调整依据"})
    if new_grade == worker.grade:
        raise ValidationError({"grade": "新档次与现档次相同"})
    change = GradeChange.objects.create(
        worker=worker,
        path=worker.path,
        county_code=worker.county_code,
        year=effective,
        from_grade=worker.grade,
        to_grade=new_grade,
        kind=GradeChangeKind.ADJUSTMENT,
        reason=reason[:300],
        created_by=user,
    )
    WorkerFile.objects.filter(pk=worker.pk).update(grade=new_grade, version=F("version") + 1)
    record(
        Action.UPDATE,
        worker,
        changes={"grade": [worker.grade, new_grade]},
        message=f"grade adjusted: {reason}",
    )
    return change


@logs_failures(Action.CREATE)
@transaction.atomic
def add_record(
    *, user: User, worker: WorkerFile, kind: str, date: Any, title: str, issuer: str = "", note: str = ""
) -> RewardSanction:
    require(user, Cap.MANAGE_STAFF, worker.path, worker)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "请填写奖惩名称"})
    day = required_date(date, "date", "日期")
    return RewardSanction.objects.create(
        worker=worker,
        path=worker.path,
        county_code=worker.county_code,
        kind=check_choice(kind, RecordKind, "kind", "类别", blank=False),
        date=day,
        title=title[:100],
        issuer=(issuer or "").strip()[:100],
        note=(note or "").strip()[:300],
    )


def _county(node: Node) -> Node:
    if node.level != Level.COUNTY:
        raise ValidationError({"county": "请选择区县"})
    return node


@logs_failures(Action.UPDATE)
@transaction.atomic
def set_pay_scale(*, user: User, county: Node, year: Any, monthly_pay: dict[Any, Any]) -> list[PayScale]:
    """Set a county's pay table for a year: the monthly pay of every grade 1–12, rising with the grade."""
    county = _county(county)
    require(user, Cap.MANAGE_STAFF, county.path, county)
    year_value = check_year(year)
    pays: dict[int, Decimal] = {}
    for key, value in monthly_pay.items():
        grade = check_grade(key, field=f"grade_{key}")
        pays[grade] = check_money(value, f"grade_{grade}", f"{grade}档月薪酬")
    missing = [g for g in range(MIN_GRADE, MAX_GRADE + 1) if g not in pays]
    if missing:
        raise ValidationError({f"grade_{missing[0]}": f"请填写{missing[0]}档月薪酬"})
    for grade in range(MIN_GRADE + 1, MAX_GRADE + 1):
        if pays[grade] < pays[grade - 1]:
            raise ValidationError({f"grade_{grade}": f"{grade}档薪酬不能低于{grade - 1}档"})
    rows = []
    for grade, pay in sorted(pays.items()):
        row, _created = PayScale.objects.update_or_create(
            county_code=county.county_code,
            year=year_value,
            grade=grade,
            defaults={"monthly_pay": pay, "path": county.path},
        )
        rows.append(row)
    return rows


RATE_FIELDS = {
    "pension_rate": "养老保险单位费率",
    "medical_rate": "医疗保险单位费率",
    "unemployment_rate": "失业保险单位费率",
    "injury_rate": "工伤保险单位费率",
    "housing_fund_rate": "住房公积金单位比例",
}


def check_rates(values: dict[str, Any]) -> dict[str, Decimal]:
    """Floor, ceiling and the five employer rates, checked (each error names its field)."""
    checked = {
        "base_floor": check_money(values.get("base_floor"), "base_floor", "缴费基数下限"),
        "base_ceiling": check_money(values.get("base_ceiling"), "base_ceiling", "缴费基数上限"),
    }
    if checked["base_ceiling"] < checked["base_floor"]:
        raise ValidationError({"base_ceiling": "缴费基数上限不能低于下限"})
    for name, label in RATE_FIELDS.items():
        checked[name] = check_rate(values.get(name), name, label)
    return checked


@logs_failures(Action.UPDATE)
@transaction.atomic
def set_contribution_rates(*, user: User, county: Node, year: Any, **values: Any) -> ContributionRates:
    county = _county(county)
    require(user, Cap.MANAGE_STAFF, county.path, county)
    year_value = check_year(year)
    rates, _created = ContributionRates.objects.update_or_create(
        county_code=county.county_code, year=year_value, defaults={**check_rates(values), "path": county.path}
    )
    return rates
