"""Monthly reports (月度报告) per node: an Excel workbook (tables) and a PDF (tables and charts,
the charts drawn on the server as SVG by pygal and laid out by WeasyPrint).

The worker builds, on the 1st of each month, last month's report of the city, every county and
every township, and announces each in the inbox of the officials of that node; a report asked
for on demand (any node in the official's scope, any period) is queued and built by the same
pass. A report shows counts only, as the big screen does: no names, no special groups.
"""

from __future__ import annotations

import datetime
import io
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import ROLE_CAPS, Cap
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.overview import board, indicators
from gridgov.overview.models import MonthlyReport, ReportStatus
from gridgov.overview.period import Period, month_range

# Levels that get a report on the 1st of each month.
MONTHLY_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)
# Reports built in one worker pass (the rest wait for the next pass).
BATCH = 20


def folder() -> Path:
    path = Path(settings.GRIDGOV_PRIVATE_DIR) / "reports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def file_path(report: MonthlyReport, kind: str) -> Path:
    if kind not in ("xlsx", "pdf") or not report.file_stem:
        raise ValueError(f"no {kind} file for report {report.pk}")
    return folder() / f"{report.file_stem}.{kind}"


def content_of(report: MonthlyReport) -> dict[str, Any]:
    """What the report shows: the overview of its node for its period as the big screen sees
    it, and the efficiency indicators of the node and its children."""
    period = Period("custom", report.start, report.end)
    data = board.overview(report.node, period, board.DISPLAY_SIGHT, links=False)
    own = indicators.for_node(report.node.path, report.start, report.end)
    children = indicators.for_children(report.node.path, report.start, report.end)
    names = dict(Node.objects.filter(path__in=list(children)).values_list("path", "name"))
    data["indicators"] = {
        "node": own.as_dict(),
        "children": [
            {"name": names.get(path, path), **values.as_dict()}
            for path, values in sorted(children.items())
            if path != report.node.path
        ],
    }
    return data


def title_of(report: MonthlyReport) -> str:
    return f"{report.node.name} {report.start:%Y年%m月%d日}至{report.end:%Y年%m月%d日} 网格化服务管理报告"


# --- Excel ---------------------------------------------------------------------------------------


