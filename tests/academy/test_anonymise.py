"""Anonymising disputes for the case library: no name, phone, ID number or house number is left,
for texts written the way grid workers and mediators write them."""

import re

import pytest

from gridgov.academy.anonymise import Known, Person, anonymise, leftovers

ID_SHAPE = re.compile(r"\d{15,18}|\d{6}\s\d{4}")
PHONE_SHAPE = re.compile(r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8}")
HOUSE_SHAPE = re.compile(r"\d+(号楼|栋|幢|单元|室)|[一二三四五六七八九十]+(幢|栋|单元)")

CASES = [
    (
        "neighbours quarrel in a chat group",
        "2024年5月3号晚，惠民小区3号楼2单元501住户王建国（身份证150105198503071234，电话139-1234-5678）"
        "在业主群里与楼上的李秀兰争吵，扬言要“收拾”对方。老王称楼上漏水已有半年。网格员高波当晚上门，"
        "李大妈的女儿张丽娜说愿意调解。",
        Known(
            people=[Person("王建国", "当事人甲"), Person("李秀兰", "当事人乙"), Person("高波", "网格员")],
            phones=["13912345678"],
            places=["惠民小区3号楼2单元501"],
        ),
        [
            "王建国",
            "建国",
            "李秀兰",
            "秀兰",
            "高波",
            "张丽娜",
            "13912345678",
            "1234-5678",
            "150105198503071234",
            "3号楼",
            "501",
        ],
    ),
    (
        "wage arrears on a building site",
        "农民工刘德明、孙志刚等6人反映，承包人赵宏伟拖欠工资共计8.6万元。赵宏伟手机13847132690，"
        "身份证号码 1501 0219 7806 1512 3X。工人住在工地宿舍5栋1202室。调解员苏和表示，"
        "经司法所调解，赵宏伟同意分两期支付。",
        Known(
            people=[Person("刘德明", "当事人甲"), Person("孙志刚", "当事人乙"), Person("赵宏伟", "当事人丙")],
            phones=["13847132690"],
        ),
        ["刘德明", "孙志刚", "赵宏伟", "宏伟", "13847132690", "1501 0219", "5栋", "1202", "苏和"],
    ),
    (
        "a family dispute with landline and old ID",
        "村民马小军家住三组15号，与妻子韩淑珍因赡养老人发生争执。马小军的老母亲（身份证150121450312123）"
        "由其弟马小平照顾。联系电话0471-6543210，座机 6543211。调解在村委会进行，马某某同意每月支付赡养费。",
        Known(
            people=[
                Person("马小军", "当事人甲"),
                Person("韩淑珍", "当事人乙"),
                Person("马小平", "当事人甲的家属"),
            ]
        ),
        [
            "马小军",
            "小军",
            "韩淑珍",
            "淑珍",
            "马小平",
            "小平",
            "150121450312123",
            "6543210",
            "6543211",
            "15号",
        ],
    ),
    (
        "property management: addresses in many forms",
        "业主欧阳明辉（住阳光家园二幢三〇一）与物业公司经理何伟就停车费发生纠纷。欧阳明辉的邻居"
        "周桂芳说，物业在7号楼东侧乱收费。+86 158 4710 2233 是欧阳先生的号码。",
        Known(people=[Person("欧阳明辉", "当事人甲"), Person("何伟", "当事人乙")]),
        [
            "欧阳明辉",
            "明辉",
            "何伟",
            "周桂芳",
            "二幢",
            "三〇一",
            "7号楼",
            "158 4710 2233",
            "阳光家园",
            "欧阳先生",
        ],
    ),
]


@pytest.mark.parametrize(("title", "text", "known", "gone"), CASES, ids=[c[0] for c in CASES])
def test_no_name_phone_id_or_house_number_is_left(
    title: str, text: str, known: Known, gone: list[str]
) -> None:
    result = anonymise(text, known)
    for value in gone:
        assert value not in result.text, f"{value!r} left in: {result.text}"
    assert not ID_SHAPE.search(result.text), result.text
    assert not PHONE_SHAPE.search(result.text), result.text
    assert not HOUSE_SHAPE.search(result.text), result.text
    assert leftovers(result.text, known) == []
    assert result.replaced["name"] >= 2


def test_labels_keep_the_parties_apart_and_the_story_readable() -> None:
    known = Known(people=[Person("张建华", "当事人甲"), Person("李志强", "当事人乙")])
    result = anonymise("张建华与李志强因漏水争吵，张建华扬言报复，老李报了警。2024年5月3号双方和解。", known)
    assert (
        result.text
        == "当事人甲与当事人乙因漏水争吵，当事人甲扬言报复，当事人乙报了警。2024年5月3号双方和解。"
    )


def test_leftovers_finds_what_an_editor_typed_back() -> None:
    known = Known(people=[Person("张建华", "当事人甲")], phones=["13904715821"])
    assert leftovers("当事人甲（张建华）同意", known) == ["姓名（张某）"]
    assert leftovers("联系 139 0471 5821", known) == ["电话"]
    assert leftovers("住 3号楼2单元501", known) == ["门牌号/住址"]
    assert leftovers("证件 150105198503071234", known) == ["身份证号"]
    assert leftovers("当事人甲同意按协议履行。", known) == []


def test_titles_are_not_taken_for_given_names() -> None:
    known = Known(people=[Person("陈律师", "律师")])
    assert anonymise("陈律师和律师助理一同走访", known).text == "律师和律师助理一同走访"


def test_a_neighbour_is_found_by_whole_name_only() -> None:
    known = Known(people=[Person("王国庆", "王某", whole_only=True), Person("张建华", "当事人甲")])
    result = anonymise("国庆节前，王国庆看到张建华和建华的儿子在楼道争吵。", known)
    assert result.text == "国庆节前，王某看到当事人甲和当事人甲的儿子在楼道争吵。"
    assert leftovers("国庆节前后多次回访", known) == []
