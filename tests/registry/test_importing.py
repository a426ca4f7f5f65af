import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import importing, pii
from gridgov.registry.choices import LifeEventKind
from gridgov.registry.models import Household, LifeEvent, Resident
from gridgov.search.index import reindex_households
from gridgov.search.models import SearchDoc, household_doc_id, resident_doc_id
from gridgov.search.selectors import search
from tests.registry import sheetfiles

HEADER = ["楼栋编码", "单元", "室", "户类型", "姓名", "身份证号", "与户主关系", "电话", "民族", "关爱标签"]


def xlsx(rows, header=HEADER, before=()):
    """An .xlsx with optional rows above the header (titles, merged group headers)."""
    return sheetfiles.xlsx(rows, header, before)


def run(content, grid, user, commit=False, name="test.xlsx"):
    return importing.import_file(io.BytesIO(content), grid=grid, user=user, commit=commit, name=name)


def errors_by_row(report):
    found = {}
    for error in report.errors:
        found.setdefault(error.row, []).append(error)
    return found


@pytest.fixture
def good_rows(new_id, building1):
    return [
        [
            building1.code,
            "71",
            "101",
            "户籍户",
            "王建国",
            new_id("19550101"),
            "户主",
            "13811112222",
            "汉族",
            "60岁以上",
        ],
        [
            building1.code,
            "71",
            "101",
            "户籍户",
            "刘秀英",
            new_id("19570303", female=True),
            "配偶",
            "",
            "汉族",
            "",
        ],
        [
            "1号楼",
            "72单元",
            "202室",
            "出租户",
            "其其格",
            new_id("19900909", female=True),
            "户主",
            "0471-6543210",
            "蒙古",
            "低保、独居",
        ],
    ]


def test_dry_run_stores_nothing(user, good_rows, grid1):
    before = Resident.objects.count()
    report = run(xlsx(good_rows), grid1, user("gaobo"))
    assert report.errors == []
    assert not report.committed
    assert (report.rows, report.households, report.residents) == (3, 2, 3)
    assert Resident.objects.count() == before


def _documents(household_ids):
    """The search documents of these households and their residents: {doc id: (path, tokens)}."""
    resident_ids = Resident.objects.filter(household_id__in=household_ids).values_list("pk", flat=True)
    ids = [household_doc_id(pk) for pk in household_ids] + [resident_doc_id(pk) for pk in resident_ids]
    return {d.pk: (d.path, d.county_code, d.tokens) for d in SearchDoc.objects.filter(pk__in=ids)}


def test_commit_stores_households_heads_events_and_one_audit_row(user, good_rows, grid1, building1):
    audit_before = AuditEntry.objects.count()
    report = run(xlsx(good_rows), grid1, user("gaobo"), commit=True)
    assert report.committed
    assert report.errors == []
    household = Household.objects.get(number=f"{building1.code}-71-101")
    members = Resident.objects.filter(household=household)
    assert {m.name for m in members} == {"王建国", "刘秀英"}
    assert household.head.name == "王建国"
    wang = members.get(name="王建国")
    assert pii.resident_phone_of(wang) == "13811112222"
    assert wang.care_tags == ["elderly"]
    assert wang.id_number_hash == pii.id_number_hash(good_rows[0][5])
    other = Household.objects.get(number=f"{building1.code}-72-202")
    assert other.kind == "renting"
    assert other.head.ethnicity == "蒙古族"
    assert (
        LifeEvent.objects.filter(
            resident__household__in=[household, other], kind=LifeEventKind.MOVE_IN
        ).count()
        == 3
    )
    new_audit = AuditEntry.objects.filter(seq__gt=audit_before)
    # One row per record created (two households, three residents), each the importer's, then
    # the import's summary.
    assert new_audit.count() == 6
    assert set(new_audit.values_list("actor_name", flat=True)) == {"gaobo"}
    created = new_audit.filter(action=Action.CREATE)
    assert sorted(created.values_list("object_type", "object_id")) == sorted(
        [("registry.household", str(h.pk)) for h in (household, other)]
        + [
            ("registry.resident", str(r.pk))
            for r in Resident.objects.filter(household__in=[household, other])
        ]
    )
    assert all(e.changes["id_number_enc"] == "***" for e in created.filter(object_type="registry.resident"))
    entry = new_audit.get(action=Action.IMPORT)
    assert entry.changes["residents_created"] == 3
    # Indexed from the values in hand: exactly the documents a rebuild from the stored (encrypted)
    # rows gives, for both households and all three residents.
    indexed = _documents([household.pk, other.pk])
    assert len(indexed) == 5
    reindex_households([household.pk, other.pk])
    assert _documents([household.pk, other.pk]) == indexed
    # The imported 其其格 is found by name (the demo grid may have a 其其格 of its own).
    named = [r for r in search(user("gaobo"), "其其格").results if r["type"] == "resident"]
    assert other.head.pk in [r["id"] for r in named]
    assert {r["name"] for r in named} == {"其其格"}
    found = search(user("gaobo"), f"{other.building.name}72单元202室").results
    assert [r["id"] for r in found if r["type"] == "household"] == [other.pk]


