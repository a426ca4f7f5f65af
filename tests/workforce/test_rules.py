"""The promotion rules, each edge on its own (gridgov.workforce.rules.decide)."""

import pytest

from gridgov.workforce.rules import decide

E, Q, B, U = "excellent", "qualified", "basic", "unqualified"


def results(*values, last=2025):
    return {last - len(values) + 1 + i: v for i, v in enumerate(values) if v is not None}


def test_exactly_three_years_qualified_is_one_grade():
    d = decide(4, results(Q, Q, Q), 2025, None)
    assert (d.grade_after, d.step, d.rule) == (5, 1, "qualified")
    assert "2023–2025年度连续三年合格及以上" in d.reason
    assert "4→5" in d.reason


def test_two_years_is_not_enough():
    d = decide(4, results(Q, Q), 2025, None)
    assert (d.grade_after, d.step) == (4, 0)
    assert "未满三年" in d.reason


def test_three_years_excellent_is_two_grades_not_three():
    d = decide(5, results(E, E, E), 2025, None)
    assert (d.grade_after, d.step, d.rule) == (7, 2, "excellent")


def test_the_better_rule_not_both():
    # Four years: qualified streak 4 and excellent streak 3 → +2 only.
    assert decide(5, results(Q, E, E, E), 2025, None).step == 2
    # 优秀 优秀 合格: the excellent streak ends with the last year → +1.
    d = decide(6, results(E, E, Q), 2025, None)
    assert (d.step, d.rule) == (1, "qualified")
    # 合格 优秀 优秀: only two excellent years → +1.
    assert decide(8, results(Q, E, E), 2025, None).step == 1


@pytest.mark.parametrize("low", [B, U])
def test_a_year_below_qualified_breaks_the_streak(low):
    d = decide(3, results(Q, Q, low, Q, Q), 2025, None)
    assert d.step == 0
    assert "重新计数" in d.reason
    last = decide(3, results(Q, Q, low), 2025, None)
    assert last.step == 0
    assert "低于合格" in last.reason


def test_a_year_without_result_breaks_the_streak():
    d = decide(3, {2021: Q, 2022: Q, 2024: Q, 2025: Q}, 2025, None)
    assert d.step == 0
    assert "2023年度无审定结果" in d.reason


def test_count_restarts_after_a_promotion():
    # Promoted on 2023's results: 2024 and 2025 count, 2021–2023 do not.
    d = decide(5, results(Q, Q, Q, Q, Q), 2025, 2023)
    assert d.step == 0
    assert "2023年度晋档后重新计数" in d.reason
    # Three full years after the promotion → promoted again.
    assert decide(5, results(Q, Q, Q, Q, Q, Q, last=2026), 2026, 2023).step == 1


def test_excellent_years_before_a_promotion_do_not_count():
    d = decide(5, {2023: E, 2024: E, 2025: E}, 2025, 2023)
    assert d.step == 0


def test_grade_eleven_with_two_is_capped_at_twelve():
    d = decide(11, results(E, E, E), 2025, None)
    assert (d.grade_after, d.step, d.capped) == (12, 1, True)
    assert "最高12档" in d.reason


def test_grade_twelve_never_moves():
    for history in (results(Q, Q, Q), results(E, E, E)):
        d = decide(12, history, 2025, None)
        assert (d.grade_after, d.step, d.capped) == (12, 0, True)
        assert "已在最高档" in d.reason
