"""The current year's assessments opened as drafts, with indicators computed from the seeded
events, care visits, verifications, patrols, tasks and inspections (the history of 2023–2025 comes with the worker files,
gridgov.workforce.seed): a community official can propose, the township review, the county
approve, the worker appeal."""

from django.db import transaction

from gridgov.assessment import indicators
from gridgov.assessment.models import Assessment, AssessmentScheme, AssessmentStep, StepKind
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.seeding import SeedContext
from gridgov.workforce.models import WorkerFile, WorkerStatus

CURRENT_YEAR = 2026


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    opened = []
    for scheme in AssessmentScheme.objects.filter(year=CURRENT_YEAR):
        values = indicators.county_indicators(scheme.county_code, CURRENT_YEAR)
        workers = WorkerFile.objects.filter(county_code=scheme.county_code, status=WorkerStatus.ACTIVE)
        for pk, path, county_code in workers.values_list("pk", "path", "county_code"):
            scores = values.get(pk, {})
            opened.append(
                Assessment(
                    worker_id=pk,
                    path=path,
                    county_code=county_code,
                    year=CURRENT_YEAR,
                    indicators=scores,
                    indicator_score=indicators.weighted(scores, scheme.weights),
                )
            )
    Assessment.objects.bulk_create(opened, batch_size=2000)
    drafts = Assessment.objects.filter(year=CURRENT_YEAR).values_list("pk", "path", "county_code")
    AssessmentStep.objects.bulk_create(
        [
            AssessmentStep(assessment_id=pk, path=p, county_code=c, kind=StepKind.COMPUTED)
            for pk, p, c in drafts
        ],
        batch_size=2000,
    )
    record(
        Action.COMMAND,
        object_type="assessment.assessment",
        message=f"seed {ctx.scale}: {len(opened)} {CURRENT_YEAR} drafts",
    )
    ctx.say(f"[green]Assessment:[/green] {len(opened)} {CURRENT_YEAR} drafts with indicators")