def test_every_bad_row_listed_with_column_problem_fix(user, new_id, building1, grid1):
    good = new_id("19800101")
    rows = [
        [building1.code, "71", "101", "", "张三", good, "户主", "13811112222", "汉族", ""],
        [building1.code, "71", "102", "", "李四", "110101198001011234", "户主", "12345", "火星族", "宠物"],
        ["99号楼", "1", "103", "", "", new_id(), "", "", "", ""],
        [building1.code, "71", "104", "", "王五", new_id("19800101"), "户主", "", "", ""],
    ]
    rows[3].append("")
    report = run(xlsx(rows), grid1, user("gaobo"), commit=True)
    assert not report.committed
    found = errors_by_row(report)
    assert set(found) == {3, 4}
    columns = {e.column for e in found[3]}
    assert columns == {"身份证号（F列）", "电话（H列）", "民族（I列）", "关爱标签（J列）"}
    assert {e.column for e in found[4]} == {"楼栋编码（A列）", "姓名（E列）"}
    assert all(e.problem and e.fix for e in report.errors)
    assert "99号楼" in next(e.problem for e in found[4] if e.column == "楼栋编码（A列）")
    # All or nothing: the good rows were not stored either.
    assert not Resident.objects.filter(id_number_hash=pii.id_number_hash(good)).exists()


def test_id_numbers_in_number_cells_of_16_or_more_digits_are_refused(user, new_id, building1, grid1):
    """Excel keeps 15 significant digits: an 18-digit number cell has lost its last ones. Even one
    that happens to pass the checksum is refused (it would be another person, perhaps another sex)."""
    legacy15 = "110101830303125"
    exact = new_id("19820202")
    rows = [
        [building1.code, "71", "1", "", "甲", int(exact), "", "", "", ""],  # passes the checksum
        [building1.code, "71", "2", "", "乙", 1.50102199001011e17, "", "", "", ""],
        [building1.code, "71", "3", "", "丙", int(legacy15), "", 13800001111, "", ""],
        [building1.code, "71", "4", "", "丁", float("110101830404127"), "", "", "", ""],
        [building1.code, "71", "5", "", "戊", 1101011980010112, "", "", "", ""],  # 16 digits
    ]
    report = run(xlsx(rows), grid1, user("gaobo"), commit=True)
    found = errors_by_row(report)
    assert set(found) == {2, 3, 6}
    for row in (2, 3, 6):
        (error,) = found[row]
        assert error.column == "身份证号（F列）"
        assert "此列请设为文本格式后重新填写" in error.problem
        assert "校验" not in error.problem
    assert "1.50102E+17" in found[3][0].problem
    assert "丢失" in found[3][0].problem
    assert not report.committed
    assert not Resident.objects.filter(id_number_hash=pii.id_number_hash(exact)).exists()


def test_id_cell_text():
    from django.core.exceptions import ValidationError

    assert importing.id_cell_text(110101800101123.0) == "110101800101123"
    assert importing.id_cell_text(" 1101 ") == " 1101 "
    assert importing.id_cell_text(None) == ""
    for number in (110101198001011234, 1.10101198001011e17, 1101011980010112, -1.5e17):
        with pytest.raises(ValidationError) as exc:
            importing.id_cell_text(number)
        assert "此列请设为文本格式后重新填写" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        importing.id_cell_text(1.10101198001011e17)
    assert "1.10101E+17" in str(exc.value)


