import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry.models import Resident

HEADER = ["楼栋编码", "单元", "室", "户类型", "姓名", "身份证号", "与户主关系", "电话", "民族", "关爱标签"]


def write_xlsx(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return str(path)


def call(*args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_dry_run_then_commit(tmp_path, new_id, building1, grid1):
    path = write_xlsx(
        tmp_path / "ok.xlsx",
        [
            [building1.code, "71", "101", "", "周一", new_id("19700101"), "户主", "13800001234", "汉族", ""],
            [building1.code, "71", "101", "", "周二", new_id("19720101", female=True), "配偶", "", "", ""],
        ],
    )
    out, _ = call(path, grid=grid1.code)
    assert "Dry run OK" in out
    assert "2 rows" in out
    assert not Resident.objects.filter(name="周一").exists()
    out, _ = call(path, grid=grid1.code, commit=True)
    assert "Imported" in out
    assert Resident.objects.get(name="周一").household.head.name == "周一"
    entry = AuditEntry.objects.filter(action=Action.IMPORT).latest("seq")
    assert entry.channel == "command"
    assert entry.actor_name == "system:import"


def test_bad_rows_listed_and_nothing_stored(tmp_path, new_id, building1, grid1):
    good = new_id("19700101")
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        [
            [building1.code, "71", "101", "", "周一", good, "户主", "", "", ""],
            [building1.code, "71", "102", "", "周二", "123456", "", "12", "", ""],
        ],
    )
    with pytest.raises(CommandError) as exc:
        call(path, grid=grid1.code, commit=True)
    assert "nothing stored" in str(exc.value)
    assert "2 problems" in str(exc.value)
    assert not Resident.objects.filter(name="周一").exists()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", path, grid=grid1.code, stdout=out, stderr=err)
    assert "第 3 行 · 身份证号（F列）" in err.getvalue()
    assert "第 3 行 · 电话（H列）" in err.getvalue()


def test_non_excel_and_missing_file(tmp_path, grid1):
    text = tmp_path / "list.xlsx"
    text.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff")
    with pytest.raises(CommandError) as exc:
        call(str(text), grid=grid1.code)
    assert "不是 Excel" in str(exc.value)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"0" * (10 * 1024 * 1024 + 10))
    with pytest.raises(CommandError) as exc:
        call(str(big), grid=grid1.code)
    assert "10 MB" in str(exc.value)
    with pytest.raises(CommandError):
        call(str(tmp_path / "nope.xlsx"), grid=grid1.code)
    with pytest.raises(CommandError):
        call(str(text), grid="000000000000000")


def test_user_scope_applies(tmp_path, new_id, building1, grid1):
    path = write_xlsx(
        tmp_path / "ok.xlsx", [[building1.code, "71", "1", "", "周三", new_id(), "", "", "", ""]]
    )
    with pytest.raises(CommandError) as exc:
        call(path, grid=grid1.code, user="laogangfang_worker", commit=True)
    assert "scope" in str(exc.value)
    out, _ = call(path, grid=grid1.code, user="gaobo", commit=True)
    assert "Imported" in out
    assert AuditEntry.objects.filter(action=Action.IMPORT).latest("seq").actor_name == "gaobo"
