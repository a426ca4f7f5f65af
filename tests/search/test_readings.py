"""The shipped reading table is what the pinned pypinyin produces."""

from gridgov.search import readings


def test_shipped_table_matches_pypinyin():
    assert readings.build() == readings.data()


def test_plausible_readings_only():
    alternatives = readings.data()["alternatives"]
    assert "yue" in alternatives["乐"]
    assert "zhang" in alternatives["长"] or "chang" in alternatives["长"]
    assert "王" not in alternatives  # pypinyin's yu for 王 is in no word
    assert "lv" in readings.data()["syllables"]