def test_fullwidth_spaces_and_15_digit_numbers(user, new_id, building1, grid1):
    number = new_id("19750505")
    fullwidth = " ".join(chr(ord(c) + 0xFEE0) for c in number)
    rows = [
        [building1.code, "７１", "３０１", "", "赵六", fullwidth, "户主", "１３８ ００００ ２２２２", "", ""],
        [building1.code, "71", "302", "", "钱七", "110101 750606 127", "户主", "", "", ""],
    ]
    report = run(xlsx(rows), grid1, user("gaobo"), commit=True)
    assert report.errors == []
    assert report.committed
    zhao = Resident.objects.get(name="赵六")
    assert pii.id_number_of(zhao) == number.upper()
    assert pii.resident_phone_of(zhao) == "13800002222"
    assert zhao.household.room == "301"
    assert zhao.household.unit == "71"
    qian = Resident.objects.get(name="钱七")
    assert len(pii.id_number_of(qian)) == 18
    assert pii.id_number_of(qian).startswith("11010119750606127")


def test_duplicates_in_file_and_against_database(user, new_id, building1, grid1, family):
    number = new_id()
    rows = [
        [building1.code, "71", "1", "", "甲", number, "", "", "", ""],
        [building1.code, "71", "2", "", "乙", number.lower(), "", "", "", ""],
        [building1.code, "71", "3", "", "丙", pii.id_number_of(family["head"]), "", "", "", ""],
    ]
    report = run(xlsx(rows), grid1, user("gaobo"))
    found = errors_by_row(report)
    assert "与第 2 行的身份证号重复" in found[3][0].problem
    assert "一人不能同时在两户" in found[4][0].problem
    assert family["household"].number in found[4][0].problem
    assert 2 not in found


def test_duplicate_against_database_not_named_outside_scope(user, new_id, family, node):
    from gridgov.hierarchy.models import Level, Node

    grid = node("老缸房社区第一网格")
    building = Node.objects.filter(parent=grid, level=Level.BUILDING).first()
    rows = [[building.code, "71", "1", "", "丙", pii.id_number_of(family["head"]), "", "", "", ""]]
    report = run(xlsx(rows), grid, user("laogangfang_worker"))
    assert family["household"].number not in report.errors[0].problem


def test_merged_title_and_two_row_header(user, new_id, building1, grid1):
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "惠民社区第一网格住户信息登记表"
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "住址"
    sheet.merge_cells("A2:C2")
    sheet["D2"] = "姓名"
    sheet.merge_cells("D2:D3")
    sheet["E2"] = "身份证号码"
    sheet.merge_cells("E2:E3")
    sheet["F2"] = "成员信息"
    sheet.merge_cells("F2:H2")
    for col, value in zip("ABCFGH", ["楼栋", "单元", "房号", "与户主关系", "联系电话", "民族"], strict=True):
        sheet[f"{col}3"] = value
    sheet.append([building1.code, 73, 301, "孙八", new_id("19880808"), "户主", 13900003333, "回族"])
    sheet.append([None] * 8)  # a blank row
    sheet.append(
        [None, None, None, "孙小八", new_id("20150101"), "子女", None, "回族"]
    )  # address merged above
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(buffer.getvalue(), grid1, user("gaobo"), commit=True)
    assert report.errors == []
    assert report.rows == 2
    assert report.committed
    son = Resident.objects.get(name="孙小八")
    assert son.household.head.name == "孙八"
    assert son.household.room == "301"
    assert pii.resident_phone_of(son.household.head) == "13900003333"


def test_second_head_in_household(user, new_id, building1, grid1):
    rows = [
        [building1.code, "71", "1", "", "甲", new_id(), "户主", "", "", ""],
        [building1.code, "71", "1", "", "乙", new_id(), "户主", "", "", ""],
    ]
    report = run(xlsx(rows), grid1, user("gaobo"))
    assert report.errors[0].row == 3
    assert "已有户主（第 2 行）" in report.errors[0].problem


def test_rows_join_an_existing_household(user, new_id, family, grid1):
    household = family["household"]
    rows = [
        [
            household.building.code,
            household.unit,
            household.room,
            "",
            "新成员",
            new_id(),
            "子女",
            "13912345678",
            "",
            "",
        ]
    ]
    report = run(xlsx(rows), grid1, user("gaobo"), commit=True)
    assert report.committed
    assert report.households == 0
    assert Resident.objects.get(name="新成员").household_id == household.pk
    indexed = _documents([household.pk])
    reindex_households([household.pk])
    assert _documents([household.pk]) == indexed
    assert [r["name"] for r in search(user("gaobo"), "新成员").results] == ["新成员"]


