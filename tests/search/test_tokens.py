"""Tokenization of names, phones, ID numbers and addresses, and how queries are read."""

import pytest

from gridgov.core.crypto import blind_index
from gridgov.search.tokens import (
    address_bigrams,
    hash_token,
    household_tokens,
    name_syllables,
    name_tokens,
    parse_query,
    resident_tokens,
)


def tokens(name: str) -> set[str]:
    return set(name_tokens(name).split())


def test_two_character_name_is_exact_and_its_surname_a_prefix():
    assert tokens("张伟") == {"0n张伟", "1n张", "0pzhangwei", "0jzw", "0hzhangw", "1pzhang"}


def test_three_character_name_has_every_fragment_of_two_or_more_characters():
    got = tokens("张伟强")
    assert {"0n张伟强", "1n张伟", "2n伟强", "1n张"} <= got
    assert {"0pzhangweiqiang", "0jzwq", "0hzhangwq", "1pzhang", "1pzhangwei", "1jzw", "1hzhangw"} <= got
    assert "2n伟" not in got
    assert "1n伟" not in got


def test_long_names_index_fragments_up_to_six_characters():
    got = tokens("额尔敦其其格")
    assert "0n额尔敦其其格" in got
    assert "2n其其格" in got
    assert "1n额尔" in got


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("单丽娟", "shanlijuan"),
        ("曾国强", "zengguoqiang"),
        ("解放", "xiefang"),
        ("乐天宇", "yuetianyu"),
        ("仇晓燕", "qiuxiaoyan"),
        ("查文博", "zhawenbo"),
        ("朴海燕", "piaohaiyan"),
        ("区明", "ouming"),
        ("欧阳娜娜", "ouyangnana"),
        ("长孙无忌", "zhangsunwuji"),
    ],
)
def test_polyphonic_surnames_are_read_as_surnames(name, reading):
    assert "".join(name_syllables(name)) == reading
    assert f"0p{reading}" in tokens(name)


def test_a_polyphonic_surname_is_indexed_as_read_and_as_typed():
    got = tokens("单丽娟")
    assert {"0pshanlijuan", "0jslj", "1pshan", "0hshanlj"} <= got  # the surname reading
    assert {"0pdanlijuan", "0jdlj", "1pdan", "0hdanlj"} <= got  # how people type it
    assert not any(t.startswith("0pchan") for t in got)  # 单 is chan only in 单于


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("吕佳", ["lvjia", "lujia", "lyujia"]),
        ("曾国强", ["zengguoqiang", "cengguoqiang"]),
        ("乐天宇", ["yuetianyu", "letianyu"]),
        ("仇晓燕", ["qiuxiaoyan", "chouxiaoyan"]),
        ("查文博", ["zhawenbo", "chawenbo"]),
        ("区明", ["ouming", "quming"]),
        ("覃海", ["qinhai", "tanhai"]),
        ("解放", ["xiefang", "jiefang"]),
        ("朴海燕", ["piaohaiyan", "puhaiyan"]),
        ("尉迟敬德", ["yuchijingde", "weichijingde"]),
        ("张长江", ["zhangchangjiang", "zhangzhangjiang"]),
        ("王茜", ["wangqian", "wangxi"]),
        ("李乐", ["lile", "liyue"]),
    ],
)
def test_every_plausible_reading_is_indexed(name, typed):
    got = tokens(name)
    for reading in typed:
        assert f"0p{reading}" in got, reading


def test_implausible_readings_are_not_indexed():
    assert "0pyuwei" not in tokens("王伟")  # pypinyin knows 王 as yu; nobody types it
    assert "0plinuo" not in tokens("李娜")  # 娜 is na in names


def test_reading_combinations_are_bounded():
    from gridgov.search.pinyin import MAX_COMBOS, read_name

    assert len(read_name("单乐乐曾长朝").combos()) == MAX_COMBOS
    assert read_name("单乐乐曾长朝").combos()[0] == ("shan", "le", "le", "ceng", "zhang", "chao")


@pytest.mark.parametrize(
    "stored", ["阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽・买买提", "阿依古丽.买买提", "阿依古丽 买买提"]
)
def test_separators_in_names_do_not_matter(stored):
    got = tokens(stored)
    assert "0n阿依古丽买" not in got  # fragments are of the name without its separator
    assert {"2n买买提", "1n阿依古丽", "0payigulimaimaiti", "2pmaimaiti", "1payiguli"} <= got
    assert tokens(stored) == tokens("阿依古丽·买买提")


def test_mongolian_names_have_pinyin_too():
    assert {"0n巴特尔", "0pbateer", "0jbte", "0hbate"} <= tokens("巴特尔")


