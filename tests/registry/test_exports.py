"""gridgov.registry.exports: exports too large for a request are built by the worker, privately."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.audit.models import Action, AuditEntry
from gridgov.notifications.models import Notice
from gridgov.registry import exports, pii
from gridgov.registry.models import ExportJob, ExportStatus, Resident
from gridgov.registry.rules import ACTIVE_STATUSES


@pytest.fixture
def small_limit(settings, tmp_path, grid1):
    """A limit just under gaobo's grid, and a private folder of the test's own."""
    settings.GRIDGOV_PRIVATE_DIR = tmp_path / "private"
    settings.REGISTRY_EXPORT_MAX_ROWS = (
        Resident.objects.filter(path__startswith=grid1.path, status__in=ACTIVE_STATUSES).count() - 1
    )
    return settings.REGISTRY_EXPORT_MAX_ROWS


def _sheet(content):
    rows = list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))
    return rows[0], rows[1:]


def _download(response):
    return b"".join(response.streaming_content)


def test_a_large_area_is_queued_built_by_the_worker_and_downloaded_by_its_owner(
    login, family, grid1, small_limit
):
    client = login("gaobo")
    offer = client.get(reverse("registry:export", kwargs={"node_id": grid1.pk}))
    assert offer.status_code == 200
    assert "申请后台导出" in offer.content.decode()
    response = client.post(reverse("registry:export_jobs"), {"node": grid1.pk}, follow=True)
    assert "已加入后台导出" in response.content.decode()
    job = ExportJob.objects.get(user__username="gaobo")
    assert job.status == ExportStatus.PENDING
    assert job.node == grid1
    # A second click while it waits does not queue another.
    client.post(reverse("registry:export_jobs"), {"node": grid1.pk})
    assert ExportJob.objects.filter(user__username="gaobo").count() == 1
    assert client.get(reverse("registry:export_job_file", kwargs={"job_id": job.pk})).status_code == 404

    exports_before = AuditEntry.objects.filter(action=Action.EXPORT).count()
    assert exports.run_pending() == {"exports_built": 1, "exports_failed": 0, "exports_expired": 0}
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert job.rows == small_limit + 1
    assert Notice.objects.filter(user=job.user, message__startswith="Excel 导出已完成").exists()
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == exports_before + 1  # built

    page = client.get(reverse("registry:export_jobs")).content.decode()
    assert reverse("registry:export_job_file", kwargs={"job_id": job.pk}) in page
    file = client.get(reverse("registry:export_job_file", kwargs={"job_id": job.pk}))
    assert file.status_code == 200
    assert file["Content-Disposition"].startswith("attachment")
    header, rows = _sheet(_download(file))
    assert len(rows) == job.rows
    by_name = {row[header.index("姓名")]: row for row in rows}
    number = pii.id_number_of(family["head"])
    assert by_name["张伟"][header.index("身份证号")] == number[:6] + "********" + number[-4:]  # masked
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == exports_before + 2  # downloaded

    # Nobody else can see or fetch it, not even the community's administrator.
    other = login("huimin_admin")
    assert other.get(reverse("registry:export_job_file", kwargs={"job_id": job.pk})).status_code == 404
    assert f"/exports/{job.pk}/" not in other.get(reverse("registry:export_jobs")).content.decode()


def test_the_file_is_removed_after_its_time(login, user, family, grid1, small_limit, settings):
    job = exports.request_export(user=user("gaobo"), node=grid1)
    exports.run_pending()
    job.refresh_from_db()
    path = exports.file_of(job)
    assert path is not None
    assert path.exists()
    later = timezone.now() + timedelta(hours=settings.REGISTRY_EXPORT_KEEP_HOURS, minutes=1)
    assert exports.run_pending(later)["exports_expired"] == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED
    assert not path.exists()
    assert exports.file_of(job) is None
    assert (
        login("gaobo").get(reverse("registry:export_job_file", kwargs={"job_id": job.pk})).status_code == 404
    )


def test_a_job_whose_owner_lost_the_right_fails_and_says_why(user, grid1, small_limit):
    gaobo = user("gaobo")
    job = exports.request_export(user=gaobo, node=grid1)
    gaobo.assignments.all().delete()
    assert exports.run_pending()["exports_failed"] == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "无导出权限" in job.error
    assert not job.file_name
    assert Notice.objects.filter(user=gaobo, message__startswith="Excel 导出失败").exists()


def test_only_people_with_export_rights_may_queue_one(login, user, grid1, small_limit):
    with pytest.raises(PermissionDenied, match="import_export"):
        exports.request_export(user=user("huimin_volunteer"), node=grid1)
    assert (
        login("huimin_volunteer").post(reverse("registry:export_jobs"), {"node": grid1.pk}).status_code == 404
    )
    assert (
        login("laogangfang_worker").post(reverse("registry:export_jobs"), {"node": grid1.pk}).status_code
        == 404
    )
    assert not ExportJob.objects.exists()


def test_the_api_queues_reports_and_serves_the_file(api, family, grid1, small_limit):
    client = api("gaobo")
    refused = client.get("/api/v1/registry/export.xlsx", {"node": grid1.pk})
    assert refused.status_code == 400
    assert "POST /api/v1/registry/exports" in refused.json()["detail"]
    created = client.post("/api/v1/registry/exports", {"node": grid1.pk}, content_type="application/json")
    assert created.status_code == 202
    assert created.json()["status"] == "pending"
    job_id = created.json()["id"]
    assert client.get(f"/api/v1/registry/exports/{job_id}/file").status_code == 404
    call_command("worker", "--once")
    status = client.get(f"/api/v1/registry/exports/{job_id}").json()
    assert status["status"] == "done"
    assert status["rows"] == small_limit + 1
    file = client.get(status["file_url"])
    assert file.status_code == 200
    _header, rows = _sheet(_download(file))
    assert len(rows) == small_limit + 1
    assert [j["id"] for j in client.get("/api/v1/registry/exports").json()] == [job_id]
    assert api("huimin_admin").get(f"/api/v1/registry/exports/{job_id}").status_code == 404


def test_a_job_cut_off_mid_way_is_failed_later_so_it_can_be_asked_again(user, grid1, small_limit):
    gaobo = user("gaobo")
    job = exports.request_export(user=gaobo, node=grid1)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)  # the worker died here
    assert exports.run_pending()["exports_failed"] == 0  # a fresh one may still be running
    later = timezone.now() + exports.INTERRUPTED_AFTER + timedelta(minutes=1)
    assert exports.run_pending(later)["exports_failed"] == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "中断" in job.error
    assert exports.request_export(user=gaobo, node=grid1).pk != job.pk