def test_special_tags_column_ignored_unless_granted(user, new_id, building1, grid1):
    header = [*HEADER, "特殊人群标签"]
    for username, expected in (("huimin_chief", []), ("gaobo", ["community_correction"])):
        number = new_id()
        rows = [[building1.code, "8", username[:6], "", "某人", number, "", "", "", "", "社区矫正"]]
        report = run(xlsx(rows, header=header), grid1, user(username), commit=True)
        assert report.committed, report.errors
        assert Resident.objects.get(id_number_hash=pii.id_number_hash(number)).special_tags == expected


def test_blank_sheet_and_missing_header():
    with pytest.raises(importing.ExcelFileError) as exc:
        list(importing.Table(io.BytesIO(xlsx([], header=["甲", "乙"]))).rows())
    assert "找不到表头" in exc.value.message
    with pytest.raises(importing.ExcelFileError) as exc:
        list(importing.Table(io.BytesIO(xlsx([], header=["姓名", "电话"]))).rows())
    assert "楼栋编码、身份证号" in exc.value.message
    # An address column stands in for the building column.
    with pytest.raises(importing.ExcelFileError) as exc:
        list(importing.Table(io.BytesIO(xlsx([], header=["住址", "姓名", "电话"]))).rows())
    assert exc.value.message.startswith("表头缺少必需的列：身份证号")


def test_no_data_rows(user, grid1):
    report = run(xlsx([]), grid1, user("gaobo"), commit=True)
    assert not report.committed
    assert "没有数据行" in report.errors[0].problem


@pytest.mark.parametrize(
    ("name", "content", "status", "text"),
    [
        ("big.xlsx", b"PK\x03\x04" + b"0" * (10 * 1024 * 1024), 413, "上限 10 MB"),
        ("data.bin", bytes(range(256)) * 4, 400, "不是 Excel、WPS、ODS 或 CSV"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, 400, "无法读取"),
        ("broken.xlsx", b"PK\x03\x04garbage", 400, "无法读取"),
        ("empty.xlsx", b"", 400, "空的"),
        ("report.xls", "<html><table><tr><td>姓名</td></tr></table></html>".encode(), 400, "网页"),
        ("list.csv", "甲,乙\n1,2\n".encode(), 400, "找不到表头"),
    ],
)
def test_bad_uploads(user, grid1, name, content, status, text):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(importing.ExcelFileError) as exc:
        importing.import_upload(upload, grid=grid1, user=user("gaobo"), commit=True)
    assert exc.value.status == status
    assert text in exc.value.message


# --- pages and API ------------------------------------------------------------------------------


def test_import_page_dry_run_then_commit(login, good_rows, grid1):
    client = login("gaobo")
    assert client.get(reverse("registry:import")).status_code == 200
    content = xlsx(good_rows)
    response = client.post(
        reverse("registry:import"),
        {"grid": grid1.code, "commit": "0", "file": SimpleUploadedFile("a.xlsx", content)},
    )
    assert response.status_code == 200
    assert "全部正确" in response.content.decode()
    assert not Resident.objects.filter(name="王建国").exists()
    response = client.post(
        reverse("registry:import"),
        {"grid": grid1.code, "commit": "1", "file": SimpleUploadedFile("a.xlsx", content)},
    )
    assert response.status_code == 302
    wang = Resident.objects.get(name="王建国")
    # The imported records show on the pages (history included).
    page = client.get(reverse("registry:household", kwargs={"household_id": wang.household_id}))
    assert page.status_code == 200
    assert "Excel 导入" in page.content.decode()


def test_import_page_commits_the_checked_file_without_a_second_upload(login, good_rows, grid1):
    client = login("gaobo")
    response = client.post(
        reverse("registry:import"),
        {"grid": grid1.code, "commit": "0", "file": SimpleUploadedFile("a.xlsx", xlsx(good_rows))},
    )
    token = response.context["pending"]["token"]
    assert importing.pending_file(token) is not None
    # Another user's session cannot use the token.
    other = login("huimin_chief").post(reverse("registry:import"), {"pending": token})
    assert other.status_code == 302
    assert not Resident.objects.filter(name="王建国").exists()
    response = client.post(reverse("registry:import"), {"pending": token})
    assert response.status_code == 302
    assert Resident.objects.filter(name="王建国").count() == 1
    assert importing.pending_file(token) is None
    # The token is spent.
    client.post(reverse("registry:import"), {"pending": token})
    assert Resident.objects.filter(name="王建国").count() == 1


