"""Excel exports too large for one request (a county, the city): the background worker builds them.

A person asks (page or API) → an `ExportJob` is queued → `gridgov worker` builds the file with
that person's rights at that moment (`excel.write_export`: scoped, masked unless they asked for
full values and may see them, audited) into the private folder → their inbox says it is ready →
only they can download it, for REGISTRY_EXPORT_KEEP_HOURS; then the file is removed.
"""

import contextlib
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.context import acting_as
from gridgov.hierarchy.models import Node
from gridgov.notifications.services import notify
from gridgov.registry import excel
from gridgov.registry.models import ExportJob, ExportStatus


def _folder() -> Path:
    folder = Path(settings.GRIDGOV_PRIVATE_DIR) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def request_export(*, user: Any, node: Node | None, reveal: bool = False) -> ExportJob:
    """Queue an export of `node`'s subtree (None: the user's whole scope); the node is one the
    caller has already looked up within the user's IMPORT_EXPORT scope."""
    if scope_of(user, Cap.IMPORT_EXPORT).empty:
        raise PermissionDenied("no permission: import_export")
    if reveal and scope_of(user, Cap.SEE_PII).empty:
        raise PermissionDenied("no permission: see_pii")
    waiting = ExportJob.objects.filter(
        user=user, node=node, reveal=reveal, status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]
    ).first()
    if waiting is not None:  # a second click while the first is queued
        return waiting
    return ExportJob.objects.create(user=user, node=node, reveal=reveal)


def jobs_for(user: Any) -> QuerySet[ExportJob]:
    """A person's own exports (nobody else's: the files hold what that person may see)."""
    if not getattr(user, "is_authenticated", False):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user).select_related("node")


def get_job_or_404(user: Any, job_id: int) -> ExportJob:
    job = jobs_for(user).filter(pk=job_id).first()
    if job is None:
        raise Http404("no such export")
    return job


def file_of(job: ExportJob) -> Path | None:
    """The finished file, while it is kept."""
    if job.status != ExportStatus.DONE or not job.file_name:
        return None
    path = _folder() / job.file_name
    return path if path.exists() else None


def download(user: Any, job_id: int) -> FileResponse:
    """The person's own finished file as an attachment (404 until it is done, and after it is
    removed); each download is audited. The page and the API both answer with this."""
    job = get_job_or_404(user, job_id)
    path = file_of(job)
    if path is None:
        raise Http404("the file is not ready or no longer kept")
    record(
        Action.EXPORT,
        job,
        changes={"rows": job.rows, "full_pii": job.reveal},
        message=f"downloaded background export #{job.pk}",
        user=job.user,
    )
    stamp = timezone.localtime(job.finished_at or job.created_at).strftime("%Y%m%d-%H%M")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        content_type=excel.XLSX_MIME,
        filename=f"registry-{job.node.code if job.node else 'scope'}-{stamp}.xlsx",
    )


def run_pending(now: datetime | None = None, limit: int = 1) -> dict[str, int]:
    """One worker pass: build up to `limit` queued exports, oldest first, and remove the files
    kept past their time. Returns counts for the worker's log.

    One per pass by default: a county takes the worker about two minutes (568,076 residents,
    138 s), and the event clocks are checked between passes.
    """
    now = now or timezone.now()
    built = failed = 0
    for job in ExportJob.objects.filter(status=ExportStatus.PENDING).select_related("user", "node")[:limit]:
        if _build(job):
            built += 1
        else:
            failed += 1
    return {
        "exports_built": built,
        "exports_failed": failed + _fail_interrupted(now),
        "exports_expired": _expire(now),
    }


# A county takes about two minutes; a job still "running" after this was cut off (the worker was
# stopped or killed mid-way) and would otherwise wait forever.
INTERRUPTED_AFTER = timedelta(hours=2)


def _fail_interrupted(now: datetime) -> int:
    stale = ExportJob.objects.filter(status=ExportStatus.RUNNING, created_at__lt=now - INTERRUPTED_AFTER)
    count = 0
    for job in stale:
        job.status, job.error, job.finished_at = ExportStatus.FAILED, "导出中断，请重新申请", now
        job.save(update_fields=["status", "error", "finished_at"])
        notify(
            [job.user_id], f"Excel 导出失败：{job.error}", subject=job, url=reverse("registry:export_jobs")
        )
        count += 1
    return count


def _build(job: ExportJob) -> bool:
    # Claim it (another worker may be running): only one UPDATE moves it out of pending.
    if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    ):
        return False
    user, name = job.user, f"{job.pk}-{secrets.token_urlsafe(12)}.xlsx"
    path = _folder() / name
    try:
        with acting_as(user, channel="worker"):
            if not user.is_active or scope_of(user, Cap.IMPORT_EXPORT).empty:
                raise PermissionDenied("申请人已无导出权限")
            reveal = job.reveal and not scope_of(user, Cap.SEE_PII).empty
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                rows = excel.write_export(user, job.node, reveal=reveal, out=handle)
            job.status, job.rows, job.file_name, job.reveal = ExportStatus.DONE, rows, name, reveal
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "rows", "file_name", "reveal", "finished_at"])
            hours = settings.REGISTRY_EXPORT_KEEP_HOURS
            notify(
                [user],
                f"Excel 导出已完成：{job.node.name if job.node else '全部范围'}，{rows} 名居民；"
                f"{hours} 小时内可在“后台导出”中下载",
                subject=job,
                url=reverse("registry:export_jobs"),
            )
        return True
    except Exception as exc:  # the job records why; the worker goes on with the next one
        with contextlib.suppress(OSError):
            path.unlink()
        job.status, job.error, job.finished_at = ExportStatus.FAILED, str(exc)[:300], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        notify([user], f"Excel 导出失败：{job.error}", subject=job, url=reverse("registry:export_jobs"))
        return False


def _expire(now: datetime) -> int:
    cutoff = now - timedelta(hours=settings.REGISTRY_EXPORT_KEEP_HOURS)
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff):
        with contextlib.suppress(OSError):
            (_folder() / job.file_name).unlink()
        job.status, job.file_name = ExportStatus.EXPIRED, ""
        job.save(update_fields=["status", "file_name"])
        expired += 1
    return expired
