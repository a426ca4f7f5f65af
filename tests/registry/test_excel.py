import io

from django.urls import reverse
from openpyxl import load_workbook

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import excel, pii
from gridgov.registry.models import Resident
from gridgov.registry.rules import ACTIVE_STATUSES


def test_template_has_chinese_headers_and_special_column_only_when_granted(user):
    for username, has_special in (("gaobo", True), ("huimin_chief", False)):
        sheet = load_workbook(io.BytesIO(excel.template_bytes(user(username)))).worksheets[0]
        headers = [c.value for c in sheet[1]]
        assert headers[:10] == [
            "楼栋编码*",
            "单元",
            "室",
            "户类型",
            "姓名*",
            "身份证号*",
            "与户主关系",
            "电话",
            "民族",
            "关爱标签",
        ]
        assert ("特殊人群标签" in headers) is has_special
        assert sheet["F2"].number_format == "@"  # ID numbers stay text


def test_export_masked_by_role_and_audited(login, api, family, grid1):
    client = login("gaobo")
    response = client.get(reverse("registry:export", kwargs={"node_id": grid1.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "特殊人群标签" in header
    by_name = {r[header.index("姓名")]: r for r in rows[1:]}
    head = by_name["张伟"]
    number = pii.id_number_of(family["head"])
    assert head[header.index("身份证号")] == number[:6] + "********" + number[-4:]
    assert by_name["李娜"][header.index("特殊人群标签")] == "刑满释放"
    export = AuditEntry.objects.filter(action=Action.EXPORT, actor_name="gaobo").get()
    assert export.changes["rows"] >= 3
    assert export.changes["full_pii"] is False
    # Full values only when asked for, by a user with SEE_PII.
    response = client.get(reverse("registry:export", kwargs={"node_id": grid1.pk}), {"reveal": "1"})
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    assert number in [c for r in sheet.iter_rows(values_only=True) for c in r]
    # A grid chief (not granted special groups) gets no special column at all.
    response = login("huimin_chief").get(reverse("registry:export", kwargs={"node_id": grid1.pk}))
    header = next(
        load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert "特殊人群标签" not in header
    # The API export.
    response = api("gaobo").get("/api/v1/registry/export.xlsx", {"node": grid1.pk})
    assert response.status_code == 200


def test_export_refused_without_import_export(login, grid1):
    assert (
        login("huimin_volunteer").get(reverse("registry:export", kwargs={"node_id": grid1.pk})).status_code
        == 404
    )


def test_export_of_an_area_over_the_limit_is_offered_in_the_background(login, api, family, grid1, settings):
    in_grid = Resident.objects.filter(path__startswith=grid1.path, status__in=ACTIVE_STATUSES).count()
    settings.REGISTRY_EXPORT_MAX_ROWS = in_grid - 1
    before = AuditEntry.objects.filter(action=Action.EXPORT).count()
    response = login("gaobo").get(reverse("registry:export", kwargs={"node_id": grid1.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"超过 {in_grid - 1} 名" in body
    assert "申请后台导出" in body
    refused = api("gaobo").get("/api/v1/registry/export.xlsx", {"node": grid1.pk})
    assert refused.status_code == 400
    assert "POST /api/v1/registry/exports" in refused.json()["detail"]
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == before  # no file, no export row
    settings.REGISTRY_EXPORT_MAX_ROWS = in_grid
    assert login("gaobo").get(reverse("registry:export", kwargs={"node_id": grid1.pk})).status_code == 200
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == before + 1
