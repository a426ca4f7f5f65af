"""The columns of the registry import and how a clerk's own header row is understood.

A sheet is matched by its header text, not by position: "联系电话（手机）", "民族（族别）",
"身份证号码*" and "户号" are all found. Every column of the sheet is accounted for: a header that
means nothing here is listed as "未识别的列，将被忽略", a second column for the same thing is named,
and a column without a header that holds data is reported — nothing is dropped silently.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gridgov.registry.choices import CareTag, SpecialTag
from gridgov.registry.sheets import ExcelFileError, column_letter

HEADER_SCAN_ROWS = 20


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    fix: str
    aliases: tuple[str, ...] = ()
    width: int = 12
    in_template: bool = True


COLUMNS: list[Column] = [
    Column(
        "building",
        "楼栋编码",
        True,
        "填写本网格楼栋的 18 位编码，或楼号如“3号楼”“3#”“3栋”“3”",
        (
            "楼栋",
            "楼栋号",
            "楼号",
            "楼栋编号",
            "楼宇",
            "栋",
            "幢",
            "栋号",
            "幢号",
            "楼幢",
            "楼座",
            "楼栋名称",
            "所在楼栋",
            "楼幢号",
            "楼栋号码",
        ),
        20,
    ),
    Column("unit", "单元", False, "填写单元号，如“2”或“2单元”", ("单元号", "单元名称", "所在单元"), 8),
    Column(
        "room",
        "室",
        False,
        "填写房号，如“301”",
        (
            "房号",
            "门牌号",
            "室号",
            "房间号",
            "房间",
            "户号",
            "房屋号",
            "门牌",
            "房号户号",
            "门牌号码",
            "户室号",
        ),
        8,
    ),
    Column(
        "address",
        "地址",
        False,
        "写成“3号楼2单元301”“3#2-301”或“3-2-301”，或改用楼栋、单元、室三列",
        (
            "住址",
            "现住址",
            "居住地址",
            "房屋地址",
            "家庭住址",
            "现居住地址",
            "详细地址",
            "居住地",
            "现居住地",
            "楼栋单元房号",
            "楼栋单元室",
            "门楼牌号",
            "房屋坐落",
        ),
        in_template=False,
    ),
    Column(
        "kind",
        "户类型",
        False,
        "填写“户籍户”“流动户”或“出租户”",
        ("户别", "类型", "住户类型", "户籍类别", "住户类别"),
        10,
    ),
    Column(
        "name", "姓名", True, "填写居民姓名", ("居民姓名", "成员姓名", "名字", "人员姓名", "家庭成员姓名"), 10
    ),
    Column(
        "id_number",
        "身份证号",
        True,
        "填写 18 位身份证号（15 位旧号码会自动转换）；若 Excel 显示为 1.50102E+17，此列请设为文本格式后重新填写",
        (
            "身份证号码",
            "公民身份号码",
            "身份证",
            "证件号码",
            "证件号",
            "身份证件号码",
            "居民身份证号码",
            "身份号码",
            "公民身份证号码",
            "身份证号码证件号码",
        ),
        22,
    ),
    Column(
        "relation",
        "与户主关系",
        False,
        "填写户口簿上的称谓，如“户主”“配偶”“长子”“儿媳”“外孙女”",
        ("关系", "与户主的关系", "家庭关系", "户主关系", "与户主关系名称", "成员关系"),
        10,
    ),
    Column(
        "phone",
        "电话",
        False,
        "手机填 11 位，座机填“区号-号码”如 0471-6123456",
        (
            "联系电话",
            "手机",
            "手机号",
            "电话号码",
            "联系方式",
            "手机号码",
            "本人电话",
            "本人手机",
            "本人联系电话",
            "联系手机",
            "移动电话",
            "电话手机",
            "手机电话",
            "联系号码",
            "本人手机号",
            "手机联系方式",
        ),
        16,
    ),
    Column(
        "ethnicity",
        "民族",
        False,
        "填写 56 个民族之一，如“汉族”“蒙古族”（可写“蒙族”“回”等简称）",
        ("族别",),
        8,
    ),
    Column(
        "care_tags",
        "关爱标签",
        False,
        "可填多个，用顿号分隔：" + "、".join(str(c.label) for c in CareTag),
        ("关爱对象", "标签", "关爱类别"),
        16,
    ),
    Column(
        "special_tags",
        "特殊人群标签",
        False,
        "可填：" + "、".join(str(c.label) for c in SpecialTag),
        ("特殊人群", "特殊人群类别"),
        14,
    ),
    Column(
        "birth_date",
        "出生日期",
        False,
        "可不填（按身份证号自动计算）；若填写须与身份证号一致，如 1990-01-02，或只写年月如 1990.01",
        ("出生年月", "生日", "出生年月日", "出生时间", "出生日期年月日"),
        12,
    ),
    Column("sex", "性别", False, "可不填（按身份证号自动计算）；若填写须与身份证号一致，填“男”或“女”", (), 6),
    Column(
        "status", "居住状态", False, "填写“在住”或“外出”", ("状态", "在住状态", "居住情况", "人员状态"), 10
    ),
    Column("note", "备注", False, "", ("说明", "备注说明", "其他说明"), 20),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

# Headers of columns that carry nothing to import: known, so not reported as unrecognised.
# None: not worth a word (a serial number); text: said once in the dry run.
SKIPPED_HEADERS: dict[str, str | None] = {
    "序号": None,
    "编号": None,
    "序": None,
    "no": None,
    "年龄": "年龄按身份证号计算，此列不导入",
    "周岁": "年龄按身份证号计算，此列不导入",
}

_NOISE = re.compile(r"[\s*＊:：/／、,，.。_\-—]|必填|选填|\(必填\)|\(选填\)")
_BRACKETS = re.compile(r"[()\[\]【】<>《》]")
_BRACKETED = re.compile(r"[(\[【<《].*?[)\]】>》]")


def _normalise(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        _LOOKUP[_BRACKETS.sub("", _normalise(_name))] = _column.key


def header_key(value: Any) -> str | None:
    """The column a header cell names: "联系电话（手机）" and "民族(族别)" by their words, or
    failing that by the words outside the brackets ("性别（男/女）" → 性别)."""
    if value is None or value == "":
        return None
    text = _normalise(str(value))
    return _LOOKUP.get(_BRACKETS.sub("", text)) or _LOOKUP.get(_BRACKETED.sub("", text))


def _skipped(value: Any) -> tuple[bool, str | None]:
    text = _BRACKETED.sub("", _normalise(str(value)))
    return (text in SKIPPED_HEADERS, SKIPPED_HEADERS.get(text))


@dataclass(frozen=True)
class Notice:
    """Something about the file as a whole, said in the dry run: an ignored column or sheet."""

    sheet: str
    column: str
    message: str


@dataclass
class Layout:
    """Where each column is in one sheet, and the clerk's own header text for it."""

    sheet: str
    header_index: int  # 0-based row index of the header row
    columns: dict[int, str]  # column index → key
    headers: dict[str, str] = field(default_factory=dict)  # key → "性别（C列）"
    notices: list[Notice] = field(default_factory=list)
    unnamed: set[int] = field(default_factory=set)  # columns without a header: checked for data

    def label(self, key: str) -> str:
        """How a message names the column: the sheet's header and letter, or the template's name."""
        if key in self.headers:
            return self.headers[key]
        return COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else key

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        return {key: row[col] if col < len(row) else None for col, key in self.columns.items()}

    def note_unnamed_data(self, row: Sequence[Any]) -> None:
        """A column without a header that holds data is reported once (its data is not imported)."""
        for col in list(self.unnamed):
            if col < len(row) and _filled(row[col]):
                self.unnamed.discard(col)
                self.notices.append(
                    Notice(
                        self.sheet, f"{column_letter(col)}列", "此列没有列名，其中的内容将被忽略；请填上列名"
                    )
                )


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)) if _filled(value) else ""