def test_import_page_lists_errors_and_rejects_non_excel(login, grid1, building1):
    client = login("gaobo")
    content = xlsx([[building1.code, "71", "1", "", "张三", "123", "", "", "", ""]])
    response = client.post(
        reverse("registry:import"),
        {"grid": grid1.code, "commit": "1", "file": SimpleUploadedFile("a.xlsx", content)},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "没有保存任何数据" in body
    assert "18 位" in body
    response = client.post(
        reverse("registry:import"),
        {"grid": grid1.code, "commit": "0", "file": SimpleUploadedFile("a.doc", bytes(range(256)))},
    )
    assert response.status_code == 400
    assert "不是 Excel" in response.content.decode()


def test_import_page_refuses_grid_outside_scope(login, node, good_rows):
    response = login("gaobo").post(
        reverse("registry:import"),
        {
            "grid": node("老缸房社区第一网格").code,
            "commit": "1",
            "file": SimpleUploadedFile("a.xlsx", xlsx(good_rows)),
        },
    )
    assert response.status_code == 200
    assert "grid" in response.context["form"].errors
    assert not Resident.objects.filter(name="王建国").exists()


def test_import_page_needs_import_right(login):
    assert login("huimin_volunteer").get(reverse("registry:import")).status_code == 403


def test_api_import(api, good_rows, grid1):
    client = api("gaobo")
    response = client.post(
        "/api/v1/registry/imports",
        {"grid": grid1.code, "file": SimpleUploadedFile("a.xlsx", xlsx(good_rows))},
    )
    assert response.status_code == 200, response.content
    assert response.json()["committed"] is False
    assert response.json()["residents"] == 3
    response = client.post(
        "/api/v1/registry/imports",
        {"grid": grid1.code, "commit": "true", "file": SimpleUploadedFile("a.xlsx", xlsx(good_rows))},
    )
    assert response.json()["committed"] is True
    response = client.post(
        "/api/v1/registry/imports",
        {"grid": grid1.code, "commit": "true", "file": SimpleUploadedFile("a.xlsx", xlsx(good_rows))},
    )
    data = response.json()
    assert data["committed"] is False
    assert len(data["errors"]) == 3
    assert {"row", "column", "problem", "fix"} <= set(data["errors"][0])


def test_api_import_bad_files(api, grid1, node):
    client = api("gaobo")
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * (10 * 1024 * 1024 + 1))
    response = client.post("/api/v1/registry/imports", {"grid": grid1.code, "file": big})
    assert response.status_code == 413
    assert "10 MB" in response.json()["detail"]
    response = client.post(
        "/api/v1/registry/imports", {"grid": grid1.code, "file": SimpleUploadedFile("x.txt", b"hello")}
    )
    assert response.status_code == 400
    assert "找不到表头" in response.json()["detail"]
    response = client.post(
        "/api/v1/registry/imports",
        {"grid": grid1.code, "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n\x00\x01\x02\xff")},
    )
    assert response.status_code == 400
    assert "不是 Excel" in response.json()["detail"]
    response = client.post(
        "/api/v1/registry/imports",
        {"grid": node("老缸房社区第一网格").code, "file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04")},
    )
    assert response.status_code == 404


# --- a township clerk's real sheet --------------------------------------------------------------

CLERK_HEADER = [
    "序号",
    "楼号",
    "单元",
    "户号",
    "姓名",
    "性别（男/女）",
    "民族（族别）",
    "出生年月",
    "公民身份号码",
    "与户主关系",
    "联系电话（手机）",
    "文化程度",
]


