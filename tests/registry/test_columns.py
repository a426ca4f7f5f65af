import pytest

from gridgov.registry.columns import find_layout, header_key, is_column_numbers
from gridgov.registry.sheets import ExcelFileError


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("联系方式", "phone"),
        ("手机号码", "phone"),
        ("联系电话（手机）", "phone"),
        ("联系电话(手机)", "phone"),
        ("本人电话", "phone"),
        ("电话/手机", "phone"),
        ("出生年月日", "birth_date"),
        ("出生年月", "birth_date"),
        ("性别（男/女）", "sex"),
        ("性别(男、女)", "sex"),
        ("民族（族别）", "ethnicity"),
        ("族别", "ethnicity"),
        ("户号", "room"),
        ("房间", "room"),
        ("房间号", "room"),
        ("门牌号", "room"),
        ("楼号", "building"),
        ("楼栋（幢）", "building"),
        ("幢号", "building"),
        ("单元号", "unit"),
        ("公民身份号码", "id_number"),
        ("身份证号码*", "id_number"),
        ("身份证号\n（必填）", "id_number"),
        ("  姓 名 ", "name"),
        ("姓名：", "name"),
        ("与户主关系", "relation"),
        ("家庭关系", "relation"),
        ("现住址", "address"),
        ("居住地址", "address"),
        ("居住状态", "status"),
        ("备注", "note"),
        ("文化程度", None),
        ("政治面貌", None),
        ("", None),
        (None, None),
    ],
)
def test_header_variants(header, key):
    assert header_key(header) == key


def test_layout_names_columns_by_the_clerks_header_and_letter():
    head = [
        ["惠民社区第一网格人口登记表"],
        ["序号", "姓名", "性别（男/女）", "公民身份号码", "楼号", "文化程度", "年龄", None, "联系电话"],
    ]
    layout = find_layout("表1", head, only_sheet=True)
    assert layout.header_index == 1
    assert layout.columns == {1: "name", 2: "sex", 3: "id_number", 4: "building", 8: "phone"}
    assert layout.label("sex") == "性别（男/女）（C列）"
    assert layout.label("id_number") == "公民身份号码（D列）"
    assert layout.label("ethnicity") == "民族"  # not in the sheet: the template's name
    messages = {n.column: n.message for n in layout.notices}
    assert messages == {
        "文化程度（F列）": "未识别的列，将被忽略",
        "年龄（G列）": "年龄按身份证号计算，此列不导入",
    }
    # An unnamed column is reported once it turns out to hold data.
    layout.note_unnamed_data(["1", "张三", "", "", "", "", "", "", ""])
    assert len(layout.notices) == 2
    layout.note_unnamed_data(["2", "李四", "", "", "", "", "", "备用", ""])
    assert layout.notices[-1].column == "H列"
    assert "没有列名" in layout.notices[-1].message


def test_a_second_column_for_the_same_thing_is_named_not_dropped_silently():
    layout = find_layout("s", [["楼栋", "姓名", "身份证号", "电话", "手机号码"]], only_sheet=True)
    assert layout.columns[3] == "phone"
    assert 4 not in layout.columns
    (notice,) = layout.notices
    assert notice.column == "手机号码（E列）"
    assert "电话（D列）" in notice.message
    assert "忽略" in notice.message


def test_two_row_header_with_merged_group_cells():
    head = [
        ["住址", None, None, "姓名", "身份证号码", "成员信息", None],
        ["楼栋", "单元", "房号", None, None, "与户主关系", "联系电话"],
    ]
    layout = find_layout("s", head, only_sheet=True)
    assert layout.columns == {
        0: "building",
        1: "unit",
        2: "room",
        3: "name",
        4: "id_number",
        5: "relation",
        6: "phone",
    }
    assert layout.label("name") == "姓名（D列）"


def test_missing_required_columns():
    with pytest.raises(ExcelFileError) as exc:
        find_layout("s", [["姓名", "电话"]], only_sheet=True)
    assert "楼栋编码、身份证号" in exc.value.message
    with pytest.raises(ExcelFileError) as exc:
        find_layout("户籍", [["姓名", "电话"]], only_sheet=False)
    assert "工作表“户籍”" in exc.value.message
    assert find_layout("说明", [["说明"], ["请按表头填写"]], only_sheet=False) is None


def test_column_numbers_row():
    assert is_column_numbers([1, 2, 3, 4, 5])
    assert is_column_numbers(["1", "2", "3", None, ""])
    assert is_column_numbers([1.0, 2.0, 3.0])
    assert not is_column_numbers(["1", "张三", "3"])
    assert not is_column_numbers([1, 3, 4])
    assert not is_column_numbers([1, 2])