def find_layout(sheet: str, head: list[list[Any]], *, only_sheet: bool) -> Layout | None:
    """The header row among the first rows and the column of every key.

    A title row above, or a two-row header whose upper cells are merged ("户信息" over 楼栋/单元/室,
    "姓名" merged down) is handled by taking a column's name from the row above when its own
    cell names nothing. None when the sheet has no header (unless it is the only sheet: then the
    file is refused, saying what is missing).
    """
    best, best_index = 0, -1
    for index, row in enumerate(head):
        found = len({key for value in row if (key := header_key(value))})
        if found > best:
            best, best_index = found, index
    if best < 2:
        if only_sheet:
            raise ExcelFileError(
                "找不到表头：前 20 行中没有“姓名”“身份证号”等列名；请使用下载的模板，或把表头放在数据上方"
            )
        return None
    header = head[best_index]
    above = head[best_index - 1] if best_index > 0 else []
    layout = Layout(sheet=sheet, header_index=best_index, columns={})
    width = max(len(header), len(above))
    for col in range(width):
        own = header[col] if col < len(header) else None
        upper = above[col] if col < len(above) else None
        key = header_key(own)
        text = _text(own)
        if key is None and not _filled(own) and header_key(upper):
            key, text = header_key(upper), _text(upper)
        letter = column_letter(col)
        if key is None:
            if not _filled(own):
                layout.unnamed.add(col)
                continue
            known, message = _skipped(own)
            if known:
                if message:
                    layout.notices.append(Notice(sheet, f"{text}（{letter}列）", message))
                continue
            layout.notices.append(Notice(sheet, f"{text}（{letter}列）", "未识别的列，将被忽略"))
            continue
        if key in layout.headers:
            first = layout.headers[key]
            layout.notices.append(
                Notice(sheet, f"{text}（{letter}列）", f"与{first}是同一项，只导入{first}；此列将被忽略")
            )
            continue
        layout.columns[col] = key
        layout.headers[key] = f"{text}（{letter}列）"
    keys = set(layout.columns.values())
    missing = [COLUMN_BY_KEY[k].header for k in ("name", "id_number") if k not in keys]
    if "building" not in keys and "address" not in keys:
        missing.insert(0, COLUMN_BY_KEY["building"].header)
    if missing:
        where = "" if only_sheet else f"工作表“{sheet}”"
        raise ExcelFileError(f"{where}表头缺少必需的列：{'、'.join(missing)}；请使用下载的模板")
    return layout


def is_column_numbers(row: Sequence[Any]) -> bool:
    """A row of 1, 2, 3 … under the header (government forms number their columns)."""
    filled = [(col, value) for col, value in enumerate(row) if _filled(value)]
    if len(filled) < 3:
        return False
    numbers = []
    for _col, value in filled:
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        if not text.isdigit():
            return False
        numbers.append(int(text))
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))
