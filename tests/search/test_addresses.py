"""Addresses as typed: building, unit and room in every usual notation, Chinese numerals."""

import pytest

from gridgov.search.addresses import arabic_numerals, household_keys, parse, query_keys

B3U2R501 = {"b": "3", "u": "2", "r": "501"}


@pytest.mark.parametrize(
    "typed",
    [
        "3号楼2单元501",
        "3号楼2单元501室",
        "3栋2单元501室",
        "3幢2单元501",
        "3#2-501",
        "3#-2-501",
        "3#楼2单元501",
        "3号楼2门501",
        "3-2-501",
        "3号2单元501号",
        "三号楼二单元五零一",
        "三号楼二单元501",
        "3号楼二单元五〇一",
        "三栋二单元五百零一",
        "3座2单元501",
    ],
)
def test_building_unit_room(typed):
    assert parse(typed) == ("", B3U2R501)


@pytest.mark.parametrize(
    ("typed", "roles"),
    [
        ("2单元501", {"u": "2", "r": "501"}),
        ("二单元五零一", {"u": "2", "r": "501"}),
        ("3号楼501", {"b": "3", "r": "501"}),
        ("3-501", {"b": "3", "r": "501"}),
        ("3号楼2单元", {"b": "3", "u": "2"}),
        ("3-2", {"b": "3", "u": "2"}),
        ("3号楼", {"b": "3"}),
        ("3号", {"b": "3"}),
        ("十二号楼", {"b": "12"}),
        ("501室", {"r": "501"}),
    ],
)
def test_partial_addresses(typed, roles):
    assert parse(typed) == ("", roles)


def test_place_text_before_the_structure():
    assert parse("惠民社区3#2-501") == ("惠民社区", B3U2R501)
    assert parse("惠民社区三号楼") == ("惠民社区", {"b": "3"})


@pytest.mark.parametrize(
    "typed", ["501", "0471-6612345", "13904711234", "张三", "3号楼2单元501室5", "3-2-501-7", "3层"]
)
def test_what_is_not_an_address_structure(typed):
    assert parse(typed) is None


def test_numerals_in_names_stay_as_written():
    assert arabic_numerals("张三") == "张三"
    assert arabic_numerals("三里屯社区三号楼") == "三里屯社区3号楼"


def test_household_keys():
    assert household_keys("3号楼", "2", "501") == [
        (1, "b3"),
        (1, "b3u2"),
        (0, "b3u2r501"),
        (2, "b3r501"),
        (2, "u2r501"),
        (2, "r501"),
    ]
    assert household_keys("3号楼", "", "501") == [(1, "b3"), (0, "b3r501"), (2, "r501")]
    assert household_keys("三号楼", "二", "501") == household_keys("3号楼", "2", "501")


def test_query_keys():
    assert query_keys(B3U2R501) == [(0, "b3u2r501")]
    assert query_keys({"b": "3", "r": "501"}) == [(0, "b3r501"), (2, "b3r501")]
    assert query_keys({"u": "2", "r": "501"}) == [(2, "u2r501")]
    assert query_keys({"u": "2"}) == []
