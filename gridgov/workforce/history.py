"""What a promotion run reads, in four queries per county: the active workers and their grades,
their approved results of the last years, which results are still open, and the year of each
worker's last promotion."""

from dataclasses import dataclass, field

from django.db.models import Max

from gridgov.assessment.models import Assessment, Status
from gridgov.workforce.models import GradeChange, GradeChangeKind, WorkerFile, WorkerStatus
from gridgov.workforce.rules import YEARS_NEEDED

STATUS_NAMES = {s.value: str(s.label) for s in Status}


@dataclass(frozen=True)
class Worker:
    pk: int
    grade: int
    path: str
    county_code: str


@dataclass
class CountyHistory:
    workers: list[Worker] = field(default_factory=list)
    results: dict[int, dict[int, str]] = field(default_factory=dict)  # worker → {year: result}
    # worker → status of an open result: the run year's not yet approved, or any under appeal
    pending: dict[int, str] = field(default_factory=dict)
    last_promotion: dict[int, int] = field(default_factory=dict)  # worker → assessment year


def county_history(county_code: str, year: int) -> CountyHistory:
    history = CountyHistory()
    active = WorkerFile.objects.filter(county_code=county_code, status=WorkerStatus.ACTIVE)
    history.workers = [
        Worker(pk, grade, path, code)
        for pk, grade, path, code in active.order_by("path", "pk").values_list(
            "pk", "grade", "path", "county_code"
        )
    ]
    # Results are the worker's wherever they were assessed (a worker who moved keeps them).
    assessments = Assessment.objects.filter(
        worker__county_code=county_code,
        worker__status=WorkerStatus.ACTIVE,
        year__gte=year - YEARS_NEEDED,
        year__lte=year,
    )
    for worker_id, result_year, result, status in assessments.values_list(
        "worker_id", "year", "result", "status"
    ):
        if status == Status.APPROVED and result:
            history.results.setdefault(worker_id, {})[result_year] = result
        elif result_year == year or status == Status.APPEALED:
            history.pending[worker_id] = STATUS_NAMES.get(status, status)
    promotions = (
        GradeChange.objects.filter(
            worker__county_code=county_code,
            worker__status=WorkerStatus.ACTIVE,
            kind=GradeChangeKind.PROMOTION,
        )
        .values("worker_id")
        .annotate(last=Max("year"))
    )
    # A promotion takes effect the year after the results it was based on.
    history.last_promotion = {row["worker_id"]: row["last"] - 1 for row in promotions}
    return history