def clerk_rows(new_id):
    """One family as a clerk keeps it: 4#楼, 出生年月 as 1964.02, 女性, 蒙族, 长子/儿媳/孙女, a
    bullet in a name, a full-width space aligning a two-character name, merged address cells."""
    head = new_id("19640215")
    wife = new_id("19660310", female=True)
    son = new_id("19880101")
    daughter_in_law = new_id("19890505", female=True)
    granddaughter = new_id("20150601", female=True)
    return [
        [1, "4#楼", 2, 501, "巴特尔", "男性", "蒙族", 1964.02, head, "户主", 13947112345, "高中"],
        [2, "", "", "", "乌云•其其格", "女性", "蒙古", "1966.03", wife, "妻", "", "初中"],
        [3, "", "", "", "巴　图", "男", "蒙族", "1988年1月", son, "长子", "", "大学"],
        [4, "", "", "", "阿依古丽．买买提", "女", "维族", "1989-5", daughter_in_law, "儿媳", "", "大学"],
        [5, "", "", "", "娜仁", "女", "蒙族", "2015.06", granddaughter, "孙女", "", ""],
    ], {"head": head, "son": son, "daughter_in_law": daughter_in_law}


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        (lambda rows, header: sheetfiles.xlsx(rows, header), "clerk.xlsx"),
        (sheetfiles.xls, "clerk.xls"),
        (sheetfiles.ods, "clerk.ods"),
        (lambda rows, header: sheetfiles.csv_bytes(rows, header, encoding="utf-8-sig"), "clerk.csv"),
        (lambda rows, header: sheetfiles.csv_bytes(rows, header, encoding="gb18030"), "clerk-gbk.csv"),
    ],
)
def test_a_clerks_real_sheet_in_every_format(user, new_id, grid1, fmt, name):
    rows, ids = clerk_rows(new_id)
    content = fmt(rows, CLERK_HEADER)
    report = run(content, grid1, user("gaobo"), name=name)
    assert report.errors == [], report.errors
    assert [(n.column, n.message) for n in report.notices] == [("文化程度（L列）", "未识别的列，将被忽略")]
    assert (report.rows, report.households, report.residents) == (5, 1, 5)
    assert not Resident.objects.filter(id_number_hash=pii.id_number_hash(ids["head"])).exists()  # dry run
    report = run(content, grid1, user("gaobo"), commit=True, name=name)
    assert report.committed, report.errors
    head = Resident.objects.get(id_number_hash=pii.id_number_hash(ids["head"]))
    household = head.household
    assert (household.building.name, household.unit, household.room) == ("4号楼", "2", "501")
    assert household.head_id == head.pk
    members = {r.name: r for r in Resident.objects.filter(household=household)}
    assert set(members) == {"巴特尔", "乌云·其其格", "巴图", "阿依古丽·买买提", "娜仁"}
    assert {r.ethnicity for n, r in members.items() if n != "阿依古丽·买买提"} == {"蒙古族"}
    assert members["阿依古丽·买买提"].ethnicity == "维吾尔族"
    assert members["巴图"].relation == "child"
    assert members["阿依古丽·买买提"].relation == "child_in_law"
    assert members["娜仁"].relation == "grandchild"
    assert members["乌云·其其格"].sex == "F"
    assert pii.resident_phone_of(head) == "13947112345"


def test_every_problem_of_a_row_under_its_own_column(user, new_id, grid1):
    """Sex wrong, birth month wrong, ethnicity unknown, phone too short, relation unknown: five
    problems of one row, each named by the clerk's header and letter; the row below is fine
    but nothing is stored."""
    man = new_id("19640215")
    rows = [
        [1, "4#", 2, 502, "巴特尔", "女", "火星族", "1964.03", man, "邻居", 123, ""],
        [2, "4#", 2, 503, "其其格", "女", "蒙族", "1970.01", new_id("19700101", female=True), "户主", "", ""],
    ]
    report = run(sheetfiles.xlsx(rows, CLERK_HEADER), grid1, user("gaobo"), commit=True)
    assert not report.committed
    found = errors_by_row(report)
    assert set(found) == {2}
    by_column = {e.column: e for e in found[2]}
    assert set(by_column) == {
        "性别（男/女）（F列）",
        "民族（族别）（G列）",
        "出生年月（H列）",
        "与户主关系（J列）",
        "联系电话（手机）（K列）",
    }
    assert "身份证号第 17 位表示“男”" in by_column["性别（男/女）（F列）"].problem
    assert "1964-02" in by_column["出生年月（H列）"].problem
    assert all(e.fix for e in found[2])
    assert not Resident.objects.filter(name="其其格", household__room="503").exists()


@pytest.mark.parametrize(
    "building",
    [
        "4#楼",
        "4#",
        "4幢",
        "4栋",
        "4号楼",
        "4号",
        "4座",
        "４＃楼",
        4,
        4.0,
        "惠民小区4号楼",
        "四号楼",
        "4栋楼",
        " 4 号楼 ",
    ],
)
def test_building_spellings(user, new_id, grid1, building):
    rows = [[building, "8", "801", "", "某人", new_id(), "", "", "", ""]]
    report = run(xlsx(rows), grid1, user("gaobo"))
    assert report.errors == [], report.errors
    assert report.households == 1


