"""Readings of names, how a typed mix of characters, syllables and initials is read, typos."""

import pytest

from gridgov.search.pinyin import (
    char_readings,
    clean_name,
    needs_check,
    pattern_matches,
    read_name,
    split_query,
    syllable_count,
    typo_keys,
    unit_keys,
)


@pytest.mark.parametrize(
    ("char", "surname", "expected"),
    [
        ("单", True, ("shan", "dan")),
        ("单", False, ("dan",)),
        ("曾", True, ("zeng", "ceng")),
        ("吕", True, ("lv", "lu", "lyu")),
        ("吕", False, ("lv", "lu")),
        ("乐", False, ("le", "yue")),
        ("王", True, ("wang",)),
        ("娜", False, ("na",)),
    ],
)
def test_char_readings(char, surname, expected):
    assert char_readings(char, surname=surname) == expected


@pytest.mark.parametrize(
    "name",
    [
        "阿依古丽·买买提",
        "阿依古丽•买买提",
        "阿依古丽・买买提",
        "阿依古丽．买买提",
        "阿依古丽。买买提",
        "阿依古丽 买买提",
        "阿依古丽　买买提",
    ],
)
def test_separators_are_not_part_of_a_name(name):
    assert clean_name(name) == "阿依古丽买买提"


def test_quotes_and_commas_are_not_separators():
    assert clean_name("张'伟") == "张'伟"
    assert clean_name("张，伟") == "张,伟"


def test_compound_surname_readings():
    reading = read_name("尉迟敬德")
    assert reading.surname_length == 2
    assert reading.combos()[:2] == [("yu", "chi", "jing", "de"), ("wei", "chi", "jing", "de")]


@pytest.mark.parametrize(
    ("typed", "units"),
    [
        ("王xy", (("c", "王"), ("b", "x"), ("b", "y"))),
        ("zhang伟", (("s", "zhang"), ("c", "伟"))),
        ("欧阳n", (("c", "欧"), ("c", "阳"), ("b", "n"))),
        ("wangxiaoy", (("s", "wang"), ("s", "xiao"), ("b", "y"))),
        ("zhangwe", (("s", "zhang"), ("b", "we"))),
        ("zw", (("b", "z"), ("b", "w"))),
    ],
)
def test_the_likeliest_split_comes_first(typed, units):
    assert split_query(typed)[0] == units


def test_a_letter_is_not_split_off_its_syllable():
    splits = split_query("zhang伟")
    assert (("s", "zhan"), ("b", "g"), ("c", "伟")) not in splits
    assert (("b", "w"), ("s", "ang")) not in split_query("wang")


def test_nothing_else_splits():
    assert split_query("张3") == []
    assert split_query("zhang%") == []


@pytest.mark.parametrize(
    ("typed", "family", "keys"),
    [
        ("王xy", "h", ["wangxy"]),
        ("张w", "h", ["zhangw"]),
        ("欧阳n", "h", ["ouyn"]),
        ("尉迟j", "h", ["yucj", "weicj"]),
        ("单l", "h", ["shanl", "danl"]),
        ("zw", "j", ["zw"]),
    ],
)
def test_unit_keys(typed, family, keys):
    assert unit_keys(split_query(typed)[0]) == (family, keys)


def test_what_the_keys_cannot_tell_is_checked_on_the_name():
    assert not needs_check(split_query("王xy")[0], leading_chars=1)
    assert needs_check(split_query("zhang伟")[0], leading_chars=0)
    assert needs_check(split_query("zhangwe")[0], leading_chars=0)
    assert not needs_check(split_query("wangxy")[0], leading_chars=0)


def test_pattern_matches_by_reading_character_and_length():
    units = split_query("zhangwe")[0]
    assert pattern_matches(units, read_name("张伟"), longer=False)
    assert pattern_matches(units, read_name("张文"), longer=False)
    assert not pattern_matches(units, read_name("张伟华"), longer=False)
    assert pattern_matches(units, read_name("张伟华"), longer=True)
    assert not pattern_matches(units, read_name("章丽"), longer=False)
    assert not pattern_matches(split_query("zhang伟")[0], read_name("张薇"), longer=False)
    assert pattern_matches(split_query("dan丽")[0], read_name("单丽"), longer=False)


@pytest.mark.parametrize(
    ("typed", "intended", "kind"),
    [
        ("zhagnwei", "zhangwei", 0),  # transposition
        ("zhanwgei", "zhangwei", 0),  # transposition across syllables
        ("zhngwei", "zhangwei", 0),  # a letter left out
        ("zhanggwei", "zhangwei", 1),  # a letter too many
        ("zhangwii", "zhangwei", 0),  # a letter mistyped (the only kind here)
        ("shanlijaun", "shanlijuan", 0),
        ("lnia", "lina", 0),
    ],
)
def test_typos_find_the_intended_pinyin(typed, intended, kind):
    groups = typo_keys(typed)
    assert intended in groups[kind]
    assert typed not in [key for group in groups for key in group]


def test_typos_are_bounded_and_pinyin():
    keys = [key for group in typo_keys("ayigulimaimaiti") for key in group]
    assert 0 < len(keys) <= 48
    assert all(syllable_count(key) >= 2 for key in keys)
    assert typo_keys("zw") == []
    assert typo_keys("张伟") == []