def test_phone_and_id_number_never_appear_in_clear():
    text = resident_tokens("张伟", phone="13904711234", id_number="15010519780315601X")
    assert "1234" not in text
    assert "601X" not in text.upper()
    assert "5601x" not in text
    assert f"2t{blind_index('search.phone4', '1234')[:16]}" in text.split()
    assert f"2i{blind_index('search.id4', '601X')[:16]}" in text.split()
    assert f"2i{blind_index('search.id6', '15601X')[:16]}" in text.split()


def test_landline_tail_is_its_last_four_digits():
    assert f"2t{hash_token('phone4', '2345')}" in resident_tokens("张伟", phone="0471-6612345").split()


def test_household_address_tokens():
    got = set(
        household_tokens(
            address="惠民社区3号楼2单元301室", building="3号楼", unit="2", room="301", phone="0471-6123456"
        ).split()
    )
    assert {"0ab3u2r301", "1ab3u2", "1ab3", "2ar301", "2w惠民", "2w民社"} <= got
    assert not any(t in got for t in ("2w号楼", "2w单元", "2w社区"))  # filler words match everything
    assert f"2t{hash_token('phone4', '3456')}" in got


def test_address_bigrams_skip_filler():
    assert address_bigrams("惠民社区3号楼") == {"惠民", "民社"}


# --- queries ---------------------------------------------------------------------------------


def read(q: str) -> list[tuple[int, tuple[str, ...], str]]:
    return [(a.tier, a.tokens, a.kind) for a in parse_query(q).alternatives]


def test_chinese_name_query_is_exact_then_prefix_then_substring():
    assert read("张伟")[:3] == [(0, ("0n张伟",), "name"), (1, ("1n张伟",), "name"), (2, ("2n张伟",), "name")]


def test_single_character_is_a_surname():
    assert read("单") == [(1, ("1n单",), "surname")]


def test_letters_are_pinyin_or_initials():
    assert read("zhangwei") == [(t, (f"{t}pzhangwei",), "pinyin") for t in (0, 1, 2)]
    initials = parse_query("ZW").alternatives
    assert [(a.tier, a.any_tokens, a.patterns) for a in initials] == [(0, ("0jzw",), ()), (1, ("1jzw",), ())]


def test_four_digits_are_a_phone_or_id_tail():
    kinds = {k for _t, _tok, k in read("1234")}
    assert {"phone_tail", "id_tail"} <= kinds
    assert {k for _t, _tok, k in read("123x")} == {"id_tail"}
    assert {k for _t, _tok, k in read("01234X")} == {"id_tail"}


def test_full_phone_and_id_are_exact_lookups():
    assert parse_query("139 0471 1234").full_phone == "13904711234"
    assert parse_query("0471-6612345").full_phone == "04716612345"
    assert parse_query("15010519780315601x").full_id == "15010519780315601X"


@pytest.mark.parametrize(
    ("q", "token", "tier"),
    [
        ("3栋2单元", "1ab3u2", 1),
        ("3号楼2单元301", "0ab3u2r301", 0),
        ("3-2-301", "0ab3u2r301", 0),
        ("3号楼", "1ab3", 1),
        ("３栋２单元", "1ab3u2", 1),
        ("3幢2单元301室", "0ab3u2r301", 0),
    ],
)
def test_addresses(q, token, tier):
    assert read(q)[0][:2] == (tier, (token,))


def test_place_text_with_building_is_one_conjunction():
    alt = parse_query("惠民社区3号楼").alternatives[0]
    assert alt.tokens == ("1ab3", "2w惠民", "2w民社")
    assert alt.address_contains == "惠民社区"


@pytest.mark.parametrize("q", ["%", "_", "'", "%_'", "张%", "张伟'", "' OR 1=1 --", "张，伟", "   "])
def test_metacharacters_and_blanks_match_nothing(q):
    parsed = parse_query(q)
    assert not parsed.alternatives
    assert not parsed.full_phone
    assert not parsed.full_id


def test_household_number_is_looked_up_as_typed():
    assert parse_query("150105001001001001-2-301").number == "150105001001001001-2-301"


def test_bulk_tokenizer_matches_the_plain_functions():
    from gridgov.search.tokens import BulkTokenizer

    bulk = BulkTokenizer()
    for name, phone, id_number in [
        ("张伟", "13904711234", "15010019780315501X"),
        ("欧阳娜娜", "", "150105200101016021"),
        ("巴特尔", "0471-6612345", "150121195001016011"),
    ]:
        assert bulk.resident(name, phone, id_number) == resident_tokens(name, phone, id_number)
    for address, building, unit, room, phone in [
        ("惠民社区3号楼2单元301室", "3号楼", "2", "301", "0471-6123456"),
        ("东营村12号楼1单元1802室", "12号楼", "1", "1802", ""),
    ]:
        assert bulk.household(address, building, unit, room, phone) == household_tokens(
            address=address, building=building, unit=unit, room=room, phone=phone
        )