@pytest.mark.parametrize(
    "address",
    [
        "4号楼2单元501室",
        "4#2-501",
        "4-2-501",
        "4栋2单元501",
        "惠民小区4幢2单元501",
        "四号楼二单元五零一",
        "4#楼2门501",
    ],
)
def test_one_cell_holding_building_unit_and_room(user, new_id, grid1, address):
    header = ["住址", "姓名", "身份证号"]
    number = new_id()
    report = run(sheetfiles.xlsx([[address, "某人", number]], header), grid1, user("gaobo"), commit=True)
    assert report.committed, report.errors
    household = Resident.objects.get(id_number_hash=pii.id_number_hash(number)).household
    assert (household.building.name, household.unit, household.room) == ("4号楼", "2", "501")
    # The same in the building column, with unit and room left empty.
    number = new_id()
    rows = [
        [
            address.replace("501", "502").replace("五零一", "五零二"),
            "",
            "",
            "",
            "某人",
            number,
            "",
            "",
            "",
            "",
        ]
    ]
    report = run(xlsx(rows), grid1, user("gaobo"), commit=True)
    assert report.committed, report.errors
    household = Resident.objects.get(id_number_hash=pii.id_number_hash(number)).household
    assert (household.unit, household.room) == ("2", "502")


def test_unreadable_address_is_reported_under_its_column(user, new_id, grid1):
    report = run(
        sheetfiles.xlsx([["惠民路12号", "某人", new_id()]], ["现住址", "姓名", "身份证号"]),
        grid1,
        user("gaobo"),
    )
    assert len(report.errors) == 1, report.errors
    (error,) = report.errors
    assert error.column == "现住址（A列）"
    assert "惠民路12号" in error.problem


def test_unknown_columns_listed_and_their_data_not_stored(user, new_id, grid1, building1):
    header = [*HEADER, "政治面貌", "", "年龄"]
    rows = [[building1.code, "9", "901", "", "某人", new_id(), "", "", "", "", "党员", "备用数据", 44]]
    report = run(xlsx(rows, header=header), grid1, user("gaobo"))
    assert report.errors == []
    assert [(n.column, n.message) for n in report.notices] == [
        ("政治面貌（K列）", "未识别的列，将被忽略"),
        ("年龄（M列）", "年龄按身份证号计算，此列不导入"),
        ("L列", "此列没有列名，其中的内容将被忽略；请填上列名"),
    ]


def test_column_numbers_row_and_template_example_row(user, new_id, grid1, building1):
    rows = [
        list(range(1, 12)),  # government forms number their columns under the header
        [building1.code, "9", "902", "", "张伟", new_id(), "户主", "", "", "", "示例行，导入前请删除"],
    ]
    report = run(xlsx(rows, header=[*HEADER, "备注"]), grid1, user("gaobo"))
    assert report.rows == 1
    assert len(report.errors) == 1, report.errors
    (error,) = report.errors
    assert error.row == 3
    assert error.column == "备注（K列）"
    assert "示例行" in error.problem


def test_several_sheets_each_imported_and_errors_name_the_sheet(user, new_id, grid1, building1):
    content = sheetfiles.xlsx(
        None,
        sheets={
            "1号楼": (HEADER, [[building1.code, "7", "7101", "", "甲", new_id(), "户主", "", "", ""]], ()),
            "2号楼": (HEADER, [["2号楼", "7", "7101", "", "乙", "123", "户主", "", "", ""]], ()),
            "说明": (None, [["本表由社区填报"]], ()),
        },
    )
    report = run(content, grid1, user("gaobo"), commit=True)
    assert report.sheets == ["1号楼", "2号楼"]
    assert len(report.errors) == 1, report.errors
    (error,) = report.errors
    assert (error.sheet, error.row, error.column) == ("2号楼", 2, "身份证号（F列）")
    assert [(n.sheet, n.message) for n in report.notices] == [("说明", "此工作表中没有找到表头，未导入")]
    assert not report.committed
    assert not Resident.objects.filter(name="甲").exists()  # all or nothing across sheets


