"""Monthly reports: Excel and PDF of a node's period, built by the worker, announced, scoped."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.notifications.models import Notice
from gridgov.overview import reports, services
from gridgov.overview.models import MonthlyReport, ReportStatus


def _last_month():
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def test_a_report_on_demand_is_built_announced_and_downloaded(login, user, node):
    community = node("惠民社区")
    client = login("huimin_admin")
    start, end = timezone.localdate() - datetime.timedelta(days=200), timezone.localdate()
    response = client.post(
        f"/overview/{community.pk}/reports/", {"start": start.isoformat(), "end": end.isoformat()}
    )
    assert response.status_code == 302
    report = MonthlyReport.objects.get(node=community, start=start, end=end)
    assert client.get(f"/overview/reports/{report.pk}.pdf").status_code == 409
    call_command("worker", "--once")
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert Notice.objects.filter(user=user("huimin_admin"), message__contains="惠民社区").exists()

    pdf = client.get(f"/overview/reports/{report.pk}.pdf")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(f"/overview/reports/{report.pk}.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert {"概览", "下级单位", "近12个月", "效能指标"} <= set(workbook.sheetnames)
    rows = {r[1]: r[2] for r in workbook["概览"].iter_rows(min_row=4, values_only=True)}
    assert rows["上报事件"] == reports.content_of(report)["sections"][1]["cards"][0]["value"]
    assert "特殊人群" not in rows

    # Another township's staff cannot see it, nor ask for one of this node.
    outsider = login("laogangfang_worker")
    assert outsider.get(f"/overview/reports/{report.pk}.pdf").status_code == 404
    assert (
        outsider.post(
            f"/overview/{community.pk}/reports/", {"start": "2026-01-01", "end": "2026-01-31"}
        ).status_code
        == 404
    )


def test_bad_periods_are_refused_naming_the_field(login, node):
    client = login("huimin_admin")
    url = f"/overview/{node('惠民社区').pk}/reports/"
    response = client.post(url, {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert client.post(url, {"start": "bad", "end": "2026-01-01"}).status_code == 400


def test_the_worker_queues_last_months_reports_for_every_township_and_above(settings, node):
    settings.GRIDGOV_MONTHLY_REPORTS = True
    start, end = _last_month()
    queued = reports.queue_monthly(timezone.localdate())
    expected = node("呼和浩特市").__class__.objects.filter(level__in=["city", "county", "township"]).count()
    assert queued == expected
    assert reports.queue_monthly(timezone.localdate()) == 0
    assert MonthlyReport.objects.filter(start=start, end=end, node=node("昭乌达南路街道")).exists()
    assert not MonthlyReport.objects.filter(start=start, end=end, node=node("惠民社区")).exists()


@pytest.mark.parametrize("name", ["呼和浩特市", "惠民社区第一网格"])
def test_reports_of_the_top_and_the_bottom_build(user, node, name):
    start, end = _last_month()
    report = services.request_report(user=user("city_admin"), node=node(name), start=start, end=end)
    built = reports.build(report)
    assert built.status == ReportStatus.DONE
    assert reports.file_path(built, "pdf").read_bytes().startswith(b"%PDF")