def write_excel(report: MonthlyReport, data: dict[str, Any]) -> bytes:
    workbook = Workbook()
    bold = Font(bold=True)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "概览"
    sheet.append([title_of(report)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(["板块", "指标", "数值", "单位"])
    for cell in sheet[3]:
        cell.font = bold
    for section in data["sections"]:
        for card in section["cards"]:
            sheet.append([section["label"], card["label"], card["value"], card["unit"]])
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 24

    columns = data["breakdown"]["columns"]
    if data["breakdown"]["rows"]:
        rows = workbook.create_sheet("下级单位")
        rows.append(["名称", *[c["label"] for c in columns]])
        for row in data["breakdown"]["rows"]:
            rows.append([row["name"], *[row["values"].get(c["key"]) for c in columns]])
        rows.column_dimensions["A"].width = 24

    trend = workbook.create_sheet("近12个月")
    trend.append(["指标", *data["trend"]["months"]])
    for series in data["trend"]["series"]:
        trend.append([series["label"], *series["values"]])

    table = workbook.create_sheet("效能指标")
    table.append(["单位", "发现", "有效上报", "办结", "按时办结", "按时办结率(%)", "满意度"])
    for name, values in [(report.node.name, data["indicators"]["node"])] + [
        (child["name"], child) for child in data["indicators"]["children"]
    ]:
        table.append(
            [
                name,
                values["found"],
                values["reported"],
                values["closed"],
                values["on_time"],
                values["on_time_rate"],
                values["satisfaction"],
            ]
        )
    if data["categories"]:
        top = workbook.create_sheet("高发事件")
        top.append(["分类", "件数"])
        for category in data["categories"]:
            top.append([category["label"], category["value"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------------


def _charts(data: dict[str, Any]) -> dict[str, str]:
    """SVG charts for the PDF: the children's events, the 12-month trend."""
    import pygal
    from pygal.style import Style

    style = Style(
        font_family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif",
        background="white",
        plot_background="white",
        colors=("#0b5cad", "#12b76a", "#f79009", "#d92d20", "#7a5af8", "#667085"),
    )
    options: dict[str, Any] = {
        "style": style,
        "js": [],
        "width": 760,
        "height": 300,
        "disable_xml_declaration": True,
        "explicit_size": True,
    }
    charts: dict[str, str] = {}
    rows = data["breakdown"]["rows"]
    if rows and any(c["key"] == "events.reported" for c in data["breakdown"]["columns"]):
        bar = pygal.Bar(show_legend=False, x_label_rotation=30 if len(rows) > 6 else 0, **options)
        bar.title = "各下级单位上报事件"
        bar.x_labels = [r["name"] for r in rows]
        bar.add("上报事件", [r["values"].get("events.reported") or 0 for r in rows])
        charts["breakdown"] = bar.render(is_unicode=True)
    counts = [s for s in data["trend"]["series"] if s.get("unit") != "%"]
    if counts:
        line = pygal.Line(legend_at_bottom=True, **options)
        line.title = "近12个月趋势"
        line.x_labels = data["trend"]["months"]
        for series in counts:
            line.add(series["label"], series["values"])
        charts["trend"] = line.render(is_unicode=True)
    return charts


def write_pdf(report: MonthlyReport, data: dict[str, Any]) -> bytes:
    import weasyprint

    html = render_to_string(
        "overview/report.html",
        {
            "title": title_of(report),
            "report": report,
            "data": data,
            "charts": _charts(data),
            "built_at": timezone.localtime(),
        },
    )
    return weasyprint.HTML(string=html).write_pdf()  # type: ignore[no-any-return]


# --- building ------------------------------------------------------------------------------------


def officials_of(node: Node) -> list[int]:
    """Users whose role at this very node handles events (its centre's officials)."""
    roles = [role for role, caps in ROLE_CAPS.items() if Cap.HANDLE_EVENT in caps]
    return list(
        RoleAssignment.objects.filter(node=node, role__in=roles, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def build(report: MonthlyReport) -> MonthlyReport:
    """Write the report's two files and announce it (to who asked, or to the node's officials)."""
    try:
        data = content_of(report)
        stem = f"report-{report.pk}-{secrets.token_hex(8)}"
        (folder() / f"{stem}.xlsx").write_bytes(write_excel(report, data))
        report.file_stem = stem
        (folder() / f"{stem}.pdf").write_bytes(write_pdf(report, data))
    except Exception as exc:  # a report that cannot be built says why; the worker goes on
        MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error=str(exc)[:300])
        record(Action.UPDATE, report, success=False, message=f"report failed: {exc!r}"[:500])
        report.status = ReportStatus.FAILED
        return report
    now = timezone.now()
    MonthlyReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.DONE, file_stem=stem, finished_at=now
    )
    report.status, report.finished_at = ReportStatus.DONE, now
    record(
        Action.UPDATE,
        report,
        changes={"status": ["pending", "done"]},
        message=f"report built: {title_of(report)}",
    )
    recipients = [report.requested_by_id] if report.requested_by_id else officials_of(report.node)
    notify(recipients, f"{title_of(report)} 已生成", subject=report)
    return report


def queue_monthly(today: datetime.date) -> int:
    """On the 1st (or the first pass after it): last month's report of every township and above."""
    last_month = month_range(today.replace(day=1) - datetime.timedelta(days=1))
    nodes = Node.objects.filter(level__in=MONTHLY_LEVELS).exclude(
        pk__in=MonthlyReport.objects.filter(start=last_month.start, end=last_month.end).values("node_id")
    )
    made = [
        MonthlyReport(
            node=node,
            start=last_month.start,
            end=last_month.end,
            path=node.path,
            county_code=node.county_code,
        )
        for node in nodes.only("pk", "path", "county_code")
    ]
    MonthlyReport.objects.bulk_create(made)
    if made:
        record(
            Action.CREATE,
            object_type="overview.monthlyreport",
            message=f"{len(made)} monthly reports queued for {last_month.start:%Y-%m}",
        )
    return len(made)


def run_pending(now: datetime.datetime | None = None) -> dict[str, int]:
    """One pass: queue the month's reports once it has begun, build what is waiting."""
    today = timezone.localtime(now or timezone.now()).date()
    queued = queue_monthly(today) if settings.GRIDGOV_MONTHLY_REPORTS else 0
    built = failed = 0
    waiting = MonthlyReport.objects.filter(status=ReportStatus.PENDING).select_related("node").order_by("pk")
    for report in waiting[:BATCH]:
        if build(report).status == ReportStatus.DONE:
            built += 1
        else:
            failed += 1
    return {"reports_queued": queued, "reports_built": built, "reports_failed": failed}


def reports_of(node: Node) -> Any:
    return MonthlyReport.objects.filter(Q(node=node)).order_by("-end", "-pk")