def test_duplicate_across_sheets_names_the_other_sheet(user, new_id, grid1, building1):
    number = new_id()
    content = sheetfiles.xlsx(
        None,
        sheets={
            "一": (HEADER, [[building1.code, "1", "101", "", "甲", number, "", "", "", ""]], ()),
            "二": (HEADER, [[building1.code, "1", "102", "", "甲", number, "", "", "", ""]], ()),
        },
    )
    report = run(content, grid1, user("gaobo"))
    assert len(report.errors) == 1, report.errors
    (error,) = report.errors
    assert error.sheet == "二"
    assert "工作表“一”第 2 行" in error.problem


def test_api_lists_notices_and_columns_with_letters(api, new_id, grid1):
    rows, _ids = clerk_rows(new_id)
    rows[0][5] = "女"
    rows[1][4] = "乌云·其其格"  # GBK has the middle dot, not the bullet
    upload = SimpleUploadedFile("clerk.csv", sheetfiles.csv_bytes(rows, CLERK_HEADER, encoding="gbk"))
    response = api("gaobo").post("/api/v1/registry/imports", {"grid": grid1.code, "file": upload})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["notices"] == [
        {"sheet": "clerk", "column": "文化程度（L列）", "message": "未识别的列，将被忽略"}
    ]
    (error,) = data["errors"]
    assert (error["row"], error["column"]) == (2, "性别（男/女）（F列）")


def test_import_page_takes_an_old_xls_and_shows_ignored_columns(login, new_id, grid1):
    rows, ids = clerk_rows(new_id)
    client = login("gaobo")
    response = client.post(
        reverse("registry:import"),
        {
            "grid": grid1.code,
            "commit": "0",
            "file": SimpleUploadedFile("clerk.xls", sheetfiles.xls(rows, CLERK_HEADER)),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "未识别的列，将被忽略" in body
    assert "文化程度（L列）" in body
    token = response.context["pending"]["token"]
    response = client.post(reverse("registry:import"), {"pending": token})
    assert response.status_code == 302
    assert Resident.objects.filter(id_number_hash=pii.id_number_hash(ids["son"])).exists()


def test_building_and_unit_cells_merged_over_several_households(user, new_id, grid1):
    rows = [
        ["4号楼", "3", "301", "", "甲", new_id(), "户主", "", "", ""],
        [None, None, "302", "", "乙", new_id(), "户主", "", "", ""],  # building and unit merged above
        [None, "4", "401", "", "丙", new_id(), "户主", "", "", ""],  # building merged, a new unit
        [None, None, None, "", "丁", new_id(), "配偶", "", "", ""],  # 丙's family
    ]
    report = run(xlsx(rows), grid1, user("gaobo"), commit=True)
    assert report.committed, report.errors
    homes = {
        r.name: (r.household.building.name, r.household.unit, r.household.room)
        for r in Resident.objects.filter(name__in="甲乙丙丁")
    }
    assert homes == {
        "甲": ("4号楼", "3", "301"),
        "乙": ("4号楼", "3", "302"),
        "丙": ("4号楼", "4", "401"),
        "丁": ("4号楼", "4", "401"),
    }


def test_an_import_gives_its_tagged_residents_care_schedules(user, good_rows, grid1):
    """Residents written by an import (plain INSERTs, no model signals) get their schedules, due
    at once, with the shortest interval of their tags' rules; untagged residents get none."""
    from django.utils import timezone

    from gridgov.care.models import CareSchedule

    last = Resident.objects.order_by("-pk").values_list("pk", flat=True).first()
    report = run(xlsx(good_rows), grid1, user("gaobo"), commit=True)
    assert report.committed, report.errors
    new = {r.name: r for r in Resident.objects.filter(pk__gt=last)}
    assert set(new) == {"王建国", "刘秀英", "其其格"}
    schedules = {s.resident.name: s for s in CareSchedule.objects.filter(resident__in=new.values())}
    assert set(schedules) == {"其其格"} | ({"王建国"} if "elderly" in _active_rule_tags() else set())
    qiqige = schedules["其其格"]
    assert qiqige.tags == ["alone", "subsistence"]
    assert qiqige.interval_days == 7
    assert qiqige.next_due == timezone.localdate()
    assert qiqige.grid_id == grid1.pk
    assert qiqige.path == new["其其格"].path


def _active_rule_tags():
    from gridgov.care.models import CareRule

    return set(CareRule.objects.filter(active=True).values_list("tag", flat=True))
